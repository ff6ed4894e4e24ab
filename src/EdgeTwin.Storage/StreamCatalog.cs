using EdgeTwin.Core.Telemetry;
using LiteDB;

namespace EdgeTwin.Storage;

/// <summary>
/// Numbers the stream descriptors so that a segment stores a small id per point instead of the asset,
/// metric, source and tags. A new stream is persisted in the same transaction as the first segment that uses
/// it. Ids are never reused.
/// </summary>
public sealed class StreamCatalog
{
    private readonly Dictionary<StreamDescriptor, int> _ids = new();
    private readonly List<StreamDescriptor?> _byId = [null];
    private readonly List<StreamDescriptor> _pending = [];
    private readonly Lock _lock = new();

    public int Count { get { lock (_lock) return _ids.Count; } }

    /// <summary>Whether streams were added that are not yet written to the database.</summary>
    internal bool HasPending { get { lock (_lock) return _pending.Count > 0; } }

    public int GetOrAdd(StreamDescriptor stream)
    {
        lock (_lock)
        {
            if (_ids.TryGetValue(stream, out var id)) return id;
            id = _byId.Count;
            _byId.Add(stream);
            _ids.Add(stream, id);
            _pending.Add(stream);
            return id;
        }
    }

    public StreamDescriptor? Get(int id)
    {
        lock (_lock) return id > 0 && id < _byId.Count ? _byId[id] : null;
    }

    /// <summary>
    /// Forgets every stream, for a queue whose database was moved aside: ids from the old file mean nothing in the new
    /// one, and a stream the catalog still knew would never be written to it (its segments would read back as corrupt).
    /// </summary>
    internal void Reset()
    {
        lock (_lock)
        {
            _ids.Clear();
            _byId.Clear();
            _byId.Add(null);
            _pending.Clear();
        }
    }

    internal void Load(ILiteCollection<BsonDocument> collection)
    {
        foreach (var doc in collection.FindAll())
        {
            var id = doc["_id"].AsInt32;
            var tags = doc["t"].IsDocument ? doc["t"].AsDocument.Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value.AsString)) : null;
            var stream = new StreamDescriptor(doc["a"].AsString, doc["m"].AsString, doc["s"].AsString, tags,
                doc["mo"].IsString ? doc["mo"].AsString : null, doc["mv"].IsString ? doc["mv"].AsString : null,
                (EventKind)doc["ev"].AsInt32);
            while (_byId.Count <= id) _byId.Add(null);
            _byId[id] = stream;
            _ids[stream] = id;
        }
    }

    /// <summary>Writes the streams added since the last successful write; call inside the commit's transaction.</summary>
    internal int WritePending(ILiteCollection<BsonDocument> collection)
    {
        lock (_lock)
        {
            foreach (var s in _pending)
            {
                var tags = new BsonDocument();
                foreach (var t in s.Tags) tags[t.Key] = t.Value;
                collection.Upsert(new BsonDocument
                {
                    ["_id"] = _ids[s],
                    ["a"] = s.AssetId,
                    ["m"] = s.Metric,
                    ["s"] = s.Source,
                    ["t"] = tags,
                    ["mo"] = s.Model is null ? BsonValue.Null : s.Model,
                    ["mv"] = s.ModelVersion is null ? BsonValue.Null : s.ModelVersion,
                    ["ev"] = (int)s.EventKind,
                });
            }
            return _pending.Count;
        }
    }

    internal void PendingWritten(int count)
    {
        lock (_lock) _pending.RemoveRange(0, count);
    }
}
