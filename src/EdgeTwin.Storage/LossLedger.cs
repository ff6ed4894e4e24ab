using LiteDB;

namespace EdgeTwin.Storage;

/// <summary>
/// The loss ledger: what the queue dropped, as ranges. Per series (asset + metric) one record is open while drops
/// continue: each drop extends it (range and count). It is closed when the series' points are kept again (a sink
/// confirmed queued segments), when the reason changes, or when <see cref="QueueOptions.LossRangeSpan"/> has passed
/// since it opened; a closed range is what travels north as one loss event. A day-long outage is therefore a few
/// records per series per span, not one per dropped segment.
/// <para>
/// The ledger stays within <see cref="QueueOptions.LossLedgerMaxRecords"/>. Past half of it, a series without an open
/// range drops into its asset's range (metric <see cref="All"/>), past three quarters into the gateway's (asset and
/// metric <see cref="All"/>); past the whole, closed records are merged per asset, and if that is not enough into
/// one record for the gateway. Counts are never lost: only the detail of where in time they were.
/// </para>
/// <para>
/// Changes are staged and written by <see cref="Write"/> inside the caller's transaction (the one that deletes the
/// dropped segments), then made current by <see cref="Committed"/> or forgotten by <see cref="Discard"/>: what the
/// ledger holds after a kill -9 is exactly what was dropped. Thread model: the queue calls every member under its lock.
/// </para>
/// </summary>
internal sealed class LossLedger
{
    /// <summary>Asset or metric of a coalesced record: it stands for every one.</summary>
    public const string All = "(all)";

    private readonly long _spanTicks;
    private readonly int _maxRecords;
    private readonly Dictionary<(string Asset, string Metric), Range> _open = [];
    private readonly Dictionary<(string Asset, string Metric), Range> _staged = [];
    private readonly List<Range> _closing = [];
    private readonly List<Range> _pending = [];
    private readonly List<Range> _emitting = [];
    private long _stagedRecords;
    private long _stagedPoints;
    private bool _keptAgain;

    public LossLedger(TimeSpan span, int maxRecords)
    {
        _spanTicks = span.Ticks;
        _maxRecords = maxRecords;
    }

    /// <summary>Ranges the last committed changes opened (0 when they only extended open ones).</summary>
    public int OpenedByLastCommit { get; private set; }

    /// <summary>Records in the ledger (open and closed).</summary>
    public long Records { get; private set; }

    /// <summary>Points the ledger's records count.</summary>
    public long LostPoints { get; private set; }

    /// <summary>Records open now (extended by further drops).</summary>
    public int OpenRecords => _open.Count;

    /// <summary>Closed ranges whose loss event is not yet in the queue (committed, or staged now).</summary>
    public bool HasEventsToSend => _pending.Count > _emitting.Count || _closing.Any(c => !c.Emitted);

    /// <summary>
    /// Up to <paramref name="max"/> closed ranges whose loss event the caller puts in the segment it commits; they are
    /// marked sent in the same transaction (<see cref="Write"/>), so each event is queued exactly once.
    /// </summary>
    public List<Range> TakeEvents(int max)
    {
        var taken = new List<Range>();
        for (var i = 0; i < _closing.Count && taken.Count < max; i++)
        {
            if (_closing[i].Emitted) continue;
            _closing[i] = _closing[i] with { Emitted = true };
            taken.Add(_closing[i]);
        }
        foreach (var p in _pending)
        {
            if (taken.Count >= max) break;
            if (_emitting.Contains(p)) continue;
            _emitting.Add(p);
            taken.Add(p);
        }
        return taken;
    }

    /// <summary>Reads the counts and the open ranges from the database.</summary>
    public void Load(ILiteCollection<BsonDocument> loss)
    {
        _open.Clear();
        _pending.Clear();
        Discard();
        Records = 0;
        LostPoints = 0;
        foreach (var d in loss.FindAll())
        {
            Records++;
            LostPoints += d["n"].AsInt64;
            var r = FromDoc(d);
            if (r.Open) _open[(r.AssetId, r.Metric)] = r;
            else if (!r.Emitted) _pending.Add(r);
        }
    }

    /// <summary>Points of the series were delivered (kept): the next drop starts a new range, so a range never spans kept points.</summary>
    public void KeptAgain()
    {
        if (_open.Count > 0) _keptAgain = true;
    }

    /// <summary>Whether open ranges are due to close now (kept again, or their span has passed).</summary>
    public bool CloseDue(long now)
    {
        if (_keptAgain && _open.Count > 0) return true;
        foreach (var r in _open.Values)
        {
            if (now - r.OpenedTicks >= _spanTicks) return true;
        }
        return false;
    }

