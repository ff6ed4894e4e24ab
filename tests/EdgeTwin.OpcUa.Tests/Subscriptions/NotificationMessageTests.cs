using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Subscriptions;
using EdgeTwin.OpcUa.Tests.Infrastructure;
using EdgeTwin.OpcUa.Tests.Transport;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Tests.Subscriptions;

/// <summary>
/// The in-place decoding of NotificationMessage (bodies read where they lie, one pooled list of data changes) against
/// a plain reference decoder that copies each ExtensionObject body out and decodes the copy, on the Publish
/// responses of the stored node-opcua capture and on built messages with several notifications.
/// </summary>
public class NotificationMessageTests
{
    private static string StoredPath => Path.Combine(AppContext.BaseDirectory, "TestData", LiveCapture.FileName);

    [Fact]
    public void CapturedPublishResponses_DecodeInPlace_AsTheCopyingReferenceDoes_InOneBufferAndOneBytePerSegment()
    {
        var bodies = PublishResponseBodies(LiveCapture.Load(StoredPath)).ToList();
        Assert.True(bodies.Count >= 3, $"{bodies.Count} Publish responses in the capture");
        var changes = 0;
        foreach (var body in bodies)
        {
            var expected = ReferenceDecode(body);
            var whole = new UaBinaryReader(body);
            AssertSame(expected, DecodePublish(ref whole));
            Assert.True(whole.End);
            var pieces = new UaBinaryReader(Segments.OneBytePerSegment(body));
            AssertSame(expected, DecodePublish(ref pieces));
            Assert.True(pieces.End);
            changes += expected.DataChanges.Count;
        }

        Assert.True(changes >= 3, $"{changes} data changes in the captured Publish responses");
    }

    [Fact]
    public void SeveralNotificationsInOneMessage_AreDecodedInWireOrder_IntoOneList_ThatReleaseEmpties()
    {
        var time = new DateTime(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc);
        var first = new[] { new MonitoredItemNotification(7, new DataValue(new Variant(1.5), null, time, time)), new MonitoredItemNotification(8, new DataValue { Status = StatusCode.BadNodeIdUnknown }) };
        var second = new[] { new MonitoredItemNotification(9, new DataValue(new Variant("x"), StatusCode.Uncertain, time) { SourcePicoseconds = 12, ServerPicoseconds = 34 }) };
        var bytes = Hex.Write((ref UaBinaryWriter w) =>
        {
            w.WriteUInt32(42);
            w.WriteDateTime(time);
            w.WriteInt32(4);
            w.WriteExtensionObject(DataChange(first));
            w.WriteExtensionObject(new ExtensionObject(new NodeId(SubscriptionEncodingIds.StatusChangeNotification), ExtensionObjectEncoding.Binary,
                Hex.Write((ref UaBinaryWriter b) =>
                {
                    b.WriteStatusCode(StatusCode.BadTimeout);
                    b.WriteDiagnosticInfo(DiagnosticInfo.Empty);
                })));
            w.WriteExtensionObject(DataChange([]));
            w.WriteExtensionObject(DataChange(second));
        });

        foreach (var reader in new[] { 0, 1 })
        {
            var r = reader == 0 ? new UaBinaryReader(bytes) : new UaBinaryReader(Segments.OneBytePerSegment(bytes));
            var message = NotificationMessage.Read(ref r, UaEncodingLimits.Default);
            Assert.True(r.End);
            Assert.Equal(42u, message.SequenceNumber);
            Assert.Equal(time, message.PublishTime);
            Assert.Equal(StatusCode.BadTimeout, message.StatusChange);
            var changes = message.DataChanges;
            Assert.Equal(first.Concat(second).ToArray(), changes);
            Assert.Equal(first.Concat(second).ToArray(), changes.AsSpan().ToArray());
            Assert.Equal((ushort)12, changes[2].Value.SourcePicoseconds);
            Assert.Equal((ushort)34, changes[2].Value.ServerPicoseconds);
            Assert.Throws<ArgumentOutOfRangeException>(() => changes[3]);

            message.Release();
            Assert.True(changes.Count == 0, $"{changes.Count} changes after release");
            Assert.Empty(changes);
            Assert.Throws<ArgumentOutOfRangeException>(() => changes[0]);
            message.Release();
            Assert.True(changes.Count == 0, "a second release leaves the list empty");
        }
    }

