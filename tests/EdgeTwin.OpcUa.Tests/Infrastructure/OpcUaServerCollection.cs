using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.Infrastructure;

/// <summary>The client tests that share one node-opcua server (<see cref="OpcUaServerFixture"/>).</summary>
[CollectionDefinition(OpcUaServerFixture.CollectionName)]
public sealed class OpcUaServerCollection : ICollectionFixture<OpcUaServerFixture>;
