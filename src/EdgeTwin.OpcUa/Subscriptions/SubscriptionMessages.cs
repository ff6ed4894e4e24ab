using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Subscriptions;

/// <summary>DefaultBinary encoding ids of the subscription services (NodeIds.csv).</summary>
public static class SubscriptionEncodingIds
{
    public const uint CreateSubscriptionRequest = 787;
    public const uint CreateSubscriptionResponse = 790;
    public const uint DeleteSubscriptionsRequest = 847;
    public const uint DeleteSubscriptionsResponse = 850;
    public const uint PublishRequest = 826;
    public const uint PublishResponse = 829;
    public const uint RepublishRequest = 832;
    public const uint RepublishResponse = 835;
    public const uint CreateMonitoredItemsRequest = 751;
    public const uint CreateMonitoredItemsResponse = 754;
    public const uint DeleteMonitoredItemsRequest = 781;
    public const uint DeleteMonitoredItemsResponse = 784;
    public const uint DataChangeNotification = 811;
    public const uint StatusChangeNotification = 820;
    public const uint EventNotificationList = 916;
    public const uint DataChangeFilter = 724;
    public const uint SetPublishingModeRequest = 799;
    public const uint SetPublishingModeResponse = 802;
    public const uint TransferSubscriptionsRequest = 841;
    public const uint TransferSubscriptionsResponse = 844;
}

/// <summary>CreateSubscriptionRequest (OPC 10000-4 §5.13.2).</summary>
public sealed record CreateSubscriptionRequest(double PublishingInterval, uint LifetimeCount, uint MaxKeepAliveCount, uint MaxNotificationsPerPublish, bool PublishingEnabled, byte Priority) : IUaRequest
{
    public uint EncodingId => SubscriptionEncodingIds.CreateSubscriptionRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        writer.WriteDouble(PublishingInterval);
        writer.WriteUInt32(LifetimeCount);
        writer.WriteUInt32(MaxKeepAliveCount);
        writer.WriteUInt32(MaxNotificationsPerPublish);
        writer.WriteBoolean(PublishingEnabled);
        writer.WriteByte(Priority);
    }
}

/// <summary>CreateSubscriptionResponse (OPC 10000-4 §5.13.2).</summary>
public sealed record CreateSubscriptionResponse(ResponseHeader Header, uint SubscriptionId, double RevisedPublishingInterval, uint RevisedLifetimeCount, uint RevisedMaxKeepAliveCount)
    : IUaResponse<CreateSubscriptionResponse>
{
    public static uint EncodingId => SubscriptionEncodingIds.CreateSubscriptionResponse;

    public static CreateSubscriptionResponse Decode(ref UaBinaryReader reader, ResponseHeader header) =>
        new(header, reader.ReadUInt32(), reader.ReadDouble(), reader.ReadUInt32(), reader.ReadUInt32());
}

/// <summary>A request whose body is one UInt32 array after an optional subscription id (Delete…, SetPublishingMode).</summary>
public sealed record UInt32ArrayRequest(uint EncodingId, uint? SubscriptionId, IReadOnlyList<uint> Ids) : IUaRequest
{
    public void EncodeBody(ref UaBinaryWriter writer)
    {
        if (SubscriptionId is { } id)
        {
            writer.WriteUInt32(id);
        }

        writer.WriteInt32(Ids.Count);
        foreach (var value in Ids)
        {
            writer.WriteUInt32(value);
        }
    }
}

/// <summary>A response that is StatusCode[] plus DiagnosticInfo[] (DeleteSubscriptions, DeleteMonitoredItems).</summary>
public sealed record StatusResultsResponse(ResponseHeader Header, StatusCode[] Results)
{
    public static StatusResultsResponse Read(ref UaBinaryReader reader, ResponseHeader header)
    {
        var results = reader.ReadStatusCodeArray() ?? [];
        reader.ReadDiagnosticInfoArray();
        return new StatusResultsResponse(header, results);
    }
}

/// <summary>DeleteSubscriptionsResponse (OPC 10000-4 §5.13.8).</summary>
public sealed record DeleteSubscriptionsResponse(StatusResultsResponse Body) : IUaResponse<DeleteSubscriptionsResponse>
{
    public static uint EncodingId => SubscriptionEncodingIds.DeleteSubscriptionsResponse;

    public static DeleteSubscriptionsResponse Decode(ref UaBinaryReader reader, ResponseHeader header) => new(StatusResultsResponse.Read(ref reader, header));
}