    /// <summary>Stages the closing of every range that is due (see <see cref="CloseDue"/>).</summary>
    public void StageDueCloses(long now)
    {
        _keptStaged |= _keptAgain;
        foreach (var (key, r) in _open)
        {
            if (_staged.ContainsKey(key)) continue;
            if (_keptAgain || now - r.OpenedTicks >= _spanTicks) StageClose(key, r);
        }
    }

    /// <summary>
    /// Stages the closing of every open range (those staged in these changes too): points kept between the drops so far
    /// and the next ones, so the next drop of a series starts a new range.
    /// </summary>
    public void StageCloseOpen()
    {
        foreach (var key in _open.Keys.Union(_staged.Keys).ToList())
        {
            if (Current(key) is { } r) StageClose(key, r);
        }
    }

    /// <summary>Stages the drop of <paramref name="count"/> points of one series, from..to, for <paramref name="reason"/>.</summary>
    public void StageDrop(string asset, string metric, long from, long to, long count, string reason, long now)
    {
        var key = KeyFor(asset, metric);
        var current = Current(key);
        if (current is not null && (current.Reason != reason || now - current.OpenedTicks >= _spanTicks))
        {
            StageClose(key, current);
            current = null;
        }
        if (current is null)
        {
            _staged[key] = new Range(0, key.Asset, key.Metric, now, from, to, count, reason, Open: true, now);
            _stagedRecords++;
        }
        else
        {
            _staged[key] = current with { FromTicks = Math.Min(current.FromTicks, from), ToTicks = Math.Max(current.ToTicks, to), Count = current.Count + count, AtTicks = now };
        }
        _stagedPoints += count;
    }

    /// <summary>Stages a record that is closed from the start (quarantine purge or eviction, a database moved aside).</summary>
    public void StageClosedRecord(LossRecord record)
    {
        _extra.Add(record);
        _stagedRecords++;
        _stagedPoints += record.Count;
    }

    private readonly List<LossRecord> _extra = [];

    /// <summary>Writes the staged changes; call inside the transaction that makes the drops durable.</summary>
    public void Write(ILiteCollection<BsonDocument> loss)
    {
        foreach (var (key, r) in _staged.ToList())
        {
            if (r.Id == 0)
            {
                var id = loss.Insert(ToDoc(r)).AsInt64;
                _staged[key] = r with { Id = id };
            }
            else
            {
                loss.Update(ToDoc(r));
            }
        }
        foreach (var c in _closing)
        {
            // A range opened and closed within these changes has never been written.
            if (c.Id == 0) loss.Insert(ToDoc(c));
            else loss.Update(ToDoc(c));
        }
        foreach (var p in _emitting) loss.Update(ToDoc(p with { Emitted = true }));
        foreach (var e in _extra)
        {
            loss.Insert(ToDoc(new Range(0, e.AssetId, e.Metric, e.AtTicks, e.FromTicks, e.ToTicks, e.Count, e.Reason, Open: false, e.AtTicks, Emitted: true)));
        }
    }

    /// <summary>The transaction committed: the staged changes are current.</summary>
    public void Committed()
    {
        OpenedByLastCommit = _staged.Values.Count(r => !_open.TryGetValue((r.AssetId, r.Metric), out var was) || was.Id != r.Id);
        foreach (var c in _closing)
        {
            _open.Remove((c.AssetId, c.Metric));
            if (!c.Emitted) _pending.Add(c);
        }
        foreach (var p in _emitting) _pending.Remove(p);
        foreach (var (key, r) in _staged) _open[key] = r;
        if (_keptStaged) _keptAgain = false;
        Records += _stagedRecords;
        LostPoints += _stagedPoints;
        Discard();
    }

    /// <summary>The transaction failed: forget the staged changes.</summary>
    public void Discard()
    {
        _staged.Clear();
        _closing.Clear();
        _closingKeys.Clear();
        _emitting.Clear();
        _keptStaged = false;
        _extra.Clear();
        _stagedRecords = 0;
        _stagedPoints = 0;
    }

    public bool HasStaged => _staged.Count > 0 || _closing.Count > 0 || _extra.Count > 0 || _emitting.Count > 0;

    /// <summary>Whether the ledger holds more records than it may: <see cref="Coalesce"/> is due.</summary>
    public bool OverAllowance => Records > _maxRecords;

