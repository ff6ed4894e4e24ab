using System.Net;
using EdgeTwin.OpcUa.Pki;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.SecureChannel.Security;

/// <summary>
/// A node-opcua server with 10,000 items and a user, and a client PKI folder with our certificate and the server's
/// trusted. The server is reached by the host name its certificate names.
/// </summary>
public sealed class SecuredServerFixture : IAsyncLifetime
{
    public const string User = "operator";
    public const string Password = "pässword-1";
    public const int Items = 10_000;

    private readonly TestDirectory _directory = new("pki");
    private OpcUaTestServer? _server;

    public OpcUaTestServer Server => _server!;

    public UaPki Pki { get; private set; } = null!;

    public System.Security.Cryptography.X509Certificates.X509Certificate2 Own { get; private set; } = null!;

    public static string HostName => Dns.GetHostName();

    public string EndpointUrl => $"opc.tcp://{HostName}:{Server.Port}/UA/EdgeTwinTest";

    public async Task InitializeAsync()
    {
        _server = await OpcUaTestServer.StartAsync("--items", Items.ToString(System.Globalization.CultureInfo.InvariantCulture), "--users", $"{User}:{Password}");
        Pki = new UaPki(_directory.Path).EnsureLayout();
        Own = Pki.LoadOrCreateOwn("urn:edgetwin:gateway", HostName, DateTimeOffset.UtcNow);
        var endpoints = await UaDiscovery.GetEndpointsAsync(EndpointUrl);
        Pki.Trust(UaCertificateChain.Split(endpoints.First(e => e.ServerCertificate is { Length: > 0 }).ServerCertificate)[0]);
    }

    public UaChannelSecurity Security(string policy, MessageSecurityMode mode, UaPki? pki = null) => new()
    {
        Policy = policy,
        Mode = mode,
        ClientCertificate = () => Own,
        Validator = new UaPkiValidator(pki ?? Pki),
    };

    public UaSecureChannelOptions Channel(string policy, MessageSecurityMode mode, UaPki? pki = null) => new() { Security = Security(policy, mode, pki) };

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SecuredServerCollection : ICollectionFixture<SecuredServerFixture>
{
    public const string Name = "node-opcua server, secured";
}
