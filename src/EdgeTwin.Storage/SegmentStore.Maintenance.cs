using LiteDB;

namespace EdgeTwin.Storage;

/// <summary>Between commits, on the writer thread: the dedup snapshot, deleting what every sink confirmed, recycling the engine.</summary>
internal sealed partial class SegmentStore
{
    /// <summary>
    /// Checkpoints the dedup/shadow state when due (or when <paramref name="force"/>), deletes segments every sink has
    /// confirmed and the snapshot covers, and keeps the quarantine and the loss ledger within their bounds.
    /// </summary>
    public void Maintain(bool force)
    {
        if (Dedup.PendingAdmissions != 0) throw new InvalidOperationException("Maintain called with uncommitted dedup admissions");
        var now = NowTicks;
        var minCursor = _cursors.MinCursor();
        var due = CommitsSinceSnapshot > 0
            && (force || now - LastSnapshotTicks >= _options.CheckpointInterval.Ticks || minCursor > SnapshotUpTo && Full);
        var deletable = Math.Min(minCursor, due ? LastId : SnapshotUpTo);
        if (Dedup.EstimatedBytes > _options.SeriesMemoryBytes) EvictSeries();
        // The snapshot first: a segment leaves the queue only once a snapshot holds its dedup history.
        if (due) WriteSnapshot(now);
        // A full queue (or a forced call) deletes all that is due now; otherwise one transaction per call.
        var all = force || Full;
        var delete = new List<SegmentInfo>(MaxDeletesPerTransaction);
        do
        {
            delete.Clear();
            for (var i = IndexHead; i < Index.Count && Index[i].Id <= deletable && delete.Count < MaxDeletesPerTransaction; i++) delete.Add(Index[i]);
            if (delete.Count == 0) break;
            // On disk before the files go: a document must never name a deleted file.
            Durably(() =>
            {
                foreach (var s in delete) _db.Segments.Delete(s.Id);
            });
            foreach (var s in delete) RemoveFromIndex(s);
            // Delivered points: a series dropped before starts a new loss range at its next drop.
            _ledger.KeptAgain();
            // Room was made: let the next commit find out whether it fits.
            Full = false;
        }
        while (all);
        _quarantine.Sweep(now);
        // Every sink holds everything queued: whatever is dropped next is not contiguous with the open ranges.
        if (_cursors.Sinks.Count > 0 && minCursor >= LastId) _ledger.KeptAgain();
        MaintainLedger(now);
        if (now - LastRecycleTicks >= _options.EngineRecycleInterval.Ticks) RecycleEngine(now);
    }

    /// <summary>
    /// Segment documents deleted per transaction. A checkpoint makes ten seconds of segments (over a thousand at
    /// 300,000 points/s) deletable at once; deleting them in one transaction made LiteDB's page cache grow by a
    /// further extent (about 18 MB of RSS). Between commits, one such transaction runs per call, so the deletions
    /// spread over the following commits; a forced call (shutdown, tests) or a full queue deletes everything due.
    /// </summary>
    internal const int MaxDeletesPerTransaction = 16;

    /// <summary>
    /// LiteDB's page cache grows in extents of up to 1,000 pages that it never gives back (under our
    /// write-read-delete pattern it reached ~50 MB within half a minute). Closing and reopening the engine
    /// between commits drops it. Closing checkpoints the log into the data file, so the reopen is quick, and
    /// nothing on disk changes meaning: our in-memory state (index, cursors, dedup) stays valid without a
    /// recovery scan.
    /// </summary>
    private void RecycleEngine(long now)
    {
        LastRecycleTicks = now;
        _db.Close();
        _db.Open();
    }

    /// <summary>
    /// The series state is over its budget: cold series (the dedup index's clock picks them) go to the database (history and shadow,
    /// durable first, with any stream their shadow names), then leave memory, down to 90% of the budget. Also between
    /// the segments the recovery replays (<see cref="QueueRecovery"/>): what they admitted is durable already.
    /// Returns the series evicted.
    /// </summary>
    internal int EvictSeries()
    {
        var picked = Dedup.PickEvictions(_options.SeriesMemoryBytes / 10 * 9, Streams.GetOrAdd);
        if (picked.Count == 0) return 0;
        var written = 0;
        var added = 0;
        Durably(() =>
        {
            written = Streams.WritePending(_db.Streams);
            added = Spill.Write(picked);
        });
        Streams.PendingWritten(written);
        Spill.Added(added);
        Dedup.CompleteEvictions(picked);
        Log.SeriesEvicted(_log, picked.Count, Dedup.SeriesCount, Spill.Spilled);
        return picked.Count;
    }

    /// <summary>
    /// Writes the dedup/shadow snapshot, covering every segment committed so far, to its own file. Called between
    /// commits (no admission pending), so the snapshot holds only what is durable.
    /// </summary>
    private void WriteSnapshot(long now)
    {
        if (Dedup.PendingAdmissions != 0) throw new InvalidOperationException("snapshot with uncommitted dedup admissions");
        // The shadow refers to streams by catalog id; any stream not yet in the database goes there first.
        if (Streams.HasPending)
        {
            var written = 0;
            Durably(() => written = Streams.WritePending(_db.Streams));
            Streams.PendingWritten(written);
        }
        _snapshot.Write(LastId, now, buffer => Dedup.WriteSnapshot(buffer, Streams.GetOrAdd));
        SnapshotUpTo = LastId;
        LastSnapshotTicks = now;
        CommitsSinceSnapshot = 0;
        _droppedPastSnapshot = false;
    }

    /// <summary>After a drop of segments the snapshot did not cover; a failure leaves it to <see cref="Maintain"/>.</summary>
    private void TrySnapshotAfterDrop()
    {
        try
        {
            WriteSnapshot(NowTicks);
        }
        catch (Exception ex) when (ex is IOException or LiteException or UnauthorizedAccessException)
        {
            // Not retried on every commit (the disk may be what is short): the next checkpoint is due anyway.
            _droppedPastSnapshot = false;
            Log.SnapshotFailed(_log, ex.Message);
        }
    }

    /// <summary>Closes the segment files: those no committed document names any more go now.</summary>
    public void Close() => Files?.Close();
}
