using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Tests.Infrastructure;

/// <summary>
/// The pipeline's side of a source under test: holds every batch until the test makes it durable, or fails it as a
/// stopping pipeline does (or completes each at once), and keeps every reading it was handed.
/// </summary>
internal sealed class HeldWriter(bool completeAtOnce = false) : IIngestWriter
{
    private readonly Lock _gate = new();
    private readonly List<IngestBatch> _held = [];
    private readonly List<Reading> _readings = [];

    /// <summary>Readings handed over so far.</summary>
    public int Count
    {
        get { lock (_gate) return _readings.Count; }
    }

    /// <summary>Batches held, not yet durable.</summary>
    public int Batches
    {
        get { lock (_gate) return _held.Count; }
    }

    /// <summary>Readings in the held batches.</summary>
    public int Held
    {
        get { lock (_gate) return _held.Sum(b => b.Count); }
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

    /// <summary>Makes every held batch durable; returns how many there were.</summary>
    public int CompleteAll() => Release(b => b.Complete(new IngestResult(b.Count, 0, 0, 0)));

    /// <summary>Fails every held batch as a stopping gateway does; returns how many there were.</summary>
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
