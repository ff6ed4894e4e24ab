using EdgeTwin.OpcUa.Tests.Infrastructure;
using EdgeTwin.OpcUa.Transport;

namespace EdgeTwin.OpcUa.Tests.Transport;

[Collection(OpcUaServerCollection.Name)]
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
}
