using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Storage;

namespace EdgeTwin.Gateway.Pipeline;

/// <summary>
/// normalize → validate → dedup for one batch, into a <see cref="CommitRequest"/>. Runs on the pipeline
/// thread only (the dedup index is not thread-safe). A reading either becomes a point, is dropped as a
/// duplicate of a committed point, or is quarantined with its reason: nothing is dropped silently.
/// </summary>
public sealed class IngestProcessor
{
    private readonly Func<DedupIndex> _dedup;
    private readonly Normalizer _normalizer;
    private readonly TimeProvider _time;

    /// <param name="dedup">The dedup index of committed points; asked each batch, as a queue reopened after a storage failure brings a new one.</param>
    public IngestProcessor(Func<DedupIndex> dedup, Normalizer normalizer, TimeProvider time)
    {
        _dedup = dedup;
        _normalizer = normalizer;
        _time = time;
    }

    /// <summary>Adds the batch's outcome to <paramref name="request"/>; returns the counts for the batch.</summary>
    public IngestResult Process(IngestBatch batch, CommitRequest request)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var dedup = _dedup();
        int accepted = 0, duplicates = 0, late = 0, quarantined = 0;
        Dictionary<QuarantineReason, int>? reasons = null;
        foreach (ref readonly var reading in batch.Readings)
        {
            if (!_normalizer.TryNormalize(reading, now, out var point, out var target, out var reason, out var detail))
            {
                request.Quarantine.Add(new QuarantineRecord(reason, detail!, batch.SourceName, now, reading));
                quarantined++;
                reasons ??= [];
                reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
                continue;
            }
            var state = target!.StateIn(dedup);
            switch (dedup.Admit(state, point.TimestampTicks))
            {
                case DedupOutcome.Duplicate:
                    duplicates++;
                    continue;
                case DedupOutcome.LateUnverified:
                    late++;
                    break;
            }
            request.Points.Add(point);
            accepted++;
        }
        if (batch.Checkpoint is { } cp) request.Checkpoints[cp.Key] = cp.Value;
        return new IngestResult(accepted, duplicates, quarantined, late, reasons);
    }

    /// <summary>
    /// Re-runs quarantined readings through the current mapping and validation. Cured ones are committed as
    /// points and leave the quarantine in the same transaction; the rest stay, with their reason updated
    /// on the next list. Returns (cured, still quarantined).
    /// </summary>
    public (int Cured, int Remaining, int Duplicates) Replay(IReadOnlyList<QuarantineRecord> records, CommitRequest request)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var dedup = _dedup();
        int cured = 0, remaining = 0, duplicates = 0;
        foreach (var record in records)
        {
            if (!QuarantineReasons.IsReplayable(record.Reason)
                || !_normalizer.TryNormalize(record.Reading, now, out var point, out var target, out _, out _))
            {
                remaining++;
                continue;
            }
            var state = target!.StateIn(dedup);
            if (dedup.Admit(state, point.TimestampTicks) == DedupOutcome.Duplicate) duplicates++;
            else request.Points.Add(point);
            request.CuredQuarantineIds.Add(record.Id);
            cured++;
        }
        return (cured, remaining, duplicates);
    }
}
