using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using LiteDB;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Storage;

/// <summary>
/// The quarantine store: readings that could not become points, points a sink refused for good, and segments found
/// corrupt, each with its reason, kept within $.quarantine bounds. What leaves it unforwarded (purged, evicted) goes
/// to the loss ledger in the same transaction. Not thread-safe: used under the queue's gate.
/// </summary>
internal sealed class QuarantineStore
{
    private readonly QueueDatabase _db;
    private readonly LossLedger _ledger;
    private readonly QueueOptions _options;
    private readonly ILogger _log;
    private long _lastSweepTicks;

    public QuarantineStore(QueueDatabase db, LossLedger ledger, QueueOptions options, ILogger log)
    {
        _db = db;
        _ledger = ledger;
        _options = options;
        _log = log;
    }

    public long Count { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>Reads the store's size from the database (at open, before anything is added).</summary>
    public void Load()
    {
        Count = _db.Quarantine.Count();
        var meta = _db.Meta.FindById("quarantine");
        Bytes = meta is null ? 0 : meta["bytes"].AsInt64;
        _lastSweepTicks = 0;
    }

    /// <summary>
    /// Inside the caller's transaction: adds <paramref name="add"/> and removes the cured ids (an id evicted meanwhile,
    /// or listed twice, removes nothing). The sizes change on <see cref="Apply"/>, once the transaction committed.
    /// </summary>
    public Change Write(IReadOnlyList<QuarantineRecord> add, IReadOnlyList<long>? cured = null)
    {
        var bytes = Bytes + add.Sum(q => (long)q.ApproximateBytes);
        var count = add.Count;
        foreach (var q in add) _db.Quarantine.Insert(ToDoc(q));
        foreach (var id in cured ?? [])
        {
            if (_db.Quarantine.FindById(id) is not { } doc) continue;
            bytes -= doc["sz"].AsInt32;
            count--;
            _db.Quarantine.Delete(id);
        }
        bytes = Math.Max(0, bytes);
        if (add.Count > 0 || cured is { Count: > 0 }) WriteBytes(bytes);
        return new Change(count, bytes);
    }

    /// <summary>What a committed <see cref="Write"/> changed.</summary>
    public readonly record struct Change(long CountDelta, long Bytes);

    public void Apply(Change change)
    {
        Count += change.CountDelta;
        Bytes = change.Bytes;
    }

    /// <summary>Entries oldest (or newest) first, optionally only those with <paramref name="reason"/>, paged after <paramref name="afterId"/>.</summary>
    public List<QuarantineRecord> List(int limit, QuarantineReason? reason, long afterId, bool newestFirst)
    {
        var result = new List<QuarantineRecord>();
        var query = Query.All("_id", newestFirst ? Query.Descending : Query.Ascending);
        if (newestFirst) { if (afterId > 0) query.Where.Add(Query.LT("_id", afterId)); }
        else query.Where.Add(Query.GT("_id", afterId));
        foreach (var doc in _db.Quarantine.Find(query))
        {
            var record = FromDoc(doc);
            if (reason is { } r && record.Reason != r) continue;
            result.Add(record);
            if (result.Count >= limit) break;
        }
        return result;
    }

    /// <summary>Removes up to <paramref name="limit"/> entries on an operator's request, recorded in the loss ledger in the same transaction.</summary>
    public int Purge(QuarantineReason? reason, int limit, string requestedBy, long now)
    {
        var purge = new List<(long Id, long At, int Bytes)>();
        foreach (var doc in _db.Quarantine.FindAll())
        {
            if (purge.Count >= limit) break;
            if (reason is { } r && doc["r"].AsInt32 != (int)r) continue;
            purge.Add((doc["_id"].AsInt64, doc["at"].AsInt64, doc["sz"].AsInt32));
        }
        if (purge.Count == 0) return 0;
        var bytes = Math.Max(0, Bytes - purge.Sum(p => (long)p.Bytes));
        _ledger.Discard();
        _ledger.StageClosedRecord(new LossRecord(now, "(quarantine)", reason is { } why ? QuarantineReasons.ToText(why) : "(entries)",
            purge.Min(p => p.At), purge.Max(p => p.At), purge.Count, "quarantine_purged: " + requestedBy));
        try
        {
            _db.Durably(() =>
            {
                foreach (var p in purge) _db.Quarantine.Delete(p.Id);
                _ledger.Write(_db.Loss);
                WriteBytes(bytes);
            });
        }
        catch
        {
            _ledger.Discard();
            throw;
        }
        _ledger.Committed();
        Count -= purge.Count;
        Bytes = bytes;
        return purge.Count;
    }

    /// <summary>Evicts the oldest entries beyond the bounds (count, bytes, age), at most once a minute unless over count or bytes.</summary>
    public void Sweep(long now)
    {
        var overCount = Count > _options.QuarantineMaxEntries;
        var overBytes = Bytes > _options.QuarantineMaxBytes;
        var ageDue = now - _lastSweepTicks > TimeSpan.TicksPerMinute;
        if (!overCount && !overBytes && !ageDue) return;
        _lastSweepTicks = now;
        var cutoff = now - _options.QuarantineMaxAge.Ticks;
        var evict = new List<(long Id, long At, int Bytes)>();
        var count = Count;
        var bytes = Bytes;
        foreach (var doc in _db.Quarantine.FindAll())
        {
            var at = doc["at"].AsInt64;
            if (count <= _options.QuarantineMaxEntries && bytes <= _options.QuarantineMaxBytes && at >= cutoff) break;
            var size = doc["sz"].AsInt32;
            evict.Add((doc["_id"].AsInt64, at, size));
            count--;
            bytes -= size;
        }
        if (evict.Count == 0) return;
        _ledger.Discard();
        _ledger.StageClosedRecord(new LossRecord(now, "(quarantine)", "(entries)", evict.Min(e => e.At), evict.Max(e => e.At), evict.Count,
            "quarantine_evicted: over $.quarantine bounds (maxEntries, maxBytes or maxAgeDays)"));
        try
        {
            _db.InTransaction(() =>
            {
                foreach (var e in evict) _db.Quarantine.Delete(e.Id);
                _ledger.Write(_db.Loss);
                WriteBytes(Math.Max(0, bytes));
            });
        }
        catch
        {
            _ledger.Discard();
            throw;
        }
        _ledger.Committed();
        Count = count;
        Bytes = Math.Max(0, bytes);
        Log.QuarantineEvicted(_log, evict.Count);
    }

    private void WriteBytes(long bytes) => _db.Meta.Upsert(new BsonDocument { ["_id"] = "quarantine", ["bytes"] = bytes });

    private static BsonDocument ToDoc(QuarantineRecord q)
    {
        var r = q.Reading;
        return new BsonDocument
        {
            ["at"] = q.ReceivedTicks,
            ["r"] = (int)q.Reason,
            ["d"] = q.Detail,
            ["src"] = q.SourceName,
            ["addr"] = r.Address,
            ["asset"] = r.AssetId is null ? BsonValue.Null : r.AssetId,
            ["metric"] = r.Metric is null ? BsonValue.Null : r.Metric,
            ["ts"] = r.TimestampTicks,
            ["vk"] = (int)r.Value.Kind,
            ["vn"] = r.Value.Kind switch
            {
                PointValueKind.Number => r.Value.Number,
                PointValueKind.Boolean => r.Value.Boolean ? 1.0 : 0.0,
                _ => 0.0,
            },
            ["vs"] = r.Value.Kind == PointValueKind.String ? r.Value.Text : BsonValue.Null,
            // An extended value (array, structure, tagged scalar) is kept whole as its payload; vn/vs keep a scalar's plain value.
            ["vb"] = PointValueCodec.HasPayload(r.Value) ? Payload(r.Value) : BsonValue.Null,
            ["st"] = (long)r.StatusCode,
            ["q"] = r.Quality is { } quality ? (int)quality : -1,
            ["raw"] = r.Raw is null ? BsonValue.Null : r.Raw,
            ["sz"] = q.ApproximateBytes,
        };
    }

    private static QuarantineRecord FromDoc(BsonDocument d)
    {
        var kind = (PointValueKind)d["vk"].AsInt32;
        var value = kind switch
        {
            PointValueKind.Number or PointValueKind.String or PointValueKind.Array or PointValueKind.Structure when d["vb"].IsBinary => ReadPayload(kind, d["vb"].AsBinary),
            PointValueKind.Number => PointValue.FromNumber(d["vn"].AsDouble),
            PointValueKind.Boolean => PointValue.FromBoolean(d["vn"].AsDouble != 0),
            PointValueKind.String => PointValue.FromString(d["vs"].AsString),
            _ => PointValue.None,
        };
        var q = d["q"].AsInt32;
        var reading = new Reading(
            d["addr"].AsString, d["ts"].AsInt64, value, (uint)d["st"].AsInt64, q < 0 ? null : (Quality)q,
            d["asset"].IsString ? d["asset"].AsString : null, d["metric"].IsString ? d["metric"].AsString : null,
            d["raw"].IsString ? d["raw"].AsString : null);
        return new QuarantineRecord((QuarantineReason)d["r"].AsInt32, d["d"].AsString, d["src"].AsString, d["at"].AsInt64, reading)
        {
            Id = d["_id"].AsInt64,
        };
    }

    private static byte[] Payload(PointValue value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        PointValueCodec.Write(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static PointValue ReadPayload(PointValueKind kind, byte[] payload)
    {
        var pos = 0;
        return PointValueCodec.Read(kind, payload, ref pos);
    }
}
