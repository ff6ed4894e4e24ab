using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using EdgeTwin.OpcUa.Transport;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.Transport;

[Collection(OpcUaServerFixture.CollectionName)]
public class UaTcpConnectionTests(OpcUaServerFixture fixture)
{
    [Fact]
    public async Task DisposeAsync_AfterAbortWithUnflushedOutput_DoesNotThrow()
    {
        var connection = await UaTcpConnection.ConnectAsync(fixture.EndpointUrl, UaTcpLimits.Default, CancellationToken.None);
        // Bytes written but not flushed: completing the writer flushes them into the shut-down socket.
        connection.Output.GetSpan(64).Clear();
        connection.Output.Advance(64);
        connection.Abort();

        // An exception here would replace the error a caller is disposing the connection for.
        var thrown = await Record.ExceptionAsync(async () => await connection.DisposeAsync());

        Assert.Null(thrown);
    }

    /// <summary>
    /// A raw TCP peer that acknowledges Hello and then sends without pause: the receive thread delivers every byte in
    /// order, and while nothing is read it stops reading, so the peer's sends stall after a bounded amount (the
    /// pause threshold plus what the kernel buffers), and resume once the reader takes the data.
    /// </summary>
    [Fact]
    public async Task ReceiveThread_DeliversEveryByteInOrder_AndStopsReadingWhileNothingIsConsumed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var connecting = UaTcpConnection.ConnectAsync($"opc.tcp://127.0.0.1:{port}/x", UaTcpLimits.Default, CancellationToken.None);
        using var peer = await listener.AcceptSocketAsync();
        var hello = new byte[8];
        await peer.ReceiveAsync(hello);
        var helloRest = new byte[BinaryPrimitives.ReadUInt32LittleEndian(hello.AsSpan(4)) - 8];
        for (var got = 0; got < helloRest.Length;)
        {
            got += await peer.ReceiveAsync(helloRest.AsMemory(got));
        }

        var ack = new byte[28];
        "ACKF"u8.CopyTo(ack);
        BinaryPrimitives.WriteUInt32LittleEndian(ack.AsSpan(4), 28);
        BinaryPrimitives.WriteUInt32LittleEndian(ack.AsSpan(12), 65536);
        BinaryPrimitives.WriteUInt32LittleEndian(ack.AsSpan(16), 65536);
        await peer.SendAsync(ack);
        await using var connection = await connecting;

        // Sends a counting byte pattern in 1,000-byte writes until a write has waited a second: the client stopped reading.
        // A stalled write stays in flight: the next round waits for it (and counts it) before writing on.
        long sent = 0;
        var block = new byte[1000];
        Task<int>? inFlight = null;
        async Task<bool> SendUntilStalledAsync(long limit)
        {
            while (true)
            {
                if (inFlight is not null)
                {
                    if (await Task.WhenAny(inFlight, Task.Delay(TimeSpan.FromSeconds(1))) != inFlight)
                    {
                        return true;
                    }

                    Assert.Equal(block.Length, await inFlight);
                    sent += block.Length;
                    inFlight = null;
                }

                if (sent >= limit)
                {
                    return false;
                }

                for (var i = 0; i < block.Length; i++)
                {
                    block[i] = (byte)((sent + i) % 251);
                }

                inFlight = peer.SendAsync(block.AsMemory()).AsTask();
            }
        }

        var stalled = SendUntilStalledAsync(1L << 30);
        Assert.True(await stalled, "the peer never stalled");
        var stalledAt = sent + block.Length;
        Assert.InRange(stalledAt, UaTcpConnection.PauseReadingAt, UaTcpConnection.PauseReadingAt + (64L << 20));

        // Reading resumes the flow; every byte arrives in order.
        long received = 0;
        var moreSent = Task.Run(async () =>
        {
            await Task.Delay(100);
            return await SendUntilStalledAsync(stalledAt + (4L << 20));
        });
        while (received < stalledAt + (4L << 20))
        {
            var result = await connection.Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            foreach (var segment in result.Buffer)
            {
                for (var i = 0; i < segment.Length; i++, received++)
                {
                    if (segment.Span[i] != (byte)(received % 251))
                    {
                        Assert.Fail($"byte {received} out of order");
                    }
                }
            }

            connection.Input.AdvanceTo(result.Buffer.End);
        }

        Assert.False(await moreSent);
    }
}
