using System.Buffers;
using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Tests.Infrastructure;
using EdgeTwin.OpcUa.Transport;

namespace EdgeTwin.OpcUa.Tests.Transport;

public class UaTcpChunkScannerTests
{
    // Fact sheet §10: Hello for opc.tcp://localhost:4840, 65536-byte buffers, no message limits. The sheet
    // prints MessageSize 0x34, but its own sum 8 + 20 + 4 + 24 is 56 (0x38): the sum is right, the 0x34 is not.
    private const string HelloHex =
        "48454C46 38000000 00000000 00000100 00000100 00000000 00000000 18000000" +
        "6F70632E7463703A2F2F6C6F63616C686F73743A34383430";

    private const string AcknowledgeHex = "41434B46 1C000000 00000000 00000100 00800000 00002000 00010000";

    [Fact]
    public void Hello_MatchesTheFactSheetLayout()
    {
        var output = new ArrayBufferWriter<byte>();
        UaTcpConnection.WriteHello(output, new UaTcpHello(0, 65536, 65536, 0, 0, "opc.tcp://localhost:4840"));
        Assert.Equal(Hex.Of(Hex.Bytes(HelloHex)), Hex.Of(output.WrittenSpan));
    }

    [Fact]
    public void Acknowledge_DecodesAndNegotiates()
    {
        var bytes = Hex.Bytes(AcknowledgeHex);
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(UaTcpChunkScanner.TryRead(ref buffer, 65536, out var header, out var chunk));
        Assert.Equal(UaTcpMessageType.Acknowledge, header.MessageType);
        var ack = UaTcpConnection.DecodeAcknowledge(header, chunk);
        Assert.Equal(new UaTcpAcknowledge(0, 65536, 32768, 2 << 20, 256), ack);
        var limits = UaTcpNegotiatedLimits.Negotiate(new UaTcpHello(0, 65536, 65536, 1 << 24, 4096, "opc.tcp://x"), ack);
        Assert.Equal(65536u, limits.SendChunkSize);
        Assert.Equal(32768u, limits.ReceiveChunkSize);
        Assert.Equal(2u << 20, limits.MaxRequestSize);
        Assert.Equal(256u, limits.MaxRequestChunks);
        Assert.Equal(4096u, limits.MaxResponseChunks);
    }

    [Theory]
    [InlineData(65537u, 65536u)] // server receive buffer above our send buffer
    [InlineData(65536u, 4096u)] // below the 8192 floor
    public void Negotiate_RejectsAnAcknowledgeOutsideTheRules(uint serverReceive, uint serverSend)
    {
        var ex = Assert.Throws<UaTcpProtocolException>(() =>
            UaTcpNegotiatedLimits.Negotiate(new UaTcpHello(0, 65536, 65536, 0, 0, "opc.tcp://x"), new UaTcpAcknowledge(0, serverReceive, serverSend, 0, 0)));
        Assert.Equal(StatusCode.BadTcpNotEnoughResources, ex.Status);
    }

