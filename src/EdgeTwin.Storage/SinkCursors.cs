using EdgeTwin.Core.Quarantine;
using LiteDB;

namespace EdgeTwin.Storage;

/// <summary>
/// Per sink: its cursor (the last segment it confirmed in queue order), its live lane (<see cref="SinkLane"/>: the
/// segments delivered ahead of the cursor), stored together in one document, and what it holds (read, not yet
/// confirmed; in memory only), which drop-oldest leaves queued. Not thread-safe: used under the queue's gate.
/// </summary>
internal sealed class SinkCursors
{
    private readonly QueueDatabase _db;
    private readonly QuarantineStore _quarantine;
    private readonly Dictionary<string, long> _cursors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SinkLane> _lanes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sinks = new(StringComparer.Ordinal);

    /// <summary>
    /// Per sink, the newest segment handed out by reads not yet confirmed: from its cursor (<c>Backlog</c>), and after its
    /// live lane (<c>Live</c>). Confirming moves the cursor or the lane past them, which ends the hold.
    /// </summary>
    private readonly Dictionary<string, (long Backlog, long Live)> _holds = new(StringComparer.Ordinal);

    public SinkCursors(QueueDatabase db, QuarantineStore quarantine)
    {
        _db = db;
        _quarantine = quarantine;
    }

    public IReadOnlyCollection<string> Sinks => _sinks;

    public IReadOnlyDictionary<string, long> All => _cursors;

    /// <summary>Loads the stored cursors and lanes (at open).</summary>
    public void Load()
    {
        _lanes.Clear();
        foreach (var doc in _db.Cursors.FindAll())
        {
            var sink = doc["_id"].AsString;
            _cursors[sink] = doc["seg"].AsInt64;
            if (doc["lf"].IsInt64 && doc["lt"].IsInt64) _lanes[sink] = new SinkLane(doc["lf"].AsInt64, doc["lt"].AsInt64);
        }
    }

    /// <summary>Forgets every cursor and lane (the database was moved aside).</summary>
    public void Clear()
    {
        _cursors.Clear();
        _lanes.Clear();
    }

    /// <summary>The highest segment id any cursor or lane names.</summary>
    public long MaxNamed() => Math.Max(_cursors.Count == 0 ? 0 : _cursors.Values.Max(), _lanes.Count == 0 ? 0 : _lanes.Values.Max(l => l.UpTo));

    /// <summary>Declares the sinks of this run; cursors of sinks no longer configured are forgotten, so a removed sink cannot pin the queue.</summary>
    public void SetSinks(IEnumerable<string> names)
    {
        _sinks.Clear();
        _sinks.UnionWith(names);
        foreach (var stale in _cursors.Keys.Where(k => !_sinks.Contains(k)).ToList())
        {
            _cursors.Remove(stale);
            _lanes.Remove(stale);
            _holds.Remove(stale);
            _db.Cursors.Delete(stale);
        }
    }

    /// <summary>Adds <paramref name="name"/> to the sinks; its stored cursor, or <paramref name="fresh"/> for a sink without one.</summary>
    public long Add(string name, long fresh)
    {
        _sinks.Add(name);
        return _cursors.TryGetValue(name, out var cursor) ? cursor : fresh;
    }

    public long Cursor(string sink) => _cursors.GetValueOrDefault(sink);

    public bool TryGetCursor(string sink, out long cursor) => _cursors.TryGetValue(sink, out cursor);

    public SinkLane Lane(string sink) => _lanes.GetValueOrDefault(sink);

    public bool TryGetLane(string sink, out SinkLane lane) => _lanes.TryGetValue(sink, out lane);

    /// <summary>The lowest cursor of the declared sinks: what every sink has confirmed (0 without sinks).</summary>
    public long MinCursor()
    {
        if (_sinks.Count == 0) return 0;
        var min = long.MaxValue;
        foreach (var s in _sinks) min = Math.Min(min, _cursors.TryGetValue(s, out var c) ? c : 0);
        return min;
    }

    /// <summary>
    /// Stores a sink's cursor and lane (in one document), with the points it refused (<paramref name="rejected"/>)
    /// quarantined in the same transaction. Once the cursor reaches the lane's start, it moves past what the lane
    /// delivered and the lane closes.
    /// </summary>
    public void Advance(string sink, long cursor, SinkLane lane, IReadOnlyList<QuarantineRecord>? rejected)
    {
        if (lane.IsOpen && cursor >= lane.From)
        {
            cursor = Math.Max(cursor, lane.UpTo);
            lane = SinkLane.None;
        }
        var doc = new BsonDocument { ["_id"] = sink, ["seg"] = cursor };
        if (lane.IsOpen)
        {
            doc["lf"] = lane.From;
            doc["lt"] = lane.UpTo;
        }
        if (rejected is not { Count: > 0 })
        {
            _db.Cursors.Upsert(doc);
        }
        else
        {
            var change = default(QuarantineStore.Change);
            _db.InTransaction(() =>
            {
                change = _quarantine.Write(rejected);
                _db.Cursors.Upsert(doc);
            });
            _quarantine.Apply(change);
        }
        _cursors[sink] = cursor;
        if (lane.IsOpen) _lanes[sink] = lane;
        else _lanes.Remove(sink);
    }

    /// <summary>
    /// Records that <paramref name="sink"/> was handed segment <paramref name="segmentId"/> by a read after
    /// <paramref name="afterId"/>. A read starting at the cursor (or at the end of the live lane) begins a new batch: it
    /// replaces what the sink held there before (a batch whose send failed is read again from the same place).
    /// </summary>
    public void Hold(string sink, long afterId, long segmentId)
    {
        var cursor = _cursors.GetValueOrDefault(sink);
        var lane = _lanes.GetValueOrDefault(sink);
        var h = _holds.GetValueOrDefault(sink);
        // Backlog reads stop at the lane's start, live reads begin at or after its end.
        if (lane.IsOpen && afterId >= lane.UpTo) h.Live = afterId <= lane.UpTo ? segmentId : Math.Max(h.Live, segmentId);
        else h.Backlog = afterId <= cursor ? segmentId : Math.Max(h.Backlog, segmentId);
        _holds[sink] = h;
    }

    /// <summary><paramref name="sink"/> no longer holds what it read and did not confirm: drop-oldest may drop those segments again.</summary>
    public void Release(string sink) => _holds.Remove(sink);

    /// <summary>The ranges of segment ids sinks hold now, as (after, upTo].</summary>
    public List<(long After, long UpTo)> HeldRanges()
    {
        var held = new List<(long, long)>();
        foreach (var (sink, h) in _holds)
        {
            var cursor = _cursors.GetValueOrDefault(sink);
            if (h.Backlog > cursor) held.Add((cursor, h.Backlog));
            var lane = _lanes.GetValueOrDefault(sink);
            if (lane.IsOpen && h.Live > lane.UpTo) held.Add((lane.UpTo, h.Live));
        }
        return held;
    }

    public static bool IsHeld(List<(long After, long UpTo)> held, long segmentId)
    {
        foreach (var (after, upTo) in held)
        {
            if (segmentId > after && segmentId <= upTo) return true;
        }
        return false;
    }
}