/// <summary>SetPublishingModeRequest (OPC 10000-4 §5.13.4).</summary>
public sealed record SetPublishingModeRequest(bool PublishingEnabled, IReadOnlyList<uint> SubscriptionIds) : IUaRequest
{
    public uint EncodingId => SubscriptionEncodingIds.SetPublishingModeRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        writer.WriteBoolean(PublishingEnabled);
        new UInt32ArrayRequest(0, null, SubscriptionIds).EncodeBody(ref writer);
    }
}

/// <summary>SetPublishingModeResponse (OPC 10000-4 §5.13.4).</summary>
public sealed record SetPublishingModeResponse(StatusResultsResponse Body) : IUaResponse<SetPublishingModeResponse>
{
    public static uint EncodingId => SubscriptionEncodingIds.SetPublishingModeResponse;

    public static SetPublishingModeResponse Decode(ref UaBinaryReader reader, ResponseHeader header) => new(StatusResultsResponse.Read(ref reader, header));
}

/// <summary>DeleteMonitoredItemsResponse (OPC 10000-4 §5.12.6).</summary>
public sealed record DeleteMonitoredItemsResponse(StatusResultsResponse Body) : IUaResponse<DeleteMonitoredItemsResponse>
{
    public static uint EncodingId => SubscriptionEncodingIds.DeleteMonitoredItemsResponse;

    public static DeleteMonitoredItemsResponse Decode(ref UaBinaryReader reader, ResponseHeader header) => new(StatusResultsResponse.Read(ref reader, header));
}

/// <summary>SubscriptionAcknowledgement (OPC 10000-4 §5.14.5.2).</summary>
public readonly record struct SubscriptionAcknowledgement(uint SubscriptionId, uint SequenceNumber);

/// <summary>PublishRequest (OPC 10000-4 §5.14.5) carrying acknowledgements of delivered messages.</summary>
public sealed record PublishRequest(IReadOnlyList<SubscriptionAcknowledgement> Acknowledgements) : IUaRequest
{
    public uint EncodingId => SubscriptionEncodingIds.PublishRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        writer.WriteInt32(Acknowledgements.Count);
        foreach (var ack in Acknowledgements)
        {
            writer.WriteUInt32(ack.SubscriptionId);
            writer.WriteUInt32(ack.SequenceNumber);
        }
    }
}

/// <summary>MonitoredItemNotification (OPC 10000-4 §7.25.2): a new value for the item with this client handle.</summary>
public readonly record struct MonitoredItemNotification(uint ClientHandle, DataValue Value);

/// <summary>
/// NotificationMessage (OPC 10000-4 §7.26) with its DataChangeNotifications flattened. A message with no
/// notification data is a keep-alive; its sequence number is the next one to come, not a consumed one.
/// Its <see cref="DataChanges"/> are pooled: <see cref="Release"/> them once taken.
/// </summary>
public sealed record NotificationMessage(uint SequenceNumber, DateTime PublishTime, DataChangeList DataChanges, StatusCode? StatusChange, int EventCount)
{
    public bool IsKeepAlive => DataChanges.Count == 0 && StatusChange is null && EventCount == 0;

    /// <summary>Gives the data changes' array back to the pool (<see cref="DataChangeList.Release"/>).</summary>
    public void Release() => DataChanges.Release();

    /// <summary>
    /// Decodes the message where it lies: each notification's body is read in place from the message, and the
    /// data changes go straight into one pooled array.
    /// </summary>
    public static NotificationMessage Read(ref UaBinaryReader reader, UaEncodingLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var sequenceNumber = reader.ReadUInt32();
        var publishTime = reader.ReadDateTime();
        var count = reader.ReadArrayLength(3);
        var changes = DataChangeList.Empty;
        StatusCode? status = null;
        var events = 0;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var start = reader.Position;
                var body = reader.ReadExtensionObjectInPlace(out var typeId, out var encoding);
                if (encoding != ExtensionObjectEncoding.Binary || typeId.NamespaceIndex != 0 || typeId.IdType != NodeIdType.Numeric)
                {
                    throw new UaDecodingException(StatusCode.BadDecodingError, start, $"notification data of type {typeId} is not a binary notification");
                }

                switch (typeId.NumericIdentifier)
                {
                    case SubscriptionEncodingIds.DataChangeNotification:
                        // Appended to the changes of the notifications before it in the same message (rarely any).
                        var first = changes.Count;
                        changes = changes.Extend(Math.Max(body.ReadArrayLength(5), 0));
                        ReadDataChanges(ref body, changes.Items[first..]);
                        break;
                    case SubscriptionEncodingIds.StatusChangeNotification:
                        status = body.ReadStatusCode();
                        body.ReadDiagnosticInfo();
                        break;
                    case SubscriptionEncodingIds.EventNotificationList:
                        events += Math.Max(body.ReadArrayLength(1), 0);
                        break;
                    default:
                        throw new UaDecodingException(StatusCode.BadDecodingError, start, $"unknown notification data type {typeId}");
                }
            }
        }
        catch
        {
            changes.Release();
            throw;
        }

        return new NotificationMessage(sequenceNumber, publishTime, changes, status, events);
    }

    // DataChangeNotification (OPC 10000-4 §7.25.2) after its array length: the MonitoredItemNotifications, then
    // DiagnosticInfo[].
    private static void ReadDataChanges(ref UaBinaryReader body, Span<MonitoredItemNotification> slots)
    {
        for (var j = 0; j < slots.Length; j++)
        {
            var handle = body.ReadUInt32();
            slots[j] = new MonitoredItemNotification(handle, body.ReadDataValue());
        }

        body.ReadDiagnosticInfoArray();
    }
}