    /// <summary>
    /// Merges closed records so the ledger is back within its allowance: per asset first, and if the assets alone are
    /// too many, into one record for the gateway. Runs <paramref name="durably"/> with the rewrite (one transaction).
    /// </summary>
    public void Coalesce(ILiteCollection<BsonDocument> loss, Action<Action> durably, long now)
    {
        var closed = loss.FindAll().Select(FromDoc).Where(r => !r.Open && r.Emitted).ToList();
        if (closed.Count < 2) return;
        var byAsset = closed.GroupBy(r => r.AssetId).ToList();
        var perAsset = byAsset.Count + _open.Count <= _maxRecords / 2;
        var merged = perAsset
            ? byAsset.Where(g => g.Count() > 1).Select(g => Merge(g.ToList(), g.Key, now)).ToList()
            : [Merge(closed, All, now)];
        var removed = perAsset ? byAsset.Where(g => g.Count() > 1).SelectMany(g => g).ToList() : closed;
        if (merged.Count == 0) return;
        durably(() =>
        {
            foreach (var r in removed) loss.Delete(r.Id);
            foreach (var m in merged) loss.Insert(ToDoc(m));
        });
        Records += merged.Count - removed.Count;
    }

    private static Range Merge(List<Range> records, string asset, long now)
    {
        var metrics = records.Select(r => r.Metric).Distinct(StringComparer.Ordinal).ToList();
        var reasons = records.Select(r => r.Reason).Distinct(StringComparer.Ordinal).ToList();
        var reason = $"coalesced ledger: {records.Count} records" + (reasons.Count == 1 ? "; " + reasons[0] : $" with {reasons.Count} reasons, first: {reasons[0]}");
        return new Range(0, asset, metrics.Count == 1 && asset != All ? metrics[0] : All, records.Max(r => r.AtTicks),
            records.Min(r => r.FromTicks), records.Max(r => r.ToTicks), records.Sum(r => r.Count), reason, Open: false, now, Emitted: true);
    }

    /// <summary>The key a new drop of this series goes to: its own, its asset's or the gateway's, by how full the ledger is.</summary>
    private (string Asset, string Metric) KeyFor(string asset, string metric)
    {
        var own = (asset, metric);
        if (_open.ContainsKey(own) || _staged.ContainsKey(own)) return own;
        var open = _open.Count + _staged.Keys.Count(k => !_open.ContainsKey(k));
        if (open < _maxRecords / 2) return own;
        var assetKey = (asset, All);
        if (_open.ContainsKey(assetKey) || _staged.ContainsKey(assetKey) || open < _maxRecords * 3 / 4) return assetKey;
        return (All, All);
    }

    private Range? Current((string, string) key) =>
        _staged.TryGetValue(key, out var s) ? s : _closingKeys.Contains(key) ? null : _open.GetValueOrDefault(key);

    private void StageClose((string, string) key, Range r)
    {
        _staged.Remove(key);
        _closingKeys.Add(key);
        _closing.Add(r with { Open = false });
    }

    private readonly HashSet<(string, string)> _closingKeys = [];
    private bool _keptStaged;

    private static BsonDocument ToDoc(Range r)
    {
        var d = new BsonDocument
        {
            ["at"] = r.AtTicks,
            ["a"] = r.AssetId,
            ["m"] = r.Metric,
            ["t0"] = r.FromTicks,
            ["t1"] = r.ToTicks,
            ["n"] = r.Count,
            ["r"] = r.Reason,
            ["o"] = r.Open,
            ["op"] = r.OpenedTicks,
            ["e"] = r.Emitted,
        };
        if (r.Id != 0) d["_id"] = r.Id;
        return d;
    }

    private static Range FromDoc(BsonDocument d)
    {
        var at = d["at"].AsInt64;
        return new Range(d["_id"].AsInt64, d["a"].AsString, d["m"].AsString, d["op"].IsInt64 ? d["op"].AsInt64 : at, d["t0"].AsInt64, d["t1"].AsInt64,
            d["n"].AsInt64, d["r"].AsString, d["o"].IsBoolean && d["o"].AsBoolean, at, !d["e"].IsBoolean || d["e"].AsBoolean);
    }

    /// <summary>A ledger document as the API shows it.</summary>
    public static LossRecord ToRecord(BsonDocument d)
    {
        var r = FromDoc(d);
        return new LossRecord(r.AtTicks, r.AssetId, r.Metric, r.FromTicks, r.ToTicks, r.Count, r.Reason) { Id = r.Id, Open = r.Open, OpenedTicks = r.OpenedTicks };
    }

    /// <summary>One ledger record: <see cref="Count"/> points of a series from..to, last extended at <see cref="AtTicks"/>.</summary>
    /// <param name="Emitted">Closed and its loss event committed to the queue (records that are never sent count as sent).</param>
    internal sealed record Range(long Id, string AssetId, string Metric, long OpenedTicks, long FromTicks, long ToTicks, long Count, string Reason, bool Open, long AtTicks, bool Emitted = false);
}
