using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Gateway.Hosting;
using EdgeTwin.Gateway.Metrics;
using EdgeTwin.Storage;

namespace EdgeTwin.Gateway.Api;

/// <summary>Builds the API's documents from the running gateway. Safe on any thread: it only reads.</summary>
public static class ApiViews
{
    public static StatusResponse Status(GatewayRuntime runtime)
    {
        var m = runtime.Metrics;
        var stats = runtime.Queue.GetStats();
        var problems = runtime.ReadinessProblems();
        var sources = runtime.Sources.Select(s =>
        {
            var c = m.PerSource.GetValueOrDefault(s.Name) ?? new SourceCounters();
            return new SourceResponse(s.Name, Core.Pipeline.SourceConnectionStates.ToText(runtime.ConnectionOf(s)), s.State,
                Volatile.Read(ref c.ReadingsIn), Volatile.Read(ref c.Accepted), Volatile.Read(ref c.Duplicates), Volatile.Read(ref c.Quarantined));
        }).ToList();
        var sinks = runtime.Sinks.Select(s => new SinkResponse(
            s.Name,
            GatewayInstruments.ToText(m.SinkKinds.GetValueOrDefault(s.Name, SinkState.Starting)),
            m.SinkStates.GetValueOrDefault(s.Name, "starting"),
            m.ForwardedPerSink.GetValueOrDefault(s.Name),
            stats.SinkCursors.GetValueOrDefault(s.Name),
            stats.SinkLagPoints.GetValueOrDefault(s.Name))).ToList();
        var pipeline = new PipelineResponse(m.ReadingsIn, m.Accepted, m.Duplicates, m.LateUnverified, m.Quarantined, m.Commits,
            m.CommitLatency.PercentileMicros(0.5), m.CommitLatency.PercentileMicros(0.99), m.DroppedPoints, m.BlockedMillis, m.ReplayedCured, m.StorageError);
        return new StatusResponse(GatewayRuntime.Version, runtime.Config.Gateway.Id, runtime.ConfigHash, runtime.ConfigSource,
            runtime.StartedUtc, runtime.Time.GetUtcNow().UtcDateTime, problems.Count == 0, problems, sources, sinks,
            Queue(runtime, stats, recentLoss: 0), pipeline);
    }

    /// <summary>The page's first state: the same documents its polls ask for (status, shadow, newest quarantine, anomalies).</summary>
    public static PageStateResponse PageState(GatewayRuntime runtime) =>
        new(Status(runtime), Shadow(runtime, null, null), Quarantine(runtime, null, StatusPageAssets.QuarantineRows, 0, newestFirst: true), Anomalies(runtime, StatusPageAssets.AnomalyRows));

    public static QueueResponse Queue(GatewayRuntime runtime, QueueStats? stats = null, int recentLoss = 20)
    {
        var s = stats ?? runtime.Queue.GetStats();
        var now = runtime.Time.GetUtcNow().UtcTicks;
        var loss = recentLoss > 0
            ? runtime.Queue.ListLoss(recentLoss).Select(l => new LossResponse(l.Id, Utc(l.AtTicks), l.AssetId, l.Metric, Utc(l.FromTicks), Utc(l.ToTicks), l.Count, l.Reason, l.Open, Utc(l.OpenedTicks))).ToList()
            : [];
        return new QueueResponse(
            s.Segments, s.Points, s.Bytes, s.MaxBytes, s.FreeDiskBytes, runtime.Config.Queue.MinFreeDiskBytes, QueueFullPolicyJson.Names.NameOf(runtime.Config.Queue.FullPolicy), s.Full,
            s.OldestPointTicks > 0 ? Utc(s.OldestPointTicks) : null,
            s.OldestPointTicks > 0 ? Math.Max(0, (now - s.OldestPointTicks) / (double)TimeSpan.TicksPerSecond) : 0,
            s.FirstSegmentId, s.LastSegmentId, s.QuarantineEntries, s.LossRecords, s.LostPoints, s.Series, s.Streams,
            s.SinkCursors.Keys.Order(StringComparer.Ordinal).Select(k => new SinkLagResponse(k, s.SinkCursors[k], s.SinkLagPoints.GetValueOrDefault(k))).ToList(),
            loss)
        {
            OpenLossRecords = s.OpenLossRecords,
            LossRangeSeconds = runtime.Config.Queue.LossRangeSeconds,
            RefusingAtFloor = s.RefusingAtFloor,
            FloorRefusals = s.FloorRefusals,
            SeriesStored = s.SeriesStored,
            SeriesEvictions = s.SeriesEvictions,
            SeriesMemoryBytes = s.SeriesMemoryBytes,
            SeriesMemoryLimit = s.SeriesMemoryLimit,
        };
    }

