using Xunit;

namespace EdgeTwin.TestSupport.OpcUa;

/// <summary>
/// One node-opcua server shared by the tests of a collection. xunit finds collection definitions only in the test
/// assembly, so each test project declares its own <c>[CollectionDefinition]</c> of this fixture.
/// </summary>
public sealed class OpcUaServerFixture : IAsyncLifetime
{
    /// <summary>The name each test project gives its collection of this fixture.</summary>
    public const string CollectionName = "node-opcua server";

    private OpcUaTestServer? _server;

    public OpcUaTestServer Server => _server ?? throw new InvalidOperationException("the server has not started");

    public string EndpointUrl => Server.EndpointUrl;

    public async Task InitializeAsync() => _server = await OpcUaTestServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