/// <summary>PublishResponse (OPC 10000-4 §5.14.5).</summary>
public sealed record PublishResponse(ResponseHeader Header, uint SubscriptionId, uint[] AvailableSequenceNumbers, bool MoreNotifications, NotificationMessage Message, StatusCode[] AcknowledgementResults)
    : IUaResponse<PublishResponse>
{
    public static uint EncodingId => SubscriptionEncodingIds.PublishResponse;

    public static PublishResponse Decode(ref UaBinaryReader reader, ResponseHeader header)
    {
        var subscriptionId = reader.ReadUInt32();
        var available = ReadUInt32Array(ref reader);
        var more = reader.ReadBoolean();
        var message = NotificationMessage.Read(ref reader, reader.Limits);
        var results = reader.ReadStatusCodeArray() ?? [];
        reader.ReadDiagnosticInfoArray();
        return new PublishResponse(header, subscriptionId, available, more, message, results);
    }

    internal static uint[] ReadUInt32Array(ref UaBinaryReader reader) => reader.ReadArray(4, static (ref UaBinaryReader r) => r.ReadUInt32());
}

/// <summary>RepublishRequest (OPC 10000-4 §5.14.6).</summary>
public sealed record RepublishRequest(uint SubscriptionId, uint RetransmitSequenceNumber) : IUaRequest
{
    public uint EncodingId => SubscriptionEncodingIds.RepublishRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        writer.WriteUInt32(SubscriptionId);
        writer.WriteUInt32(RetransmitSequenceNumber);
    }
}

/// <summary>RepublishResponse (OPC 10000-4 §5.14.6).</summary>
public sealed record RepublishResponse(ResponseHeader Header, NotificationMessage Message) : IUaResponse<RepublishResponse>
{
    public static uint EncodingId => SubscriptionEncodingIds.RepublishResponse;

    public static RepublishResponse Decode(ref UaBinaryReader reader, ResponseHeader header) => new(header, NotificationMessage.Read(ref reader, reader.Limits));
}

/// <summary>TransferSubscriptionsRequest (OPC 10000-4 §5.13.7): moves subscriptions to the session that sends it.</summary>
public sealed record TransferSubscriptionsRequest(IReadOnlyList<uint> SubscriptionIds, bool SendInitialValues) : IUaRequest
{
    public uint EncodingId => SubscriptionEncodingIds.TransferSubscriptionsRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        new UInt32ArrayRequest(0, null, SubscriptionIds).EncodeBody(ref writer);
        writer.WriteBoolean(SendInitialValues);
    }
}

/// <summary>One subscription's TransferResult: whether it moved, and the sequence numbers the server still holds for it.</summary>
public sealed record TransferResult(StatusCode StatusCode, uint[] AvailableSequenceNumbers);

/// <summary>TransferSubscriptionsResponse (OPC 10000-4 §5.13.7).</summary>
public sealed record TransferSubscriptionsResponse(ResponseHeader Header, TransferResult[] Results) : IUaResponse<TransferSubscriptionsResponse>
{
    public static uint EncodingId => SubscriptionEncodingIds.TransferSubscriptionsResponse;

    public static TransferSubscriptionsResponse Decode(ref UaBinaryReader reader, ResponseHeader header)
    {
        var results = reader.ReadArray(8, static (ref UaBinaryReader r) => new TransferResult(r.ReadStatusCode(), PublishResponse.ReadUInt32Array(ref r)));
        reader.ReadDiagnosticInfoArray();
        return new TransferSubscriptionsResponse(header, results);
    }
}