    /// <summary>The digital shadow: the latest committed value per asset and metric (events excluded), sorted.</summary>
    public static ShadowResponse Shadow(GatewayRuntime runtime, string? asset, string? metric)
    {
        var entries = Latest(runtime, EventKind.None)
            .Where(p => (asset is null || p.Stream.AssetId == asset) && (metric is null || p.Stream.Metric == metric))
            .Select(p => Entry(runtime, p.Point, p.Updates))
            .OrderBy(e => e.AssetId, StringComparer.Ordinal).ThenBy(e => e.Metric, StringComparer.Ordinal)
            .ToList();
        return new ShadowResponse(runtime.Config.Gateway.Id, entries.Count, entries);
    }

    /// <summary>The latest event of each anomaly series (model outputs of kind anomaly), newest first.</summary>
    public static ShadowResponse Anomalies(GatewayRuntime runtime, int limit)
    {
        var entries = Latest(runtime, EventKind.Anomaly)
            .OrderByDescending(p => p.Point.TimestampTicks)
            .Take(limit)
            .Select(p => Entry(runtime, p.Point, p.Updates))
            .ToList();
        return new ShadowResponse(runtime.Config.Gateway.Id, entries.Count, entries);
    }

    private static IEnumerable<(TelemetryPoint Point, StreamDescriptor Stream, long Updates)> Latest(GatewayRuntime runtime, EventKind kind)
    {
        foreach (var state in runtime.Queue.Dedup.SnapshotSeries())
        {
            if (state.Latest is { } p && p.Stream.EventKind == kind) yield return (p, p.Stream, state.Updates);
        }
    }

    private static ShadowEntry Entry(GatewayRuntime runtime, TelemetryPoint p, long updates)
    {
        var s = p.Stream;
        string? unit = null;
        foreach (var t in s.Tags) if (t.Key == "unit") unit = t.Value;
        var name = runtime.Registry.TryGetAsset(s.AssetId, out var def) ? def!.Name : null;
        return new ShadowEntry(s.AssetId, name, s.Metric, unit, p.Value, QualityCodes.ToWire(p.Quality), p.StatusCode, p.Timestamp, s.Source, updates,
            EventKinds.ToWire(s.EventKind), s.Model, s.ModelVersion);
    }

    public static QuarantineResponse Quarantine(GatewayRuntime runtime, QuarantineReason? reason, int limit, long afterId, bool newestFirst)
    {
        var records = runtime.Queue.ListQuarantine(limit, reason, afterId, newestFirst);
        var entries = records.Select(r => new QuarantineEntry(
            r.Id, Utc(r.ReceivedTicks), QuarantineReasons.ToText(r.Reason), r.Detail, r.SourceName, r.Reading.Address,
            r.Reading.AssetId, r.Reading.Metric, r.Reading.TimestampTicks > 0 ? Utc(r.Reading.TimestampTicks) : null,
            r.Reading.Value, r.Reading.Raw, QuarantineReasons.IsReplayable(r.Reason))).ToList();
        return new QuarantineResponse(runtime.Queue.GetStats().QuarantineEntries, entries.Count, entries);
    }

    private static DateTime Utc(long ticks) => new(Math.Clamp(ticks, DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc);
}
