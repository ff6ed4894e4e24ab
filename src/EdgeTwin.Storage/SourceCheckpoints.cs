using LiteDB;

namespace EdgeTwin.Storage;

/// <summary>
/// The sources' checkpoints (an MQTT session's or a spool file's position): written in the transaction of the commit
/// that holds the readings up to them, so a source resumes exactly after what is durable. Used under the queue's gate.
/// </summary>
internal sealed class SourceCheckpoints(QueueDatabase db)
{
    public string? Get(string key) => db.Meta.FindById("cp:" + key)?["v"].AsString;

    /// <summary>Inside the caller's transaction.</summary>
    public void Write(IReadOnlyDictionary<string, string> checkpoints)
    {
        foreach (var cp in checkpoints) db.Meta.Upsert(new BsonDocument { ["_id"] = "cp:" + cp.Key, ["v"] = cp.Value });
    }
}
