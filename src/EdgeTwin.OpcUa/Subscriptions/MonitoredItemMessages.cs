using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Subscriptions;

/// <summary>MonitoringMode, encoded as Int32 (OPC 10000-4 §7.23).</summary>
public enum MonitoringMode
{
    Disabled = 0,
    Sampling = 1,
    Reporting = 2,
}

/// <summary>DeadbandType (OPC 10000-4 §7.22.2).</summary>
public enum DeadbandType
{
    None = 0,
    Absolute = 1,
    Percent = 2,
}

/// <summary>DataChangeTrigger (OPC 10000-4 §7.22.2).</summary>
public enum DataChangeTrigger
{
    Status = 0,
    StatusValue = 1,
    StatusValueTimestamp = 2,
}

/// <summary>What to monitor and how: the node, sampling interval, queue and an optional deadband filter.</summary>
public sealed record MonitoredItemRequest(
    NodeId NodeId,
    uint ClientHandle,
    double SamplingInterval = -1,
    uint QueueSize = 10,
    bool DiscardOldest = true,
    DeadbandType Deadband = DeadbandType.None,
    double DeadbandValue = 0,
    DataChangeTrigger Trigger = DataChangeTrigger.StatusValue)
{
    public void Write(ref UaBinaryWriter writer)
    {
        new ReadValueId(NodeId).Write(ref writer);
        writer.WriteInt32((int)MonitoringMode.Reporting);
        writer.WriteUInt32(ClientHandle);
        writer.WriteDouble(SamplingInterval);
        if (Deadband == DeadbandType.None && Trigger == DataChangeTrigger.StatusValue)
        {
            writer.WriteExtensionObject(null);
        }
        else
        {
            // DataChangeFilter (i=724): Trigger Int32, DeadbandType UInt32, DeadbandValue Double = 16 bytes.
            writer.WriteNodeId(new NodeId(SubscriptionEncodingIds.DataChangeFilter));
            writer.WriteByte((byte)ExtensionObjectEncoding.Binary);
            writer.WriteInt32(16);
            writer.WriteInt32((int)Trigger);
            writer.WriteUInt32((uint)Deadband);
            writer.WriteDouble(DeadbandValue);
        }

        writer.WriteUInt32(QueueSize);
        writer.WriteBoolean(DiscardOldest);
    }
}

/// <summary>CreateMonitoredItemsRequest (OPC 10000-4 §5.12.2) for a slice of the caller's items.</summary>
public sealed class CreateMonitoredItemsRequest(uint subscriptionId, TimestampsToReturn timestamps, ReadOnlyMemory<MonitoredItemRequest> items) : IUaRequest
{
    public uint EncodingId => SubscriptionEncodingIds.CreateMonitoredItemsRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        writer.WriteUInt32(subscriptionId);
        writer.WriteInt32((int)timestamps);
        var span = items.Span;
        writer.WriteInt32(span.Length);
        foreach (var item in span)
        {
            item.Write(ref writer);
        }
    }
}

/// <summary>MonitoredItemCreateResult (OPC 10000-4 §5.12.2).</summary>
public readonly record struct MonitoredItemCreateResult(StatusCode StatusCode, uint MonitoredItemId, double RevisedSamplingInterval, uint RevisedQueueSize);

/// <summary>CreateMonitoredItemsResponse (OPC 10000-4 §5.12.2).</summary>
public sealed record CreateMonitoredItemsResponse(ResponseHeader Header, MonitoredItemCreateResult[] Results) : IUaResponse<CreateMonitoredItemsResponse>
{
    public static uint EncodingId => SubscriptionEncodingIds.CreateMonitoredItemsResponse;

    public static CreateMonitoredItemsResponse Decode(ref UaBinaryReader reader, ResponseHeader header)
    {
        var results = reader.ReadArray(23, static (ref UaBinaryReader r) =>
        {
            var result = new MonitoredItemCreateResult(r.ReadStatusCode(), r.ReadUInt32(), r.ReadDouble(), r.ReadUInt32());
            r.ReadExtensionObject(); // FilterResult
            return result;
        });
        reader.ReadDiagnosticInfoArray();
        return new CreateMonitoredItemsResponse(header, results);
    }
}