    [Fact]
    public void Error_IsTurnedIntoAnExceptionWithTheServersStatusAndReason()
    {
        var body = Hex.Write((ref UaBinaryWriter w) => new UaTcpError(StatusCode.BadTcpEndpointUrlInvalid, "no such endpoint").WriteBody(ref w));
        var bytes = new byte[8 + body.Length];
        UaTcpChunkScanner.WriteHeader(bytes, UaTcpMessageType.Error, UaTcpChunkType.Final, (uint)bytes.Length);
        body.CopyTo(bytes, 8);
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(UaTcpChunkScanner.TryRead(ref buffer, 65536, out var header, out var chunk));
        var ex = Assert.Throws<UaTcpProtocolException>(() => UaTcpConnection.DecodeAcknowledge(header, chunk));
        Assert.Equal(StatusCode.BadTcpEndpointUrlInvalid, ex.Status);
        Assert.Contains("no such endpoint", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoChunks_SplitAtEveryByte_AreFramedOnlyWhenComplete_AndNothingIsConsumedBefore()
    {
        var stream = Hex.Bytes(AcknowledgeHex + HelloHex);
        for (var cut = 0; cut <= stream.Length; cut++)
        {
            // Only the first `cut` bytes have arrived, in two segments split at every point.
            for (var split = 0; split <= cut; split++)
            {
                var arrived = Segments.Split(stream[..cut], split);
                var buffer = arrived;
                var framed = new List<UaTcpMessageType>();
                while (UaTcpChunkScanner.TryRead(ref buffer, 65536, out var header, out var chunk))
                {
                    Assert.Equal(header.MessageSize, (uint)chunk.Length);
                    framed.Add(header.MessageType);
                }

                var expected = cut >= stream.Length ? 2 : cut >= 28 ? 1 : 0;
                Assert.Equal(expected, framed.Count);
                Assert.Equal(arrived.Length - (expected == 0 ? 0 : expected == 1 ? 28 : stream.Length), buffer.Length);
            }
        }
    }

    [Fact]
    public void OneBytePerSegment_FramesBothChunks()
    {
        var buffer = Segments.OneBytePerSegment(Hex.Bytes(AcknowledgeHex + HelloHex));
        Assert.True(UaTcpChunkScanner.TryRead(ref buffer, 65536, out var first, out _));
        Assert.True(UaTcpChunkScanner.TryRead(ref buffer, 65536, out var second, out _));
        Assert.False(UaTcpChunkScanner.TryRead(ref buffer, 65536, out _, out _));
        Assert.Equal((UaTcpMessageType.Acknowledge, UaTcpMessageType.Hello), (first.MessageType, second.MessageType));
    }

    [Fact]
    public void OverLimitSize_IsRejectedAtTheHeader_BeforeTheBodyArrives()
    {
        // A MSG chunk declaring 1 MiB with only its 8-byte header present.
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("4D534746 00001000"));
        var ex = Assert.Throws<UaTcpProtocolException>(() => UaTcpChunkScanner.TryRead(ref buffer, 65536, out _, out _));
        Assert.Equal(StatusCode.BadTcpMessageTooLarge, ex.Status);
    }

    [Theory]
    [InlineData("58595A46 08000000")] // "XYZ" is no message type
    [InlineData("48454C43 08000000")] // HEL cannot be an intermediate chunk
    [InlineData("4D534758 08000000")] // chunk type 'X'
    [InlineData("4D534746 07000000")] // size below the header
    public void InvalidHeaders_AreRejected(string hex)
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes(hex));
        Assert.Throws<UaTcpProtocolException>(() => UaTcpChunkScanner.TryRead(ref buffer, 65536, out _, out _));
    }

    [Fact]
    public void FewerThanEightBytes_IsNeedMoreData()
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("4D5347"));
        Assert.False(UaTcpChunkScanner.TryRead(ref buffer, 65536, out _, out _));
        Assert.Equal(3, buffer.Length);
    }
}

public class UaTcpChunkScannerFuzzTests
{
    /// <summary>
    /// Seeded random byte streams, and mutations of valid ones: the scanner frames, asks for more, or rejects
    /// the header; it never throws anything else, never frames past the buffer, and never loops.
    /// </summary>
    [Fact]
    public void RandomAndMutatedStreams_AreFramedOrRejectedCleanly()
    {
        var random = new Random(7340);
        var valid = Hex.Bytes("41434B46 1C000000 00000000 00000100 00800000 00002000 00010000 4D534746 10000000 01000000 02000000");
        var outcomes = new int[3];
        for (var round = 0; round < 20_000; round++)
        {
            byte[] bytes;
            if (round % 2 == 0)
            {
                bytes = new byte[random.Next(0, 64)];
                random.NextBytes(bytes);
            }
            else
            {
                bytes = (byte[])valid.Clone();
                for (var i = random.Next(1, 4); i > 0; i--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }
            }

            var buffer = Segments.Split(bytes, random.Next(0, bytes.Length + 1));
            try
            {
                var framed = 0;
                while (UaTcpChunkScanner.TryRead(ref buffer, 1024, out var header, out var chunk))
                {
                    Assert.Equal(header.MessageSize, (ulong)chunk.Length);
                    Assert.InRange(header.MessageSize, 8u, 1024u);
                    Assert.True(++framed <= bytes.Length / 8);
                }

                outcomes[framed > 0 ? 0 : 1]++;
            }
            catch (UaTcpProtocolException)
            {
                outcomes[2]++;
            }
        }

        Assert.All(outcomes, count => Assert.True(count > 0));
    }
}
