using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Tests.Infrastructure;

namespace EdgeTwin.OpcUa.Tests.SecureChannel;

/// <summary>
/// What a server does instead of answering OpenSecureChannel ends the open at once, with the server's own status:
/// never the 30 s request timeout.
/// </summary>
public class OpenSecureChannelFailureTests
{
    [Fact]
    public async Task ErrorInsteadOfTheOpenResponse_FailsTheOpen_WithTheServersStatusAndReason()
    {
        await using var peer = new ScriptedUaPeer();
        var opening = UaSecureChannel.OpenAsync(peer.EndpointUrl);
        await peer.AcceptHelloAsync();
        var open = await peer.ReadChunkAsync();
        Assert.Equal("OPNF", System.Text.Encoding.ASCII.GetString(open, 0, 4));

        await peer.SendErrorAsync(StatusCode.BadTcpMessageTooLarge.Code, "the response exceeds the client's MaxMessageSize");

        var ex = await Assert.ThrowsAsync<UaServiceException>(() => opening);
        Assert.Equal(StatusCode.BadTcpMessageTooLarge, ex.Status);
        Assert.Contains("the response exceeds the client's MaxMessageSize", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CloseInsteadOfTheOpenResponse_FailsTheOpen_AsAClosedConnection()
    {
        await using var peer = new ScriptedUaPeer();
        var opening = UaSecureChannel.OpenAsync(peer.EndpointUrl);
        await peer.AcceptHelloAsync();
        await peer.ReadChunkAsync();

        peer.Close();

        var ex = await Assert.ThrowsAsync<UaServiceException>(() => opening);
        Assert.Equal(StatusCode.BadConnectionClosed, ex.Status);
        Assert.Contains("the server closed the connection", ex.Message, StringComparison.Ordinal);
    }
}
