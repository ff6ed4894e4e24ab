using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Storage.Tests.Infrastructure;
using static EdgeTwin.Storage.Tests.Infrastructure.QueueDriver;
using static EdgeTwin.Storage.Tests.Infrastructure.TestPoints;

namespace EdgeTwin.Storage.Tests;

public class DurableQueueRecordsTests
{
    private static readonly StreamDescriptor Pressure = Stream("line-1", "pressure");

    [Fact]
    public void ListQuarantine_CommittedRecords_ComeBackWithReasonDetailAndRawInput()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var now = ctx.Clock.UtcTicks;
        var numeric = Record(now, QuarantineReason.MissingAsset, address: "plant/x/pressure", detail: "no asset for 'plant/x/pressure'", raw: "{\"v\":42.5}");
        var text = new QuarantineRecord(QuarantineReason.InvalidPayload, "line 1: unexpected '}'", "mqtt:plant", now + 1,
            new Reading("plant/y", 0, PointValue.FromString("on ✓"), Raw: "{\"v\":\"on ✓\"}}"));
        var flag = new QuarantineRecord(QuarantineReason.ClockSkewFuture, "timestamp is a year ahead", "opcua:plc-1", now + 2,
            new Reading("nsu=urn:plc;s=Line1.Running", At(86400 * 365), PointValue.FromBoolean(true), 0x80000000, Quality.Bad, "line-1", "running"));
        var none = new QuarantineRecord(QuarantineReason.MissingValue, "no value", "sim", now + 3, new Reading("sim/a", At(1), PointValue.None));

        queue.CommitPoints(Series(Pressure, 0, 2), r => r.Quarantine.AddRange([numeric, text, flag, none]));

