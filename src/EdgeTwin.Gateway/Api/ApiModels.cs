using System.Text.Json.Serialization;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Gateway.Api;

// The JSON documents of the local API (camelCase, nulls omitted). They are a contract with the status page and
// with scripts on site: add fields, do not rename them.

public sealed record ErrorResponse(string Error);

public sealed record HealthResponse(string Status, string Version, double PipelineIdleSeconds);

public sealed record ReadyResponse(bool Ready, List<string> Problems);

public sealed record StatusResponse(
    string Version,
    string GatewayId,
    string ConfigHash,
    string ConfigSource,
    DateTime StartedUtc,
    DateTime NowUtc,
    bool Ready,
    List<string> Problems,
    List<SourceResponse> Sources,
    List<SinkResponse> Sinks,
    QueueResponse Queue,
    PipelineResponse Pipeline);

public sealed record SourceResponse(string Name, string Connection, string State, long ReadingsIn, long Committed, long Duplicates, long Quarantined);

public sealed record SinkResponse(string Name, string State, string Detail, long Forwarded, long Cursor, long LagPoints);

public sealed record PipelineResponse(
    long ReadingsIn, long Accepted, long Duplicates, long LateUnverified, long Quarantined, long Commits,
    long CommitP50Micros, long CommitP99Micros, long DroppedPoints, long BlockedMillis, long ReplayedCured, string? StorageError);

public sealed record QueueResponse(
    long Segments, long Points, long Bytes, long MaxBytes, long FreeDiskBytes, long MinFreeDiskBytes, string FullPolicy, bool Full,
    DateTime? OldestPointUtc, double OldestPointAgeSeconds, long FirstSegmentId, long LastSegmentId,
    long QuarantineEntries, long LossRecords, long LostPoints, int Series, int Streams,
    List<SinkLagResponse> Sinks, List<LossResponse> RecentLoss)
{
    /// <summary>Loss-ledger ranges still open (extended while their series keeps being dropped).</summary>
    public int OpenLossRecords { get; init; }

    /// <summary>Longest a loss range stays open ($.queue.lossRangeSeconds).</summary>
    public double LossRangeSeconds { get; init; }

    /// <summary>The queue refuses new points at the free-disk floor: drop-oldest found nothing left to drop (or the policy is block).</summary>
    public bool RefusingAtFloor { get; init; }

    /// <summary>Commits refused at the free-disk floor since the daemon started.</summary>
    public long FloorRefusals { get; init; }

    /// <summary>Series records in the queue's database (evicted series; <see cref="QueueResponse.Series"/> counts those in memory).</summary>
    public long SeriesStored { get; init; }

    public long SeriesEvictions { get; init; }

    public long SeriesMemoryBytes { get; init; }

    public long SeriesMemoryLimit { get; init; }
}

public sealed record SinkLagResponse(string Name, long Cursor, long LagPoints);

/// <param name="Open">Still open: further drops of the series extend it.</param>
/// <param name="OpenedAt">When the range was opened; <paramref name="At"/> is when it was last extended.</param>
public sealed record LossResponse(long Id, DateTime At, string AssetId, string Metric, DateTime From, DateTime To, long Count, string Reason, bool Open, DateTime OpenedAt);

public sealed record ShadowResponse(string GatewayId, int Count, List<ShadowEntry> Series);

/// <summary>The latest value of one series (asset + metric), or for events the latest event of that series.</summary>
public sealed record ShadowEntry(
    string AssetId,
    string? AssetName,
    string Metric,
    string? Unit,
    [property: JsonConverter(typeof(PointValueJsonConverter))] PointValue Value,
    string Quality,
    uint StatusCode,
    DateTime Ts,
    string Source,
    long Updates,
    string? Event = null,
    string? Model = null,
    string? ModelVersion = null);

public sealed record QuarantineResponse(long Total, int Count, List<QuarantineEntry> Entries);

public sealed record QuarantineEntry(
    long Id,
    DateTime Received,
    string Reason,
    string Detail,
    string Source,
    string Address,
    string? AssetId,
    string? Metric,
    DateTime? Ts,
    [property: JsonConverter(typeof(PointValueJsonConverter))] PointValue Value,
    string? Raw,
    bool Replayable);

public sealed record ReplayResponse(int Replayed, int Cured, int Duplicates, int Remaining);

public sealed record PurgeResponse(int Purged, long Remaining);

/// <summary>What the status page shows first, embedded in the page itself so that its first paint has data.</summary>
public sealed record PageStateResponse(StatusResponse Status, ShadowResponse Shadow, QuarantineResponse Quarantine, ShadowResponse Anomalies);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ReadyResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(QueueResponse))]
[JsonSerializable(typeof(ShadowResponse))]
[JsonSerializable(typeof(QuarantineResponse))]
[JsonSerializable(typeof(ReplayResponse))]
[JsonSerializable(typeof(PurgeResponse))]
[JsonSerializable(typeof(PageStateResponse))]
[JsonSerializable(typeof(CertificatesResponse))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
