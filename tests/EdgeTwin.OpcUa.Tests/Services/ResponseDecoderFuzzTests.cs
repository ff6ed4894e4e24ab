using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Subscriptions;
using EdgeTwin.OpcUa.Tests.Infrastructure;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Tests.Services;

/// <summary>
/// Seeded mutations of valid Read and Publish responses: decoding either succeeds or fails with a decoding
/// error, never with another exception, a hang, or an allocation the message cannot back.
/// </summary>
public class ResponseDecoderFuzzTests
{
    private static readonly ResponseHeader Header = new(DateTime.UnixEpoch, 7, StatusCode.Good, DiagnosticInfo.Empty, null);

    private static byte[] ReadResponseBytes() => Hex.Write((ref UaBinaryWriter w) =>
    {
        Header.Write(ref w);
        w.WriteInt32(3);
        w.WriteDataValue(new DataValue(new Variant(1.5), null, DateTime.UnixEpoch, DateTime.UnixEpoch));
        w.WriteDataValue(new DataValue(Variant.FromArray(BuiltInType.String, new string?[] { "a", null }, [1, 2])));
        w.WriteDataValue(new DataValue { Status = StatusCode.BadNodeIdUnknown });
        w.WriteInt32(-1);
    });

    private static byte[] DataChangeBytes() => Hex.Write((ref UaBinaryWriter w) =>
    {
        w.WriteInt32(2);
        w.WriteUInt32(1);
        w.WriteDataValue(new DataValue(new Variant(42), null, DateTime.UnixEpoch));
        w.WriteUInt32(2);
        w.WriteDataValue(new DataValue(new Variant("x")));
        w.WriteInt32(0);
    });

    private static byte[] PublishResponseBytes()
    {
        var dataChange = DataChangeBytes();
        return Hex.Write((ref UaBinaryWriter w) =>
        {
            Header.Write(ref w);
            w.WriteUInt32(5); // SubscriptionId
            w.WriteInt32(2); // AvailableSequenceNumbers
            w.WriteUInt32(3);
            w.WriteUInt32(4);
            w.WriteBoolean(false);
            w.WriteUInt32(4); // NotificationMessage.SequenceNumber
            w.WriteDateTime(DateTime.UnixEpoch);
            w.WriteInt32(1);
            w.WriteExtensionObject(new ExtensionObject(new NodeId(SubscriptionEncodingIds.DataChangeNotification), ExtensionObjectEncoding.Binary, dataChange));
            w.WriteInt32(0); // Results
            w.WriteInt32(0); // DiagnosticInfos
        });
    }

    [Fact]
    public void ValidResponses_Decode()
    {
        var read = Hex.Read(ReadResponseBytes(), (ref UaBinaryReader r) => ReadResponse.Decode(ref r, ResponseHeader.Read(ref r)));
        Assert.Equal(1.5, read.Results[0].Value.AsDouble());
        Assert.Equal(new[] { 1, 2 }, read.Results[1].Value.ArrayDimensions);
        var publish = Hex.Read(PublishResponseBytes(), (ref UaBinaryReader r) => PublishResponse.Decode(ref r, ResponseHeader.Read(ref r)));
        Assert.Equal(new uint[] { 3, 4 }, publish.AvailableSequenceNumbers);
        Assert.Equal(new MonitoredItemNotification(1, new DataValue(new Variant(42), null, DateTime.UnixEpoch)), publish.Message.DataChanges[0]);
        Assert.Equal("x", publish.Message.DataChanges[1].Value.Value.AsString());
    }

    [Fact]
    public void ErrorInsideANotificationBody_NamesItsOffsetInTheWholeMessage()
    {
        var bytes = PublishResponseBytes();
        // The first DataValue mask inside the DataChangeNotification (after its count and client handle),
        // which is followed in the message by the Results and DiagnosticInfos counts: make it invalid.
        var maskAt = bytes.Length - 8 - DataChangeBytes().Length + 8;
        Assert.Equal(0x05, bytes[maskAt]);
        bytes[maskAt] = 0xC0;
        var ex = Assert.Throws<UaDecodingException>(() => Hex.Read(bytes, (ref UaBinaryReader r) => PublishResponse.Decode(ref r, ResponseHeader.Read(ref r))));
        Assert.Equal(maskAt, ex.Offset);
    }

    /// <summary>
    /// The same mutations, each decoded once from one buffer (the span path) and once from three segments (the
    /// SequenceReader path, as data still in the pipe): both accept it with the same result, or both reject it at
    /// the same offset.
    /// </summary>
    [Theory]
    [InlineData("read", 21)]
    [InlineData("publish", 22)]
    public void MutatedResponses_DecodeTheSameFromOneBufferAndFromSegments(string which, int seed)
    {
        var valid = which == "read" ? ReadResponseBytes() : PublishResponseBytes();
        var random = new Random(seed);
        for (var round = 0; round < 5_000; round++)
        {
            var bytes = (byte[])valid.Clone();
            for (var i = random.Next(1, 4); i > 0; i--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var whole = Outcome(new UaBinaryReader(bytes), which);
            var pieces = Outcome(new UaBinaryReader(Segments.Split(bytes, random.Next(bytes.Length), random.Next(bytes.Length))), which);
            Assert.Equal(whole, pieces);
        }
    }

    // What a decode came to, comparable across reader kinds: the values decoded, or where it failed.
    private static string Outcome(UaBinaryReader reader, string which)
    {
        try
        {
            var header = ResponseHeader.Read(ref reader);
            if (which == "read")
            {
                return string.Join('|', ReadResponse.Decode(ref reader, header).Results) + $" end {reader.Position}";
            }

            var publish = PublishResponse.Decode(ref reader, header);
            return string.Join('|', publish.Message.DataChanges) + $" seq {publish.Message.SequenceNumber} status {publish.Message.StatusChange} events {publish.Message.EventCount} end {reader.Position}";
        }
        catch (UaDecodingException ex)
        {
            return $"error at {ex.Offset}: {ex.Status}";
        }
    }

    [Theory]
    [InlineData("read", 11)]
    [InlineData("publish", 12)]
    public void MutatedResponses_DecodeOrFailWithADecodingError(string which, int seed)
    {
        var valid = which == "read" ? ReadResponseBytes() : PublishResponseBytes();
        var random = new Random(seed);
        int accepted = 0, rejected = 0;
        for (var round = 0; round < 20_000; round++)
        {
            var bytes = (byte[])valid.Clone();
            for (var i = random.Next(1, 4); i > 0; i--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            if (random.Next(4) == 0)
            {
                bytes = bytes[..random.Next(bytes.Length)];
            }

            try
            {
                var reader = new UaBinaryReader(bytes);
                var header = ResponseHeader.Read(ref reader);
                if (which == "read")
                {
                    ReadResponse.Decode(ref reader, header);
                }
                else
                {
                    PublishResponse.Decode(ref reader, header);
                }

                accepted++;
            }
            catch (UaDecodingException ex)
            {
                Assert.InRange(ex.Offset, 0, bytes.Length);
                rejected++;
            }
        }

        Assert.True(accepted > 0 && rejected > 0, $"accepted {accepted}, rejected {rejected}");
    }
}
