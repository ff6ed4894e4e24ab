using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using LiteDB;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

public class StreamCatalogTests
{
    [Fact]
    public void GetOrAdd_SameDescriptorTwice_ReturnsTheSameIdAndNewOnesTheNext()
    {
        var catalog = new StreamCatalog();
        var a = Stream("a", "m");

        var first = catalog.GetOrAdd(a);

        Assert.Equal(first, catalog.GetOrAdd(Stream("a", "m")));
        Assert.Equal(first + 1, catalog.GetOrAdd(Stream("b", "m")));
        Assert.Equal(a, catalog.Get(first));
        Assert.Null(catalog.Get(0));
        Assert.Null(catalog.Get(-1));
        Assert.Null(catalog.Get(first + 2));
        Assert.Equal(2, catalog.Count);
    }

    [Fact]
    public void Streams_WithTagsModelVersionAndEventKind_ReadBackEqualAfterReopen()
    {
        using var ctx = new QueueContext();
        var model = new StreamDescriptor("pump-3", "anomaly_score", "onnx:pump-iforest", [new("unit", "1"), new("window", "60s")], "pump-iforest", "v1.2", EventKind.Anomaly);
        var plain = new StreamDescriptor("pump-3", "speed", "opcua:nsu=urn:plc;s=Pump3.Speed");
        var sameSeriesOtherSource = new StreamDescriptor("pump-3", "speed", "mqtt:plant/pump-3/speed", [new("unit", "rpm")]);
        var points = new List<TelemetryPoint>
        {
            new(model, At(1), PointValue.FromNumber(0.93), Quality.Good, 0),
            new(plain, At(1), PointValue.FromNumber(1450), Quality.Good, 0),
            new(sameSeriesOtherSource, At(2), PointValue.FromNumber(1460), Quality.Good, 0),
        };
        var queue = ctx.Open();
        queue.CommitPoints(points);
        queue.Dispose();

        using var reopened = ctx.Open();

        var read = reopened.ReadAllPoints();
        AssertSame(points, read);
        Assert.Equal("v1.2", read[0].Stream.ModelVersion);
        Assert.Equal(EventKind.Anomaly, read[0].Stream.EventKind);
        Assert.Equal(3, reopened.Streams.Count);
    }

    [Fact]
    public void StreamReadAtOpen_ThatTheProcessHolds_IsThatInstance_NotACopy()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        queue.CommitPoints([Number(Stream("a", "m"), 1, 1), Number(Stream("b", "m"), 1, 2)]);
        queue.Dispose();
        var own = Stream("a", "m");
        var options = ctx.Options();
        options.KnownStream = s => s.Equals(own) ? own : null;

        using var reopened = ctx.Open(options);

