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
    // By id (0 is never one), written under the lock and read without it: an array is published (volatile) before the
    // count that covers its new slots, and a grown array holds every slot of the old one, so a reader that checks the
    // id against the count it read first finds the stream (or an equal instance it replaced).
    private StreamDescriptor?[] _byId;
    private int _count = 1;
    private readonly StreamIdTable _ids;
    private readonly List<int> _pending = [];
    private readonly Lock _lock = new();
    private readonly Func<StreamDescriptor, StreamDescriptor?>? _known;

    /// <param name="known">The process's own instance of a stream equal to one read from the database, if it has one
    /// (<see cref="QueueOptions.KnownStream"/>).</param>
    /// <param name="expected">Streams expected (the mapped series), to size the catalog once; it grows beyond.</param>
    public StreamCatalog(Func<StreamDescriptor, StreamDescriptor?>? known = null, int expected = 0)
    {
        _known = known;
        _byId = new StreamDescriptor?[Math.Max(256, expected + 1)];
        _ids = new StreamIdTable(id => _byId[id], expected);
    }

    public int Count { get { lock (_lock) return _ids.Count; } }

    /// <summary>Whether streams were added that are not yet written to the database.</summary>
    internal bool HasPending { get { lock (_lock) return _pending.Count > 0; } }

    /// <summary>
    /// The stream's id, numbering it when it is new. The id is found through the instance's
    /// <see cref="StreamDescriptor.CatalogHint"/> when this catalog gave it (no lookup, the common case), else through
    /// the id table by equality.
    /// </summary>
    public int GetOrAdd(StreamDescriptor stream)
    {
        // Without the lock: the hint is this catalog's when its slot holds this very instance.
        var hint = stream.CatalogHint;
        if (ReferenceEquals(Get(hint), stream)) return hint;
        lock (_lock)
        {
            var id = _ids.Find(stream);
            if (id > 0)
            {
                // An equal stream read from the database at start-up: keep the caller's (a mapping's) instead, so
                // the catalog's copy and its strings are not held beside it (at a million streams, ~200 MB).
                _byId[id] = stream;
                stream.CatalogHint = id;
                return id;
            }
            id = _count;
            Set(id, stream);
            _ids.Add(id);
            _pending.Add(id);
            stream.CatalogHint = id;
            return id;
        }
    }

    /// <summary>The stream of <paramref name="id"/>, or null; safe on any thread without the lock.</summary>
    public StreamDescriptor? Get(int id)
    {
        var count = Volatile.Read(ref _count);
        var byId = Volatile.Read(ref _byId);
        return id > 0 && id < count ? byId[id] : null;
    }

    /// <summary>Puts <paramref name="stream"/> at <paramref name="id"/>, growing the list to it; under the lock.</summary>
    private void Set(int id, StreamDescriptor stream)
    {
        if (id >= _byId.Length)
        {
            var grown = new StreamDescriptor?[Math.Max(id + 1, _byId.Length * 2)];
            Array.Copy(_byId, grown, _count);
            Volatile.Write(ref _byId, grown);
        }
        _byId[id] = stream;
        if (id >= _count) Volatile.Write(ref _count, id + 1);
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
            Volatile.Write(ref _count, 1);
            Volatile.Write(ref _byId, new StreamDescriptor?[256]);
            _pending.Clear();
        }
    }

    /// <summary>
    /// Reads the catalog. Returns one message per record that could not be read (bad checksum, truncated, unknown
    /// layout); the streams it held stay unknown, so the segments that use them are quarantined when read.
    /// </summary>
    internal List<string> Load(ILiteCollection<BsonDocument> collection)
    {
        var problems = new List<string>();
        foreach (var doc in collection.FindAll())
        {
            var first = doc["_id"].AsInt32;
            try
            {
                if (doc["b"].IsBinary) ReadBatch(first, doc["n"].AsInt32, (uint)doc["c"].AsInt64, doc["b"].AsBinary);
                else if (doc["a"].IsString) Remember(first, ReadLegacy(doc));
                else throw new InvalidDataException("neither a stream batch nor a stream document");
            }
            catch (Exception ex) when (ex is InvalidDataException or InvalidCastException or EndOfStreamException or ArgumentException)
            {
                problems.Add($"stream catalog record {first} unreadable ({ex.Message}); its streams are unknown");
            }
        }
        return problems;
    }

    /// <summary>
    /// Writes the streams added since the last successful write, as records of up to <see cref="StreamsPerRecord"/>
    /// streams each (one LiteDB document per stream made a first burst of 10,000 new series cost hundreds of MB of
    /// index allocations); call inside the commit's transaction.
    /// </summary>
    internal int WritePending(ILiteCollection<BsonDocument> collection)
    {
        lock (_lock)
        {
            for (var from = 0; from < _pending.Count; from += StreamsPerRecord)
            {
                var count = Math.Min(StreamsPerRecord, _pending.Count - from);
                var blob = EncodeBatch(_pending, from, count);
                collection.Upsert(new BsonDocument
                {
                    ["_id"] = _pending[from],
                    ["n"] = count,
                    ["c"] = (long)Crc32.Compute(blob),
                    ["b"] = blob,
                });
            }
            return _pending.Count;
        }
    }

    /// <summary>Streams per catalog record: records stay small (a few KiB), off the large-object heap.</summary>
    internal const int StreamsPerRecord = 256;

    private const byte RecordVersion = 1;

    /// <summary>
    /// A record holds consecutive ids, so only the first is stored (the document id). Per stream: asset, metric,
    /// source, the tag pairs, model and model version (each preceded by a presence byte) and the event kind.
    /// </summary>
    private byte[] EncodeBatch(List<int> ids, int from, int count)
    {
        using var buffer = new MemoryStream(count * 64);
        using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(RecordVersion);
            var expected = ids[from];
            for (var i = from; i < from + count; i++)
            {
                // Pending streams are numbered in the order they were added: a record's ids are consecutive.
                if (ids[i] != expected++) throw new InvalidOperationException("pending streams are not consecutively numbered");
                var s = _byId[ids[i]]!;
                w.Write(s.AssetId);
                w.Write(s.Metric);
                w.Write(s.Source);
                w.Write7BitEncodedInt(s.Tags.Count);
                foreach (var t in s.Tags) { w.Write(t.Key); w.Write(t.Value); }
                WriteOptional(w, s.Model);
                WriteOptional(w, s.ModelVersion);
                w.Write7BitEncodedInt((int)s.EventKind);
            }
        }
        return buffer.ToArray();
    }

    private void ReadBatch(int first, int count, uint crc, byte[] blob)
    {
        if (Crc32.Compute(blob) != crc) throw new InvalidDataException($"checksum mismatch over {blob.Length} bytes");
        using var r = new BinaryReader(new MemoryStream(blob, writable: false), System.Text.Encoding.UTF8);
        if (r.ReadByte() != RecordVersion) throw new InvalidDataException("unknown record version");
        var read = new List<StreamDescriptor>(count);
        for (var i = 0; i < count; i++)
        {
            var asset = r.ReadString();
            var metric = r.ReadString();
            var source = r.ReadString();
            var tagCount = r.Read7BitEncodedInt();
            if (tagCount < 0 || tagCount > blob.Length) throw new InvalidDataException($"stream {first + i}: tag count {tagCount} out of range");
            var tags = new KeyValuePair<string, string>[tagCount];
            for (var t = 0; t < tagCount; t++) tags[t] = new(r.ReadString(), r.ReadString());
            var model = ReadOptional(r);
            var version = ReadOptional(r);
            var kind = r.Read7BitEncodedInt();
            if (!Enum.IsDefined((EventKind)kind)) throw new InvalidDataException($"stream {first + i}: unknown event kind {kind}");
            read.Add(Known(new StreamDescriptor(asset, metric, source, tags, model, version, (EventKind)kind)));
        }
        if (r.BaseStream.Position != blob.Length) throw new InvalidDataException($"{blob.Length - r.BaseStream.Position} bytes after the last stream");
        // Only a whole record counts: a damaged one leaves none of its ids half-known.
        for (var i = 0; i < read.Count; i++) Remember(first + i, read[i]);
    }

    private static void WriteOptional(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null) w.Write(value);
    }

    private static string? ReadOptional(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    /// <summary>A stream document of the first layout (one document per stream).</summary>
    private StreamDescriptor ReadLegacy(BsonDocument doc)
    {
        var tags = doc["t"].IsDocument ? doc["t"].AsDocument.Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value.AsString)) : null;
        return Known(new StreamDescriptor(doc["a"].AsString, doc["m"].AsString, doc["s"].AsString, tags,
            doc["mo"].IsString ? doc["mo"].AsString : null, doc["mv"].IsString ? doc["mv"].AsString : null,
            (EventKind)doc["ev"].AsInt32));
    }

    private StreamDescriptor Known(StreamDescriptor read) => _known?.Invoke(read) is { } own && own.Equals(read) ? own : read;

    private void Remember(int id, StreamDescriptor stream)
    {
        Set(id, stream);
        stream.CatalogHint = id;
        _ids.Add(id);
    }

    internal void PendingWritten(int count)
    {
        lock (_lock) _pending.RemoveRange(0, count);
    }
}
