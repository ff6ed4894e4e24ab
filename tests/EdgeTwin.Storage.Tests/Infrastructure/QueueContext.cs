using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeTwin.Storage.Tests.Infrastructure;

/// <summary>One test's queue directory and clock; opens queues on them and deletes the directory at the end.</summary>
public sealed class QueueContext : IDisposable
{
    private readonly TestDirectory _dir = new("storage");
    private readonly List<DurableQueue> _opened = [];

    public FakeTimeProvider Clock { get; } = new(TestPoints.Epoch);

    public string Directory => _dir.Path;

    public string DatabasePath => _dir.Combine(DurableQueue.DatabaseFileName);

    public string LogPath => _dir.Combine("queue-log.db");

    public string SegmentFolder => _dir.Combine("segments");

    public string SnapshotPath => _dir.Combine("state.snap");

    /// <summary>Default options for tests: no free-disk watermark, so the host's disk never decides a test.</summary>
    public QueueOptions Options(
        long maxBytes = 1L << 30,
        QueueFullPolicy policy = QueueFullPolicy.Block,
        TimeSpan? checkpointInterval = null,
        int quarantineMaxEntries = 100_000,
        long quarantineMaxBytes = 64L << 20,
        TimeSpan? quarantineMaxAge = null,
        long? segmentFileBytes = null,
        int historyPerSeries = 64,
        string? directory = null,
        TimeSpan? lossRangeSpan = null,
        int lossLedgerMaxRecords = 10_000,
        long seriesMemoryBytes = EdgeTwin.Core.Config.DedupConfig.DefaultMemoryBytes,
        int recentPoints = EdgeTwin.Core.Config.DedupConfig.DefaultRecentPoints) => new()
        {
            Directory = directory ?? Directory,
            MaxBytes = maxBytes,
            MinFreeDiskBytes = 0,
            FullPolicy = policy,
            CheckpointInterval = checkpointInterval ?? TimeSpan.FromSeconds(10),
            QuarantineMaxEntries = quarantineMaxEntries,
            QuarantineMaxBytes = quarantineMaxBytes,
            QuarantineMaxAge = quarantineMaxAge ?? TimeSpan.FromDays(14),
            HistoryPerSeries = historyPerSeries,
            SegmentFileBytes = segmentFileBytes ?? QueueOptions.DefaultSegmentFileBytes(maxBytes),
            LossRangeSpan = lossRangeSpan ?? TimeSpan.FromHours(1),
            LossLedgerMaxRecords = lossLedgerMaxRecords,
            SeriesMemoryBytes = seriesMemoryBytes,
            RecentPoints = recentPoints,
        };

    public DurableQueue Open(QueueOptions? options = null)
    {
        var queue = DurableQueue.Open(options ?? Options(), NullLogger.Instance, Clock);
        _opened.Add(queue);
        return queue;
    }

    public string Combine(string relative) => _dir.Combine(relative);

