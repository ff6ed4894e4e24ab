using EdgeTwin.Core.Quarantine;
using LiteDB;

namespace EdgeTwin.Storage;

public sealed partial class DurableQueue
{
    /// <summary>The checkpoint a source committed last under <paramref name="key"/>, or null.</summary>
    public string? GetCheckpoint(string key)
    {
        return Guarded("reading a source checkpoint", () => _checkpoints.Get(key));
    }

    public QueueStats GetStats() => Guarded("reading the queue's statistics", () =>
        {
            var lag = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var sink in _cursors.Sinks)
            {
                var cursor = _cursors.Cursor(sink);
                var lane = _cursors.Lane(sink);
                lag[sink] = _store.PointsBehind(cursor, lane);
            }
            var segments = _store.Count;
            var oldest = _store.Oldest;
            return new QueueStats(
                segments, _store.Points, _store.Bytes, _options.MaxBytes, FreeDiskBytes(),
                oldest.Id, _store.LastId, oldest.MinTicks,
                new Dictionary<string, long>(_cursors.All, StringComparer.Ordinal), lag,
                _quarantine.Count, _ledger.Records, _ledger.LostPoints, Dedup.SeriesCount, Streams.Count, _store.Full)
            {
                OpenLossRecords = _ledger.OpenRecords,
                RefusingAtFloor = _store.RefusingAtFloor,
                FloorRefusals = _store.FloorRefusals,
                SeriesStored = Math.Max(0, _store.Spill.Spilled - Dedup.StoredInMemory),
                SeriesEvictions = Dedup.Evictions,
                SeriesMemoryBytes = Dedup.EstimatedBytes,
                SeriesMemoryLimit = _options.SeriesMemoryBytes,
            };
        });

    /// <summary>
    /// Quarantine entries, oldest first (or newest first), optionally only those with <paramref name="reason"/>;
    /// <paramref name="afterId"/> pages on from the last id seen in that order (0 starts at the beginning).
    /// </summary>
    public IReadOnlyList<QuarantineRecord> ListQuarantine(int limit = 1000, QuarantineReason? reason = null, long afterId = 0, bool newestFirst = false) =>
        Guarded<IReadOnlyList<QuarantineRecord>>("listing the quarantine", () => _quarantine.List(limit, reason, afterId, newestFirst));

    public IReadOnlyList<LossRecord> ListLoss(int limit = 1000) =>
        Guarded<IReadOnlyList<LossRecord>>("listing the loss ledger", () => _db.Loss.Find(Query.All(Query.Descending), limit: limit).Select(LossLedger.ToRecord).ToList());

    /// <summary>
    /// Removes up to <paramref name="limit"/> quarantine entries (oldest first, optionally only those with
    /// <paramref name="reason"/>) on an operator's request. What is purged is never forwarded: it goes to the loss
    /// ledger as one record, in the same transaction. Returns how many entries were removed.
    /// </summary>
    public int PurgeQuarantine(QuarantineReason? reason, int limit, string requestedBy) =>
        Guarded("purging the quarantine", () => _quarantine.Purge(reason, limit, requestedBy, _time.GetUtcNow().UtcTicks));
}
