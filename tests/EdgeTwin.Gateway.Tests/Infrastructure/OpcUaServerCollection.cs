using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>The gateway tests that share one node-opcua server (<see cref="OpcUaServerFixture"/>).</summary>
[CollectionDefinition(OpcUaServerFixture.CollectionName)]
public sealed class OpcUaServerCollection : ICollectionFixture<OpcUaServerFixture>;
