using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;
using LiteDB;

namespace EdgeTwin.Storage;

/// <summary>
/// The series the dedup index evicted, one document each in the queue's database (<see cref="QueueDatabase.Series"/>):
/// written in one transaction before they leave memory, read back when a series returns. A document stays after
/// the return (the next eviction overwrites it); the snapshot and the segments after it take precedence over it
/// at recovery, since a series in the snapshot is never looked up here.
/// </summary>
public sealed class SeriesSpill : ISeriesSpill
{
    private readonly QueueDatabase _db;
    private readonly StreamCatalog _streams;
    private long? _spilled;

    internal SeriesSpill(QueueDatabase db, StreamCatalog streams)
    {
        _db = db;
        _streams = streams;
    }

    /// <summary>Series documents in the database.</summary>
    public long Spilled => _spilled ??= _db.Series.Count();

    public byte[]? Load(SeriesKey key)
    {
        var doc = _db.Series.FindById(IdOf(key));
        return doc is not null && doc["b"].IsBinary ? doc["b"].AsBinary : null;
    }

    public StreamDescriptor? Stream(int id) => _streams.Get(id);

    /// <summary>Upserts the records; call inside a transaction. Returns how many series were new to the database.</summary>
    internal int Write(List<(SeriesKey Key, byte[] Record)> records)
    {
        var added = 0;
        foreach (var (key, record) in records)
        {
            if (_db.Series.Upsert(new BsonDocument { ["_id"] = IdOf(key), ["b"] = record })) added++;
        }
        return added;
    }

    /// <summary>After the transaction that wrote them committed.</summary>
    internal void Added(int added)
    {
        // Not counted yet: the next count includes them.
        if (_spilled is { } n) _spilled = n + added;
    }

    /// <summary>Counts again at the next use (a recovery, a database moved aside).</summary>
    internal void Reset() => _spilled = null;

    private static string IdOf(SeriesKey key) => string.Concat(key.AssetId, "\n", key.Metric);
}
