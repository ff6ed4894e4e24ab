using System.Buffers;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Pipeline;

/// <summary>
/// Readings a source hands to the pipeline in one go, with the upstream-acknowledgement hook:
/// <see cref="Durable"/> completes once every reading is committed to the local queue (as a point, as a
/// dropped duplicate of a committed point, or in quarantine). Only then may the source acknowledge
/// upstream (OPC UA Publish acknowledgement, MQTT PUBACK, a spool file moved away): docs/architecture.md §2.3.
/// <para>
/// A source may attach a <see cref="Checkpoint"/>: an opaque position of its own (a sequence number, a file
/// offset) committed in the same transaction as the readings, and given back at the next start.
/// </para>
/// </summary>
public sealed class IngestBatch
{
    private readonly TaskCompletionSource<IngestResult> _durable = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Reading[]? _readings;

    private IngestBatch(string sourceName, Reading[] readings, int count, bool pooled)
    {
        SourceName = sourceName;
        _readings = readings;
        Count = count;
        Pooled = pooled;
    }

    /// <summary>A batch over an array rented from <see cref="ArrayPool{T}.Shared"/>; the pipeline returns it.</summary>
    public static IngestBatch Rent(string sourceName, int capacity) =>
        new(sourceName, ArrayPool<Reading>.Shared.Rent(capacity), 0, pooled: true);

    public static IngestBatch Of(string sourceName, params Reading[] readings) => new(sourceName, readings, readings.Length, pooled: false);

    public string SourceName { get; }

    public int Count { get; private set; }

    public int Capacity => _readings?.Length ?? 0;

    private bool Pooled { get; }

    public ReadOnlySpan<Reading> Readings => _readings.AsSpan(0, Count);

    /// <summary>Key and value of the source's position, committed with the readings.</summary>
    public KeyValuePair<string, string>? Checkpoint { get; set; }

    /// <summary>Completes when the batch is durable; faults if the gateway stops before it could be committed.</summary>
    public Task<IngestResult> Durable => _durable.Task;

    public void Add(in Reading reading)
    {
        var readings = _readings ?? throw new InvalidOperationException("batch already released");
        if (Count == readings.Length) throw new InvalidOperationException($"batch is full ({readings.Length})");
        readings[Count++] = reading;
    }

    public bool IsFull => Count == Capacity;

    /// <summary>Called by the pipeline once the batch is durable.</summary>
    public void Complete(IngestResult result)
    {
        Release();
        _durable.TrySetResult(result);
    }

    /// <summary>Called by the pipeline when the batch cannot be made durable (shutdown, fatal storage error).</summary>
    public void Fail(Exception error)
    {
        Release();
        _durable.TrySetException(error);
    }

    private void Release()
    {
        var readings = Interlocked.Exchange(ref _readings, null);
        if (readings is not null && Pooled) ArrayPool<Reading>.Shared.Return(readings, clearArray: true);
    }
}

/// <summary>What became of a batch's readings; <paramref name="QuarantinedByReason"/> is null when none was quarantined.</summary>
public readonly record struct IngestResult(int Accepted, int Duplicates, int Quarantined, int LateUnverified,
    IReadOnlyDictionary<Quarantine.QuarantineReason, int>? QuarantinedByReason = null);
