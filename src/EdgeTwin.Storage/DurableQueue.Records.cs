using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using LiteDB;

namespace EdgeTwin.Storage;

public sealed partial class DurableQueue
{
    /// <summary>The checkpoint a source committed last under <paramref name="key"/>, or null.</summary>
    public string? GetCheckpoint(string key)
    {
        return Guarded("reading a source checkpoint", () => _meta.FindById("cp:" + key)?["v"].AsString);
    }

    public QueueStats GetStats() => Guarded("reading the queue's statistics", () =>
        {
            var lag = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var sink in _sinks)
            {
                var cursor = _cursors.TryGetValue(sink, out var c) ? c : 0;
                var lane = _lanes.GetValueOrDefault(sink);
                long behind = 0;
                for (var i = _index.Count - 1; i >= _indexHead && _index[i].Id > cursor; i--)
                {
                    if (!lane.Holds(_index[i].Id)) behind += _index[i].Count;
                }
                lag[sink] = behind;
            }
            var segments = _index.Count - _indexHead;
            return new QueueStats(
                segments, _points, _bytes, _options.MaxBytes, FreeDiskBytes(),
                segments > 0 ? _index[_indexHead].Id : 0, _lastId,
                segments > 0 ? _index[_indexHead].MinTicks : 0,
                new Dictionary<string, long>(_cursors, StringComparer.Ordinal), lag,
                _quarantineCount, _ledger.Records, _ledger.LostPoints, Dedup.SeriesCount, Streams.Count, _full)
            {
                OpenLossRecords = _ledger.OpenRecords,
                RefusingAtFloor = _refusingAtFloor,
                FloorRefusals = _floorRefusals,
            };
        });

    /// <summary>
    /// Quarantine entries, oldest first (or newest first), optionally only those with <paramref name="reason"/>;
    /// <paramref name="afterId"/> pages on from the last id seen in that order (0 starts at the beginning).
    /// </summary>
    public IReadOnlyList<QuarantineRecord> ListQuarantine(int limit = 1000, QuarantineReason? reason = null, long afterId = 0, bool newestFirst = false) =>
        Guarded<IReadOnlyList<QuarantineRecord>>("listing the quarantine", () =>
        {
            var result = new List<QuarantineRecord>();
            var query = Query.All("_id", newestFirst ? Query.Descending : Query.Ascending);
            if (newestFirst) { if (afterId > 0) query.Where.Add(Query.LT("_id", afterId)); }
            else query.Where.Add(Query.GT("_id", afterId));
            foreach (var doc in _quarantine.Find(query))
            {
                var record = DocToQuarantine(doc);
                if (reason is { } r && record.Reason != r) continue;
                result.Add(record);
                if (result.Count >= limit) break;
            }
            return result;
        });

    public IReadOnlyList<LossRecord> ListLoss(int limit = 1000) =>
        Guarded<IReadOnlyList<LossRecord>>("listing the loss ledger", () => _loss.Find(Query.All(Query.Descending), limit: limit).Select(LossLedger.ToRecord).ToList());

    /// <summary>
    /// Removes up to <paramref name="limit"/> quarantine entries (oldest first, optionally only those with
    /// <paramref name="reason"/>) on an operator's request. What is purged is never forwarded: it goes to the loss
    /// ledger as one record, in the same transaction. Returns how many entries were removed.
    /// </summary>
    public int PurgeQuarantine(QuarantineReason? reason, int limit, string requestedBy) => Guarded("purging the quarantine", () =>
        {
            var now = NowTicks;
            var purge = new List<(long Id, long At, int Bytes)>();
            foreach (var doc in _quarantine.FindAll())
            {
                if (purge.Count >= limit) break;
                if (reason is { } r && doc["r"].AsInt32 != (int)r) continue;
                purge.Add((doc["_id"].AsInt64, doc["at"].AsInt64, doc["sz"].AsInt32));
            }
            if (purge.Count == 0) return 0;
            var bytes = Math.Max(0, _quarantineBytes - purge.Sum(p => (long)p.Bytes));
            _ledger.Discard();
            _ledger.StageClosedRecord(new LossRecord(now, "(quarantine)", reason is { } why ? QuarantineReasons.ToText(why) : "(entries)",
                purge.Min(p => p.At), purge.Max(p => p.At), purge.Count, "quarantine_purged: " + requestedBy));
            try
            {
                Durably(() =>
                {
                    foreach (var p in purge) _quarantine.Delete(p.Id);
                    _ledger.Write(_loss);
                    WriteQuarantineBytes(bytes);
                });
            }
            catch
            {
                _ledger.Discard();
                throw;
            }
            _ledger.Committed();
            _quarantineCount -= purge.Count;
            _quarantineBytes = bytes;
            return purge.Count;
        });

    private void SweepQuarantine(long now)
    {
        var overCount = _quarantineCount > _options.QuarantineMaxEntries;
        var overBytes = _quarantineBytes > _options.QuarantineMaxBytes;
        var ageDue = now - _lastQuarantineSweepTicks > TimeSpan.TicksPerMinute;
        if (!overCount && !overBytes && !ageDue) return;
        _lastQuarantineSweepTicks = now;
        var cutoff = now - _options.QuarantineMaxAge.Ticks;
        var evict = new List<(long Id, long At, int Bytes)>();
        var count = _quarantineCount;
        var bytes = _quarantineBytes;
        foreach (var doc in _quarantine.FindAll())
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
        _db.BeginTrans();
        try
        {
            foreach (var e in evict) _quarantine.Delete(e.Id);
            _ledger.Write(_loss);
            WriteQuarantineBytes(Math.Max(0, bytes));
            _db.Commit();
        }
        catch
        {
            TryRollback();
            _ledger.Discard();
            throw;
        }
        _ledger.Committed();
        _quarantineCount = count;
        _quarantineBytes = Math.Max(0, bytes);
        Log.QuarantineEvicted(_log, evict.Count);
    }

    private void WriteQuarantineBytes(long bytes) => _meta.Upsert(new BsonDocument { ["_id"] = "quarantine", ["bytes"] = bytes });

    private static BsonDocument QuarantineToDoc(QuarantineRecord q)
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
            ["st"] = (long)r.StatusCode,
            ["q"] = r.Quality is { } quality ? (int)quality : -1,
            ["raw"] = r.Raw is null ? BsonValue.Null : r.Raw,
            ["sz"] = q.ApproximateBytes,
        };
    }

    private static QuarantineRecord DocToQuarantine(BsonDocument d)
    {
        var kind = (PointValueKind)d["vk"].AsInt32;
        var value = kind switch
        {
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
}
