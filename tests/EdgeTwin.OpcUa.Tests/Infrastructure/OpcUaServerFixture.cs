namespace EdgeTwin.OpcUa.Tests.Infrastructure;

/// <summary>One node-opcua server shared by the tests of a collection.</summary>
public sealed class OpcUaServerFixture : IAsyncLifetime
{
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

[CollectionDefinition(Name)]
public sealed class OpcUaServerCollection : ICollectionFixture<OpcUaServerFixture>
{
    public const string Name = "node-opcua server";
}
