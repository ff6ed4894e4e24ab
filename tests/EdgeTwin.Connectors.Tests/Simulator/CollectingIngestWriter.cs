using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Tests.Simulator;

/// <summary>
/// An ingest writer that keeps a copy of every reading and commits each batch at once: the checkpoint is
/// stored (as the queue would, in the same transaction) and the batch completed, which returns its array.
/// </summary>
internal sealed class CollectingIngestWriter : IIngestWriter
{
    private readonly object _gate = new();
    private readonly Dictionary<string, string> _checkpoints;
    private readonly TimeProvider? _time;
    private readonly List<Reading> _readings = [];
    private readonly List<WrittenBatch> _batches = [];

    public CollectingIngestWriter(TimeProvider? time = null, IReadOnlyDictionary<string, string>? checkpoints = null)
    {
        _time = time;
        _checkpoints = checkpoints is null ? new(StringComparer.Ordinal) : new(checkpoints, StringComparer.Ordinal);
    }

    public int Count
    {
        get { lock (_gate) return _readings.Count; }
    }

    public Reading[] Readings
    {
        get { lock (_gate) return [.. _readings]; }
    }

    public WrittenBatch[] Batches
    {
        get { lock (_gate) return [.. _batches]; }
    }

    public IReadOnlyDictionary<string, string> Checkpoints
    {
        get { lock (_gate) return new Dictionary<string, string>(_checkpoints, StringComparer.Ordinal); }
    }

    public ValueTask WriteAsync(IngestBatch batch, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var first = _readings.Count;
            foreach (var r in batch.Readings) _readings.Add(r);
            _batches.Add(new WrittenBatch(first, batch.Count, batch.Capacity, batch.Checkpoint, _time?.GetUtcNow().UtcTicks ?? 0));
            if (batch.Checkpoint is { } checkpoint) _checkpoints[checkpoint.Key] = checkpoint.Value;
        }
        batch.Complete(new IngestResult(batch.Count, 0, 0, 0));
        return ValueTask.CompletedTask;
    }

    public string? GetCheckpoint(string key)
    {
        lock (_gate) return _checkpoints.TryGetValue(key, out var value) ? value : null;
    }
}

/// <summary>One batch as written: where its readings start in the collected list, and when it was written.</summary>
internal readonly record struct WrittenBatch(int FirstIndex, int Count, int Capacity, KeyValuePair<string, string>? Checkpoint, long WrittenAtTicks);