    [Fact]
    public void ReleasedMessagesOfAThousandChanges_AreDecodedWithoutAllocatingPerChange()
    {
        var time = new DateTime(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc);
        var items = Enumerable.Range(1, 1000).Select(i => new MonitoredItemNotification((uint)i, new DataValue(new Variant(i * 0.5), null, time, time))).ToArray();
        var bytes = Hex.Write((ref UaBinaryWriter w) =>
        {
            w.WriteUInt32(7);
            w.WriteDateTime(time);
            w.WriteInt32(1);
            w.WriteExtensionObject(DataChange(items));
        });

        long Decode(int times)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < times; i++)
            {
                var r = new UaBinaryReader(bytes);
                var message = NotificationMessage.Read(ref r, UaEncodingLimits.Default);
                Assert.Equal(1000, message.DataChanges.Count);
                message.Release();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Decode(2);
        var perMessage = Decode(100) / 100;
        // Without the pool each message allocates its array: 1,000 changes of up to 72 bytes. With it, only the
        // message and list objects remain.
        Assert.True(perMessage < 1_000, $"{perMessage} bytes allocated per message of 1,000 changes");
    }

    [Fact]
    public void AnErrorInsideANotificationBody_ReadFromPieces_NamesItsOffsetInTheWholeMessage()
    {
        var bytes = Hex.Write((ref UaBinaryWriter w) =>
        {
            w.WriteUInt32(1);
            w.WriteDateTime(DateTime.UnixEpoch);
            w.WriteInt32(1);
            w.WriteExtensionObject(DataChange([new MonitoredItemNotification(1, new DataValue(new Variant(3)))]));
        });
        // Sequence number, time, count, type id (4 bytes), encoding, length, item count, client handle: the DataValue mask.
        const int mask = 4 + 8 + 4 + 4 + 1 + 4 + 4 + 4;
        bytes[mask] = 0xFF;
        foreach (var pieces in new[] { false, true })
        {
            var ex = Assert.Throws<UaDecodingException>(() =>
            {
                var r = pieces ? new UaBinaryReader(Segments.OneBytePerSegment(bytes)) : new UaBinaryReader(bytes);
                NotificationMessage.Read(ref r, UaEncodingLimits.Default);
            });
            Assert.Equal(mask, ex.Offset);
        }
    }

    [Fact]
    public void DataValue_EveryMaskCombination_RoundTrips_AndAbsentFieldsCompareAsAbsent()
    {
        var time = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        for (var mask = 0; mask < 64; mask++)
        {
            var value = new DataValue
            {
                Value = (mask & 0x01) != 0 ? new Variant(mask) : Variant.Null,
                Status = (mask & 0x02) != 0 ? StatusCode.Uncertain : null,
                SourceTimestamp = (mask & 0x04) != 0 ? time : null,
                ServerTimestamp = (mask & 0x08) != 0 ? time.AddSeconds(1) : null,
                SourcePicoseconds = (mask & 0x10) != 0 ? (ushort)(mask + 1) : null,
                ServerPicoseconds = (mask & 0x20) != 0 ? (ushort)(mask + 2) : null,
            };
            var bytes = Hex.Write((ref UaBinaryWriter w) => w.WriteDataValue(value));
            Assert.Equal(mask, bytes[0]);
            var read = Hex.Read(bytes, (ref UaBinaryReader r) => r.ReadDataValue());
            Assert.Equal(value, read);
            Assert.Equal(value.GetHashCode(), read.GetHashCode());
            Assert.Equal(value.Status ?? StatusCode.Good, read.EffectiveStatus);
            Assert.Equal(new DataValue(value.Value), read with { Status = null, SourceTimestamp = null, ServerTimestamp = null, SourcePicoseconds = null, ServerPicoseconds = null });
        }

        // What a Publish response holds thousands of: small enough that a message of 1,000 changes stays off the large object heap.
        Assert.True(Unsafe.SizeOf<MonitoredItemNotification>() <= 72, $"MonitoredItemNotification is {Unsafe.SizeOf<MonitoredItemNotification>()} bytes");
    }