    /// <summary>
    /// What a kill -9 at this instant would leave: a byte copy of the database files as they are now, while the queue is
    /// still open, in a new directory (so the copy is not locked by the live queue).
    /// </summary>
    public string CrashImage()
    {
        var image = _dir.Combine("crash-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(image);
        System.IO.Directory.CreateDirectory(Path.Combine(image, "segments"));
        var files = new[] { DurableQueue.DatabaseFileName, "queue-log.db", "state.snap" }
            .Concat(System.IO.Directory.Exists(SegmentFolder) ? System.IO.Directory.GetFiles(SegmentFolder).Select(f => Path.Combine("segments", Path.GetFileName(f))) : []);
        foreach (var name in files)
        {
            var source = _dir.Combine(name);
            if (!File.Exists(source)) continue;
            using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var output = File.Create(Path.Combine(image, name));
            input.CopyTo(output);
        }
        return image;
    }

    /// <summary>Every segment blob header ("ETS1") in the segment files: file and offset, in queue order.</summary>
    public List<(string File, int Offset)> FindSegmentHeaders()
    {
        var found = new List<(string, int)>();
        foreach (var file in System.IO.Directory.GetFiles(SegmentFolder, "*.seg").Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(file);
            for (var i = 0; i + SegmentCodec.HeaderSize <= bytes.Length; i++)
            {
                if (bytes.AsSpan(i, 4).SequenceEqual("ETS1"u8)) found.Add((file, i));
            }
        }
        return found;
    }

    /// <summary>Flips bits in one byte of a file (<paramref name="offset"/> from its start).</summary>
    public static void FlipByte(string file, long offset, byte mask)
    {
        var bytes = File.ReadAllBytes(file);
        bytes[offset] ^= mask;
        File.WriteAllBytes(file, bytes);
    }

    public void Dispose()
    {
        foreach (var q in _opened) q.Dispose();
        _dir.Dispose();
    }
}

/// <summary>The pipeline's side of the queue contract: admit into dedup, then commit (which accepts or rolls back).</summary>
public static class QueueDriver
{
    /// <summary>Admits <paramref name="points"/> like the ingest processor does and commits the new ones.</summary>
    public static CommitResult CommitPoints(this DurableQueue queue, IEnumerable<TelemetryPoint> points, Action<CommitRequest>? more = null) =>
        queue.CommitPoints(points, out _, more);

    public static CommitResult CommitPoints(this DurableQueue queue, IEnumerable<TelemetryPoint> points, out CommitRequest request, Action<CommitRequest>? more = null)
    {
        request = new CommitRequest();
        foreach (var p in points)
        {
            var state = queue.Dedup.GetOrAdd(p.Series);
            if (queue.Dedup.Admit(state, p.TimestampTicks) != DedupOutcome.Duplicate) request.Points.Add(p);
        }
        more?.Invoke(request);
        return queue.Commit(request);
    }

    public static CommitResult CommitRecords(this DurableQueue queue, params QuarantineRecord[] records)
    {
        var request = new CommitRequest();
        request.Quarantine.AddRange(records);
        return queue.Commit(request);
    }

    /// <summary>What dedup would say about each point, without keeping any admission.</summary>
    public static DedupOutcome[] Probe(this DurableQueue queue, IEnumerable<TelemetryPoint> points)
    {
        var outcomes = points.Select(p => queue.Dedup.Admit(queue.Dedup.GetOrAdd(p.Series), p.TimestampTicks)).ToArray();
        queue.Dedup.Rollback();
        return outcomes;
    }

    /// <summary>Every segment after <paramref name="afterId"/>, as a sink would read them.</summary>
    public static List<(long Id, List<TelemetryPoint> Points)> ReadAll(this DurableQueue queue, long afterId = 0)
    {
        var segments = new List<(long, List<TelemetryPoint>)>();
        while (true)
        {
            var points = new List<TelemetryPoint>();
            if (!queue.ReadNext(afterId, points, out var id)) return segments;
            Assert.True(id > afterId, $"ReadNext after {afterId} returned segment {id}");
            segments.Add((id, points));
            afterId = id;
        }
    }

    public static List<TelemetryPoint> ReadAllPoints(this DurableQueue queue, long afterId = 0) =>
        queue.ReadAll(afterId).SelectMany(s => s.Points).ToList();

    public static QuarantineRecord Record(
        long receivedTicks,
        QuarantineReason reason = QuarantineReason.MissingAsset,
        string address = "plant/line-1/pressure",
        string detail = "reading has no asset id",
        string? raw = "{\"v\":42.5}",
        int padding = 0) =>
        new(reason, detail + new string('x', padding), "mqtt:plant", receivedTicks,
            new Reading(address, receivedTicks - TimeSpan.TicksPerSecond, PointValue.FromNumber(42.5), 0x40000000, Quality.Uncertain, null, "pressure", raw));
}