        AssertRecords([numeric, text, flag, none], queue.ListQuarantine());
        Assert.Equal(4, queue.GetStats().QuarantineEntries);
        queue.Dispose();
        using var reopened = ctx.Open();
        AssertRecords([numeric, text, flag, none], reopened.ListQuarantine());
        Assert.Equal(4, reopened.GetStats().QuarantineEntries);
    }

    [Fact]
    public void ListQuarantine_ByReasonLimitAndAfterId_PagesThroughTheEntriesOldestFirst()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var now = ctx.Clock.UtcTicks;
        queue.CommitRecords(
            Record(now, QuarantineReason.MissingAsset, detail: "a"),
            Record(now, QuarantineReason.UnmappedSource, detail: "b"),
            Record(now, QuarantineReason.MissingAsset, detail: "c"),
            Record(now, QuarantineReason.MissingAsset, detail: "d"));

        Assert.Equal(["a", "c", "d"], queue.ListQuarantine(reason: QuarantineReason.MissingAsset).Select(r => r.Detail));
        var page1 = queue.ListQuarantine(limit: 2);
        Assert.Equal(["a", "b"], page1.Select(r => r.Detail));
        Assert.Equal(["c", "d"], queue.ListQuarantine(limit: 2, afterId: page1[^1].Id).Select(r => r.Detail));
        Assert.Empty(queue.ListQuarantine(afterId: queue.ListQuarantine()[^1].Id));
    }

    [Fact]
    public void PurgeQuarantine_ByReason_RemovesOnlyThoseAndRecordsThemInTheLossLedger()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var now = ctx.Clock.UtcTicks;
        queue.CommitRecords(
            Record(now, QuarantineReason.InvalidPayload, detail: "a"), Record(now + 10, QuarantineReason.UnmappedSource, detail: "b"),
            Record(now + 20, QuarantineReason.InvalidPayload, detail: "c"));

        Assert.Equal(2, queue.PurgeQuarantine(QuarantineReason.InvalidPayload, 100, "by a test"));
        Assert.Equal(0, queue.PurgeQuarantine(QuarantineReason.InvalidPayload, 100, "by a test"));

        Assert.Equal(["b"], queue.ListQuarantine().Select(r => r.Detail));
        var loss = Assert.Single(queue.ListLoss());
        Assert.Equal(2, loss.Count);
        Assert.Equal("invalid_payload", loss.Metric);
        Assert.Equal(now, loss.FromTicks);
        Assert.Equal(now + 20, loss.ToTicks);
        Assert.Equal("quarantine_purged: by a test", loss.Reason);
        Assert.Equal(2, queue.GetStats().LostPoints);
        queue.Dispose();
        using var reopened = ctx.Open();
        Assert.Equal(1, reopened.GetStats().QuarantineEntries);
        Assert.Single(reopened.ListLoss());
    }

    [Fact]
    public void Commit_CuredQuarantineIds_RemovesThemWithTheReplayedPoints()
    {
        using var ctx = new QueueContext();
        var queue = ctx.Open();
        var now = ctx.Clock.UtcTicks;
        queue.CommitRecords(Record(now, detail: "a"), Record(now, detail: "b"), Record(now, detail: "c"));
        var listed = queue.ListQuarantine();

        queue.CommitPoints([Number(Pressure, 1, 42.5)], r => r.CuredQuarantineIds.AddRange([listed[0].Id, listed[2].Id]));

        Assert.Equal(["b"], queue.ListQuarantine().Select(r => r.Detail));
        Assert.Equal(1, queue.GetStats().QuarantineEntries);
        Assert.Single(queue.ReadAllPoints());
        queue.Dispose();
        using var reopened = ctx.Open();
        Assert.Equal(["b"], reopened.ListQuarantine().Select(r => r.Detail));
        Assert.Equal(1, reopened.GetStats().QuarantineEntries);
    }

    [Fact]
    public void Commit_CuringAnIdNoLongerQuarantined_LeavesTheCountRight()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open();
        var now = ctx.Clock.UtcTicks;
        queue.CommitRecords(Record(now, detail: "a"), Record(now, detail: "b"));
        var first = queue.ListQuarantine()[0].Id;
        var cure = new CommitRequest();
        cure.CuredQuarantineIds.Add(first);
        queue.Commit(cure);

        var again = new CommitRequest();
        again.CuredQuarantineIds.AddRange([first, 999_999]);
        queue.Commit(again);

        Assert.Equal(1, queue.GetStats().QuarantineEntries);
        Assert.Single(queue.ListQuarantine());
    }

    [Fact]
    public void Maintain_QuarantineOverMaxEntries_EvictsTheOldestAndRecordsTheLoss()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(quarantineMaxEntries: 3));
        var t0 = ctx.Clock.UtcTicks;
        for (var i = 0; i < 5; i++) queue.CommitRecords(Record(t0 + i * TimeSpan.TicksPerSecond, detail: "r" + i));
        Assert.Equal(5, queue.GetStats().QuarantineEntries);

        queue.Maintain();

        Assert.Equal(["r2", "r3", "r4"], queue.ListQuarantine().Select(r => r.Detail));
        var loss = Assert.Single(queue.ListLoss());
        Assert.StartsWith("quarantine_evicted", loss.Reason);
        Assert.Equal(2, loss.Count);
        Assert.Equal(t0, loss.FromTicks);
        Assert.Equal(t0 + TimeSpan.TicksPerSecond, loss.ToTicks);
        Assert.Equal(ctx.Clock.UtcTicks, loss.AtTicks);
        var stats = queue.GetStats();
        Assert.Equal(3, stats.QuarantineEntries);
        Assert.Equal(1, stats.LossRecords);
        Assert.Equal(2, stats.LostPoints);
    }

    [Fact]
    public void Maintain_QuarantineWithinBounds_EvictsNothing()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(quarantineMaxEntries: 3, quarantineMaxAge: TimeSpan.FromDays(14)));
        queue.CommitRecords(Record(ctx.Clock.UtcTicks), Record(ctx.Clock.UtcTicks), Record(ctx.Clock.UtcTicks));
        ctx.Clock.Advance(TimeSpan.FromDays(13));

        queue.Maintain();

        Assert.Equal(3, queue.ListQuarantine().Count);
        Assert.Empty(queue.ListLoss());
    }

    [Fact]
    public void Maintain_QuarantineEntriesOlderThanMaxAge_AreEvictedByTheClock()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(quarantineMaxAge: TimeSpan.FromDays(14)));
        var t0 = ctx.Clock.UtcTicks;
        queue.CommitRecords(Record(t0, detail: "old-1"), Record(t0 + 1, detail: "old-2"));
        queue.Maintain();
        ctx.Clock.Advance(TimeSpan.FromDays(10));
        queue.CommitRecords(Record(ctx.Clock.UtcTicks, detail: "young"));
        queue.Maintain();
        Assert.Equal(3, queue.ListQuarantine().Count);

        ctx.Clock.Advance(TimeSpan.FromDays(4) + TimeSpan.FromMinutes(2));
        queue.Maintain();

        Assert.Equal(["young"], queue.ListQuarantine().Select(r => r.Detail));
        var loss = Assert.Single(queue.ListLoss());
        Assert.StartsWith("quarantine_evicted", loss.Reason);
        Assert.Equal(2, loss.Count);
        Assert.Equal(t0, loss.FromTicks);
        Assert.Equal(t0 + 1, loss.ToTicks);
    }

    [Fact]
    public void Maintain_QuarantineOverMaxBytes_EvictsTheOldestUntilWithinTheBound()
    {
        using var ctx = new QueueContext();
        var sample = Record(ctx.Clock.UtcTicks, padding: 400);
        using var queue = ctx.Open(ctx.Options(quarantineMaxBytes: 3L * sample.ApproximateBytes));
        for (var i = 0; i < 5; i++) queue.CommitRecords(Record(ctx.Clock.UtcTicks + i, detail: "r" + i, padding: 400));

        queue.Maintain();

        Assert.Equal(3, queue.ListQuarantine().Count);
        Assert.Equal(2, Assert.Single(queue.ListLoss()).Count);
    }

    [Fact]
    public void Maintain_CuredEntries_NoLongerCountTowardTheByteBound()
    {
        // Entries a replay cured have left the store: their bytes must not push the remaining ones out.
        using var ctx = new QueueContext();
        var sample = Record(ctx.Clock.UtcTicks, padding: 400);
        using var queue = ctx.Open(ctx.Options(quarantineMaxBytes: 3L * sample.ApproximateBytes));
        for (var i = 0; i < 3; i++) queue.CommitRecords(Record(ctx.Clock.UtcTicks + i, detail: "cured" + i, padding: 400));
        var cure = new CommitRequest();
        cure.CuredQuarantineIds.AddRange(queue.ListQuarantine().Select(r => r.Id));
        queue.Commit(cure);
        queue.CommitRecords(Record(ctx.Clock.UtcTicks + 10, detail: "kept-a", padding: 400), Record(ctx.Clock.UtcTicks + 11, detail: "kept-b", padding: 400));

        queue.Maintain();

        Assert.Equal(2, queue.ListQuarantine().Count);
        Assert.Empty(queue.ListLoss());
    }

    [Fact]
    public void Maintain_EvictedQuarantine_StaysEvictedAndCountedAfterReopen()
    {
        using var ctx = new QueueContext();
        var options = ctx.Options(quarantineMaxEntries: 2);
        var queue = ctx.Open(options);
        for (var i = 0; i < 4; i++) queue.CommitRecords(Record(ctx.Clock.UtcTicks + i, detail: "r" + i));
        queue.Maintain();
        queue.Dispose();

        using var reopened = ctx.Open(options);

        Assert.Equal(["r2", "r3"], reopened.ListQuarantine().Select(r => r.Detail));
        var stats = reopened.GetStats();
        Assert.Equal(2, stats.QuarantineEntries);
        Assert.Equal(1, stats.LossRecords);
        Assert.Equal(2, stats.LostPoints);
    }

    [Fact]
    public void ListLoss_NewestFirstWithLimit()
    {
        using var ctx = new QueueContext();
        using var queue = ctx.Open(ctx.Options(quarantineMaxEntries: 1));
        queue.CommitRecords(Record(ctx.Clock.UtcTicks, detail: "a"), Record(ctx.Clock.UtcTicks, detail: "b"));
        queue.Maintain();
        ctx.Clock.Advance(TimeSpan.FromMinutes(2));
        queue.CommitRecords(Record(ctx.Clock.UtcTicks, detail: "c"), Record(ctx.Clock.UtcTicks, detail: "d"), Record(ctx.Clock.UtcTicks, detail: "e"));
        queue.Maintain();

        var all = queue.ListLoss();
        Assert.Equal([3L, 1L], all.Select(l => l.Count));
        Assert.True(all[0].Id > all[1].Id);
        Assert.Equal([3L], queue.ListLoss(limit: 1).Select(l => l.Count));
    }

    private static void AssertRecords(IReadOnlyList<QuarantineRecord> expected, IReadOnlyList<QuarantineRecord> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            Assert.True(a.Id > 0);
            Assert.Equal(e.Reason, a.Reason);
            Assert.Equal(e.Detail, a.Detail);
            Assert.Equal(e.SourceName, a.SourceName);
            Assert.Equal(e.ReceivedTicks, a.ReceivedTicks);
            Assert.Equal(e.Reading.Address, a.Reading.Address);
            Assert.Equal(e.Reading.TimestampTicks, a.Reading.TimestampTicks);
            Assert.Equal(e.Reading.Value, a.Reading.Value);
            Assert.Equal(e.Reading.StatusCode, a.Reading.StatusCode);
            Assert.Equal(e.Reading.Quality, a.Reading.Quality);
            Assert.Equal(e.Reading.AssetId, a.Reading.AssetId);
            Assert.Equal(e.Reading.Metric, a.Reading.Metric);
            Assert.Equal(e.Reading.Raw, a.Reading.Raw);
        }
        Assert.True(actual.Zip(actual.Skip(1)).All(p => p.First.Id < p.Second.Id), "entries are not oldest first");
    }
}
