using System.Text.Json.Serialization;
using EdgeTwin.Storage;

namespace EdgeTwin.Gateway.Status;

/// <summary>What the daemon writes to <c>status.json</c> in its state directory every few seconds.</summary>
public sealed class GatewayStatus
{
    public string Version { get; set; } = "";
    public string GatewayId { get; set; } = "";
    public string ConfigHash { get; set; } = "";
    public int Pid { get; set; }
    public DateTime UpdatedUtc { get; set; }
    public DateTime StartedUtc { get; set; }
    public QueueStatus Queue { get; set; } = new();
    public PipelineStatus Pipeline { get; set; } = new();
    public Dictionary<string, string> Sources { get; set; } = [];
    public Dictionary<string, SinkStatus> Sinks { get; set; } = [];
    public List<string> RecoveryProblems { get; set; } = [];

    /// <summary>Where the local API listens (the bound port, also when $.api.port is 0); null while it is off or not yet up.</summary>
    public string? ApiUrl { get; set; }
}

public sealed class QueueStatus
{
    /// <summary>The queue's statistics as the status and the offline verbs show them.</summary>
    public static QueueStatus From(QueueStats s) => new()
    {
        Segments = s.Segments, Points = s.Points, Bytes = s.Bytes, MaxBytes = s.MaxBytes, FreeDiskBytes = s.FreeDiskBytes,
        FirstSegmentId = s.FirstSegmentId, LastSegmentId = s.LastSegmentId,
        OldestPointUtc = s.OldestPointTicks > 0 ? new DateTime(s.OldestPointTicks, DateTimeKind.Utc) : null,
        QuarantineEntries = s.QuarantineEntries, LossRecords = s.LossRecords, LostPoints = s.LostPoints,
        Series = s.Series, Streams = s.Streams, Full = s.Full,
        SeriesStored = s.SeriesStored, SeriesEvictions = s.SeriesEvictions, SeriesMemoryBytes = s.SeriesMemoryBytes, SeriesMemoryLimit = s.SeriesMemoryLimit,
        OpenLossRecords = s.OpenLossRecords, RefusingAtFloor = s.RefusingAtFloor, FloorRefusals = s.FloorRefusals,
    };

    public long Segments { get; set; }
    public long Points { get; set; }
    public long Bytes { get; set; }
    public long MaxBytes { get; set; }
    public long FreeDiskBytes { get; set; }
    public long FirstSegmentId { get; set; }
    public long LastSegmentId { get; set; }
    public DateTime? OldestPointUtc { get; set; }
    public long QuarantineEntries { get; set; }
    public long LossRecords { get; set; }
    public long LostPoints { get; set; }
    public int OpenLossRecords { get; set; }
    public bool RefusingAtFloor { get; set; }
    public long FloorRefusals { get; set; }
    public int Series { get; set; }
    public long SeriesStored { get; set; }
    public long SeriesEvictions { get; set; }
    public long SeriesMemoryBytes { get; set; }
    public long SeriesMemoryLimit { get; set; }
    public int Streams { get; set; }
    public bool Full { get; set; }
}

public sealed class PipelineStatus
{
    public long ReadingsIn { get; set; }
    public long Accepted { get; set; }
    public long Duplicates { get; set; }
    public long LateUnverified { get; set; }
    public long Quarantined { get; set; }
    public Dictionary<string, long> QuarantinedByReason { get; set; } = [];
    public long Commits { get; set; }
    public long CommitP50Micros { get; set; }
    public long CommitP99Micros { get; set; }
    public long CommitMaxMicros { get; set; }
    public long DroppedPoints { get; set; }
    public long BlockedMillis { get; set; }
    public string? StorageError { get; set; }
}

public sealed class SinkStatus
{
    public string State { get; set; } = "";
    public long Forwarded { get; set; }
    public long Cursor { get; set; }
    public long LagPoints { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GatewayStatus))]
[JsonSerializable(typeof(QueueStatus))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