        var read = reopened.ReadAllPoints();
        Assert.Same(own, read.Single(p => p.Stream.AssetId == "a").Stream);
        Assert.Equal(Stream("b", "m"), read.Single(p => p.Stream.AssetId == "b").Stream);
        Assert.Equal(2, reopened.Streams.Count);
    }

    [Fact]
    public void DerivedStream_ReadAtOpen_IsTheRegistrysInstance_AndKeepsItsId()
    {
        using var ctx = new QueueContext();
        var whole = new StreamDescriptor("pump-1", "speed", "sim:pump-1/speed");
        var queue = ctx.Open();
        queue.CommitPoints([Number(whole, 1, 1)]);
        var id = queue.Streams.GetOrAdd(whole);
        queue.Dispose();
        var registry = new Core.Assets.AssetRegistry([new Core.Config.AssetConfig { Id = "pump-1" }], []);
        var own = registry.AddDerivedMapping("sim:", "pump-1", "speed", null).Target.Stream;
        var options = ctx.Options();
        options.KnownStream = registry.Known;

        using var reopened = ctx.Open(options);

        Assert.Equal("sim:", own.SourcePrefix);
        Assert.Same(own, reopened.ReadAllPoints().Single().Stream);
        Assert.Equal(id, reopened.Streams.GetOrAdd(own));
        Assert.Equal(id, reopened.Streams.GetOrAdd(new StreamDescriptor("pump-1", "speed", "sim:pump-1/speed")));
        Assert.Equal(1, reopened.Streams.Count);
    }

    [Fact]
    public void IdsByEquality_HoldForManyStreams_AndForInstancesTwoCatalogsShare()
    {
        // The id table grows many times over; the hint an instance carries is one catalog's, checked by each.
        var first = new StreamCatalog();
        var second = new StreamCatalog();
        var streams = Enumerable.Range(0, 20_000).Select(i => new StreamDescriptor($"pump-{i / 5}", $"m{i % 5}", $"sim:{i}")).ToList();
        var ids = streams.Select(first.GetOrAdd).ToList();
        second.GetOrAdd(Stream("other", "m"));
        var secondIds = streams.Select(second.GetOrAdd).ToList();

        for (var i = 0; i < streams.Count; i++)
        {
            Assert.Equal(ids[i], first.GetOrAdd(streams[i]));
            Assert.Equal(secondIds[i], second.GetOrAdd(streams[i]));
            Assert.Same(streams[i], first.Get(ids[i]));
            // An equal instance finds the id by equality (and becomes the catalog's instance).
            Assert.Equal(ids[i], first.GetOrAdd(new StreamDescriptor($"pump-{i / 5}", $"m{i % 5}", $"sim:{i}")));
        }
        Assert.Equal(Enumerable.Range(1, streams.Count), ids);
        Assert.Equal(Enumerable.Range(2, streams.Count), secondIds);
        Assert.Equal(streams.Count, first.Count);
        Assert.Equal(streams.Count + 1, second.Count);
    }

    [Fact]
    public void ManyNewStreams_AreWrittenAsFewRecords_AndReadBackEqualAfterReopen()
    {
        using var ctx = new QueueContext();
        const int count = StreamCatalog.StreamsPerRecord * 3 + 17;
        var points = Enumerable.Range(0, count)
            .Select(i => Number(new StreamDescriptor($"pump-{i / 5}", $"m{i % 5}", $"sim:{i}", i % 3 == 0 ? [new("unit", "bar")] : null,
                i % 7 == 0 ? "pump-model" : null, i % 7 == 0 ? "v" + i : null, (EventKind)(i % 2)), i, i))
            .ToList();
        var queue = ctx.Open();
        queue.CommitPoints(points);
        queue.Dispose();
        using (var db = new LiteDatabase(new ConnectionString { Filename = ctx.DatabasePath, Connection = ConnectionType.Direct }))
        {
            Assert.Equal(4, db.GetCollection("streams").Count());
        }

        using var reopened = ctx.Open();

        AssertSame(points, reopened.ReadAllPoints());
        Assert.Equal(count, reopened.Streams.Count);
        Assert.Empty(reopened.Recovery.Problems);
        Assert.Equal(0, reopened.Recovery.CorruptSegmentsQuarantined);
    }

    [Fact]
    public void DamagedCatalogRecord_IsReported_ItsSegmentsAreQuarantined_AndTheRestIsKept()
    {
        using var ctx = new QueueContext();
        var early = Enumerable.Range(0, StreamCatalog.StreamsPerRecord).Select(i => Number(Stream($"a{i}", "m"), i, i)).ToList();
        var late = Series(Stream("late", "m"), 0, 5);
        var queue = ctx.Open();
        queue.CommitPoints(early);
        queue.CommitPoints(late);
        queue.Dispose();
        using (var db = new LiteDatabase(new ConnectionString { Filename = ctx.DatabasePath, Connection = ConnectionType.Direct }))
        {
            var streams = db.GetCollection("streams");
            var first = streams.FindById(1);
            var blob = first["b"].AsBinary;
            blob[blob.Length / 2] ^= 0x5A;
            first["b"] = blob;
            streams.Update(first);
        }

        using var reopened = ctx.Open();

        var problem = Assert.Single(reopened.Recovery.Problems, p => p.Contains("stream catalog record 1", StringComparison.Ordinal));
        Assert.Contains("checksum mismatch", problem);
        Assert.Equal(1, reopened.Recovery.CorruptSegmentsQuarantined);
        Assert.Single(reopened.ListQuarantine(reason: QuarantineReason.CorruptRecord));
        AssertSame(late, reopened.ReadAllPoints());
        // The daemon goes on: new points, also of a stream it could not read back, are committed and read.
        var again = Series(Stream("a0", "m"), 100, 3);
        reopened.CommitPoints(again);
        AssertSame([.. late, .. again], reopened.ReadAllPoints());
    }

    [Fact]
    public void CatalogOfTheFirstLayout_OneDocumentPerStream_IsReadAndExtended()
    {
        using var ctx = new QueueContext();
        var a = new StreamDescriptor("pump-1", "speed", "sim:p1", [new("unit", "rpm")], "pump", "v2", EventKind.None);
        var b = Stream("pump-2", "flow");
        var before = new List<TelemetryPoint> { Number(a, 1, 10), Number(b, 1, 20) };
        var queue = ctx.Open();
        queue.CommitPoints(before);
        queue.Dispose();
        using (var db = new LiteDatabase(new ConnectionString { Filename = ctx.DatabasePath, Connection = ConnectionType.Direct }))
        {
            var streams = db.GetCollection("streams");
            streams.DeleteAll();
            var id = 1;
            foreach (var s in new[] { a, b })
            {
                var tags = new BsonDocument();
                foreach (var t in s.Tags) tags[t.Key] = t.Value;
                streams.Insert(new BsonDocument
                {
                    ["_id"] = id++, ["a"] = s.AssetId, ["m"] = s.Metric, ["s"] = s.Source, ["t"] = tags,
                    ["mo"] = s.Model is null ? BsonValue.Null : s.Model, ["mv"] = s.ModelVersion is null ? BsonValue.Null : s.ModelVersion, ["ev"] = (int)s.EventKind,
                });
            }
        }

        var reopened = ctx.Open();
        var after = new List<TelemetryPoint> { Number(Stream("pump-3", "power"), 2, 30), Number(a, 2, 11) };
        reopened.CommitPoints(after);
        reopened.Dispose();
        using var third = ctx.Open();

        AssertSame([.. before, .. after], third.ReadAllPoints());
        Assert.Equal(3, third.Streams.Count);
        Assert.Empty(third.Recovery.Problems);
    }
}
