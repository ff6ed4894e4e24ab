using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.OpcUa.Client;
using EdgeTwin.OpcUa.Tests.Infrastructure;
using EdgeTwin.OpcUa.Types;
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

    [Theory]
    [InlineData(BuiltInType.Int64)]
    [InlineData(BuiltInType.UInt64)]
    [InlineData(BuiltInType.Float)]
    [InlineData(BuiltInType.SByte)]
    public void ToPointValue_Numbers_BecomeNumbers(BuiltInType type)
    {
        var variant = type switch
        {
            BuiltInType.Int64 => new Variant(-9_000_000_000L),
            BuiltInType.UInt64 => new Variant(9_000_000_000UL),
            BuiltInType.Float => new Variant(2.5f),
            _ => new Variant((sbyte)-3),
        };
        var value = OpcUaSource.ToPointValue(variant, out var error);
        Assert.Null(error);
        Assert.Equal(PointValueKind.Number, value.Kind);
        Assert.Equal(type switch { BuiltInType.Int64 => -9e9, BuiltInType.UInt64 => 9e9, BuiltInType.Float => 2.5, _ => -3 }, value.Number);
    }

    [Fact]
    public void ToPointValue_BooleansStringsAndUnsupportedTypes()
    {
        Assert.Equal(PointValue.FromBoolean(true), OpcUaSource.ToPointValue(new Variant(true), out _));
        Assert.Equal(PointValue.FromString("Grüße"), OpcUaSource.ToPointValue(new Variant("Grüße"), out _));
        Assert.Equal(PointValueKind.None, OpcUaSource.ToPointValue(default, out var none).Kind);
        Assert.Null(none);
        OpcUaSource.ToPointValue(new Variant(Guid.Empty), out var guid);
        Assert.Contains("Guid", guid, StringComparison.Ordinal);
        OpcUaSource.ToPointValue(Variant.FromArray(BuiltInType.Int32, new[] { 1, 2 }), out var array);
        Assert.Contains("array", array, StringComparison.Ordinal);
    }

    private static OpcUaSourceConfig Source(string url, params OpcUaNodeConfig[] nodes) => new()
    {
        Name = "plc",
        Url = url,
        ReconnectMinSeconds = 0.2,
        ReconnectMaxSeconds = 1,
        Groups = [new OpcUaNodeGroupConfig { Mode = OpcUaGroupMode.Subscription, PublishingIntervalMs = 100, SamplingIntervalMs = 0, Nodes = [.. nodes] }],
    };

    private static Running Run(OpcUaSourceConfig config, IIngestWriter writer) =>
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

    private sealed class Running : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public Running(OpcUaSource source, IIngestWriter writer)
        {
            Source = source;
            _run = Task.Run(() => source.RunAsync(writer, _stop.Token));
        }

        public OpcUaSource Source { get; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _run);
        }
    }

    /// <summary>Holds every batch until the test makes it durable or fails it.</summary>
    private sealed class HeldWriter(bool completeAtOnce = false) : IIngestWriter
    {
        private readonly Lock _gate = new();
        private readonly List<IngestBatch> _held = [];
        private readonly List<Reading> _readings = [];

        public int Batches
        {
            get { lock (_gate) return _held.Count; }
        }

        public List<Reading> Readings
        {
            get { lock (_gate) return [.. _readings]; }
        }

        public ValueTask WriteAsync(IngestBatch batch, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                foreach (var r in batch.Readings) _readings.Add(r);
                if (!completeAtOnce)
                {
                    _held.Add(batch);
                    return ValueTask.CompletedTask;
                }
            }

            batch.Complete(new IngestResult(batch.Count, 0, 0, 0));
            return ValueTask.CompletedTask;
        }

        public int CompleteAll() => Release(b => b.Complete(new IngestResult(b.Count, 0, 0, 0)));

        public int FailAll() => Release(b => b.Fail(new OperationCanceledException("gateway stopping")));

        public string? GetCheckpoint(string key) => null;

        private int Release(Action<IngestBatch> action)
        {
            List<IngestBatch> batches;
            lock (_gate)
            {
                batches = [.. _held];
                _held.Clear();
            }

            foreach (var b in batches) action(b);
            return batches.Count;
        }
    }
}
