using EdgeTwin.OpcUa.Client;
using EdgeTwin.OpcUa.Pki;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Tests.SecureChannel.Security;

/// <summary>The server's certificate is judged on every connection: unknown ones are refused and kept for a technician.</summary>
[Collection(SecuredServerCollection.Name)]
public sealed class ServerTrustTests(SecuredServerFixture fixture)
{
    [Fact]
    public async Task UnknownServer_IsRefused_KeptInRejected_ThenTrustedWithoutRestart()
    {
        using var directory = new TestDirectory("pki");
        var pki = new UaPki(directory.Path).EnsureLayout();
        await using var client = new UaClient(new UaClientOptions
        {
            EndpointUrl = fixture.EndpointUrl,
            Channel = fixture.Channel("Basic256Sha256", MessageSecurityMode.SignAndEncrypt, pki),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        });
        client.Start();
        Wait.Until(() => UaPki.Read(pki.RejectedCerts).Count == 1 && client.StateDetail.Contains("not trusted", StringComparison.Ordinal), TimeSpan.FromSeconds(60), () => client.StateDetail);

        Assert.NotEqual(UaClientState.Connected, client.State);
        Assert.Contains("BadCertificateUntrusted", client.StateDetail, StringComparison.Ordinal);
        Assert.Contains("edgetwin opcua cert trust", client.StateDetail, StringComparison.Ordinal);
        Assert.Contains(pki.TrustedCerts, client.StateDetail, StringComparison.Ordinal);
        var (rejected, file) = UaPki.Read(pki.RejectedCerts)[0];
        Assert.Contains(rejected.Thumbprint, client.StateDetail, StringComparison.Ordinal);
        var firstSeen = File.GetLastWriteTimeUtc(file);
        await Task.Delay(300);
        Assert.Equal(firstSeen, File.GetLastWriteTimeUtc(file));

        // The same running client, the same validator: the next attempt finds the certificate trusted.
        pki.Trust(rejected);
        await client.WaitConnectedAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(UaPki.Read(pki.RejectedCerts));
        var value = await client.ReadValuesAsync([ExpandedNodeId.Parse("nsu=urn:edgetwin:test;s=Scalar.Int32")]);
        Assert.Equal(int.MinValue, value[0].Value.AsInt32());
    }

    [Fact]
    public async Task ServerReachedByAnAddressItsCertificateDoesNotName_IsRefused()
    {
        var url = $"opc.tcp://127.0.0.1:{fixture.Server.Port}/UA/EdgeTwinTest";
        var ex = await Assert.ThrowsAsync<UaServiceException>(() => UaSecureChannel.OpenAsync(url, fixture.Channel("Basic256Sha256", MessageSecurityMode.Sign)));
        Assert.True(ex.Status.Is(StatusCode.BadCertificateHostNameInvalid), ex.Message);
        Assert.Contains("'127.0.0.1'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(SecuredServerFixture.HostName, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrustOnFirstUse_TrustsAndConnects()
    {
        using var directory = new TestDirectory("pki");
        var pki = new UaPki(directory.Path).EnsureLayout();
        var options = new UaSecureChannelOptions
        {
            Security = fixture.Security("Aes128_Sha256_RsaOaep", MessageSecurityMode.Sign) with { Validator = new UaPkiValidator(pki, trustOnFirstUse: true) },
        };
        await using var channel = await UaSecureChannel.OpenAsync(fixture.EndpointUrl, options);
        Assert.Single(UaPki.Read(pki.TrustedCerts));
        Assert.Empty(UaPki.Read(pki.RejectedCerts));
    }
}
