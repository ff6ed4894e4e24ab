using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Connectors.Tests.Infrastructure;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.OpcUa.Client;
using EdgeTwin.TestSupport.OpcUa;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeTwin.Connectors.Tests.OpcUa;

/// <summary>The OPC UA source against a real node-opcua server, with an ingest writer the test controls.</summary>
public sealed class OpcUaSourceTests
{
    private const string Tick = "nsu=urn:edgetwin:test;s=Tick00000";

    [Fact]
    public async Task Notifications_AreAcknowledgedOnlyOnceTheirBatchIsDurable()
    {
        await using var server = await OpcUaTestServer.StartAsync("--tick-ms", "100");
        var writer = new HeldWriter();
        await using (var running = Run(Source(server.EndpointUrl, new OpcUaNodeConfig { Node = Tick, Asset = "ticker", Metric = "t" }), writer))
        {
            await Until(() => writer.Batches >= 5, "five notification batches");
            await Task.Delay(500);
            Assert.Equal(0, running.Source.Acknowledged);

            var made = writer.CompleteAll();
            await Until(() => running.Source.Acknowledged >= made, $"{made} acknowledgements");

            // A batch that cannot be made durable (the gateway stopping) is never acknowledged.
            await Until(() => writer.Batches > 0, "more batches");
            var before = running.Source.Acknowledged;
            writer.FailAll();
            await Task.Delay(500);
            Assert.Equal(before, running.Source.Acknowledged);
        }

        var reading = writer.Readings[0];
        Assert.Equal("opcua:" + Tick, reading.Address);
        Assert.Equal("ticker", reading.AssetId);
        Assert.Equal("t", reading.Metric);
        Assert.Equal(0u, reading.StatusCode);
        Assert.Null(reading.Error);
        // The value is the tick number k and the source timestamp k × 100 ms: the server's timestamp is kept.
        Assert.Equal(DateTime.UnixEpoch.AddMilliseconds(reading.Value.Number * 100).Ticks, reading.TimestampTicks);
    }

    [Fact]
    public async Task UnknownNode_IsQuarantinedAsUnavailable_NamingTheEndpointAndNode()
    {
        await using var server = await OpcUaTestServer.StartAsync("--tick-ms", "100");
        var writer = new HeldWriter(completeAtOnce: true);
        const string missing = "nsu=urn:edgetwin:test;s=NoSuchNode";
        await using (var running = Run(Source(server.EndpointUrl, new OpcUaNodeConfig { Node = missing, Asset = "ticker", Metric = "gone" }, new OpcUaNodeConfig { Node = Tick, Asset = "ticker", Metric = "t" }), writer))
        {
            await Until(() => writer.Readings.Any(r => r.Error is not null) && writer.Readings.Any(r => r.Error is null), "the failed item and a good value");
            Assert.Equal(1, running.Source.Unavailable);
        }

        var failed = Assert.Single(writer.Readings, r => r.Error is not null);
        Assert.Equal(QuarantineReason.NodeUnavailable, failed.ErrorReason);
        Assert.Equal("opcua:" + missing, failed.Address);
        Assert.Contains(server.EndpointUrl, failed.Error, StringComparison.Ordinal);
        Assert.Contains(missing, failed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(writer.Readings, r => r.Error is null && r.Metric == "gone");
    }

    private static OpcUaSourceConfig Source(string url, params OpcUaNodeConfig[] nodes) => new()
    {
        Name = "plc",
        Url = url,
        ReconnectMinSeconds = 0.2,
        ReconnectMaxSeconds = 1,
        Groups = [new OpcUaNodeGroupConfig { Mode = OpcUaGroupMode.Subscription, PublishingIntervalMs = 100, SamplingIntervalMs = 0, Nodes = [.. nodes] }],
    };

    private static RunningSource<OpcUaSource> Run(OpcUaSourceConfig config, IIngestWriter writer) =>
        new(new OpcUaSource(config, "$.sources.opcua[0]", TimeProvider.System, NullLogger<OpcUaSource>.Instance, NullLogger<UaClient>.Instance), writer);

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(20);
        }
    }
}