    private static ExtensionObject DataChange(MonitoredItemNotification[] items) =>
        new(new NodeId(SubscriptionEncodingIds.DataChangeNotification), ExtensionObjectEncoding.Binary, Hex.Write((ref UaBinaryWriter w) =>
        {
            w.WriteInt32(items.Length);
            foreach (var item in items)
            {
                w.WriteUInt32(item.ClientHandle);
                w.WriteDataValue(item.Value);
            }

            w.WriteInt32(-1);
        }));

    private static NotificationMessage DecodePublish(ref UaBinaryReader reader)
    {
        Assert.Equal(SubscriptionEncodingIds.PublishResponse, reader.ReadNodeId().NumericIdentifier);
        return PublishResponse.Decode(ref reader, ResponseHeader.Read(ref reader)).Message;
    }

    private static void AssertSame(NotificationMessage expected, NotificationMessage actual)
    {
        Assert.Equal(expected.SequenceNumber, actual.SequenceNumber);
        Assert.Equal(expected.PublishTime, actual.PublishTime);
        Assert.Equal(expected.StatusChange, actual.StatusChange);
        Assert.Equal(expected.EventCount, actual.EventCount);
        Assert.Equal(expected.DataChanges, actual.DataChanges);
        foreach (var change in actual.DataChanges)
        {
            Assert.NotNull(change.Value.SourceTimestamp);
            Assert.NotNull(change.Value.ServerTimestamp);
        }
    }

    // The reference: every notification's body copied out as an ExtensionObject, then decoded from the copy.
    private static NotificationMessage ReferenceDecode(byte[] body)
    {
        var reader = new UaBinaryReader(body);
        Assert.Equal(SubscriptionEncodingIds.PublishResponse, reader.ReadNodeId().NumericIdentifier);
        ResponseHeader.Read(ref reader);
        reader.ReadUInt32();
        reader.ReadArray(4, static (ref UaBinaryReader r) => r.ReadUInt32());
        reader.ReadBoolean();
        var sequenceNumber = reader.ReadUInt32();
        var publishTime = reader.ReadDateTime();
        var changes = new List<MonitoredItemNotification>();
        StatusCode? status = null;
        var events = 0;
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var data = reader.ReadExtensionObject();
            var inner = new UaBinaryReader(data.Body);
            switch (data.TypeId.NumericIdentifier)
            {
                case SubscriptionEncodingIds.DataChangeNotification:
                    var items = inner.ReadInt32();
                    for (var j = 0; j < items; j++)
                    {
                        changes.Add(new MonitoredItemNotification(inner.ReadUInt32(), inner.ReadDataValue()));
                    }

                    break;
                case SubscriptionEncodingIds.StatusChangeNotification:
                    status = inner.ReadStatusCode();
                    break;
                default:
                    events += inner.ReadInt32();
                    break;
            }
        }

        return new NotificationMessage(sequenceNumber, publishTime, DataChangeList.Of([.. changes]), status, events);
    }

    // Reassembles the server's MSG chunks per request id and keeps the bodies that are Publish responses.
    private static IEnumerable<byte[]> PublishResponseBodies(LiveCapture capture)
    {
        foreach (var connection in capture.Connections)
        {
            var parts = new Dictionary<uint, List<byte>>();
            foreach (var chunk in connection.FromServer.Where(c => CapturedMessages.Kind(c).StartsWith("MSG", StringComparison.Ordinal)))
            {
                var requestId = BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(20));
                if (!parts.TryGetValue(requestId, out var body))
                {
                    parts[requestId] = body = [];
                }

                body.AddRange(chunk[24..]);
                if (chunk[3] != (byte)'F')
                {
                    continue;
                }

                parts.Remove(requestId);
                var bytes = body.ToArray();
                var type = new UaBinaryReader(bytes).ReadNodeId();
                if (type == new NodeId(SubscriptionEncodingIds.PublishResponse))
                {
                    yield return bytes;
                }
            }
        }
    }
}
