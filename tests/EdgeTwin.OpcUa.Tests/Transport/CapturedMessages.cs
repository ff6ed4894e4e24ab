using System.Buffers;
using System.Buffers.Binary;
using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Subscriptions;
using EdgeTwin.OpcUa.Transport;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Tests.Transport;

/// <summary>
/// Decodes captured chunks with the client's own decoders, and re-encodes what the client produces (Hello, the
/// OPN and MSG requests, CLO) with its own encoders, byte for byte.
/// </summary>
internal static class CapturedMessages
{
    /// <summary>What one connection contained, for the tests to check coverage.</summary>
    public sealed class Summary
    {
        public HashSet<string> ChunkKinds { get; } = [];

        public HashSet<uint> RequestTypes { get; } = [];

        public HashSet<uint> ResponseTypes { get; } = [];

        public int MultiChunkResponses { get; set; }

        public int DataChanges { get; set; }

        /// <summary>Every value read, in order.</summary>
        public List<DataValue> Values { get; } = [];

        /// <summary>References returned by Browse and BrowseNext, in order.</summary>
        public List<ReferenceDescription> References { get; } = [];
    }

    public static void Verify(LiveCapture.Connection connection, Summary summary)
    {
        var requests = new Dictionary<uint, uint>();
        uint? lastSequence = null;
        foreach (var chunk in connection.FromClient)
        {
            var kind = Kind(chunk);
            summary.ChunkKinds.Add("client " + kind);
            switch (kind[..3])
            {
                case "HEL":
                    ReencodeHello(chunk);
                    break;
                case "OPN":
                {
                    var (_, sequence, requestId, typeId) = ReencodeOpenRequest(chunk);
                    Assert.Equal(UaEncodingIds.OpenSecureChannelRequest, typeId);
                    Next(ref lastSequence, sequence);
                    requests[requestId] = typeId;
                    break;
                }

                case "MSG":
                case "CLO":
                {
                    Assert.Equal('F', kind[3]);
                    var (_, sequence, requestId, typeId) = ReencodeSymmetricRequest(chunk);
                    Assert.Equal(kind == "CLOF" ? UaEncodingIds.CloseSecureChannelRequest : typeId, typeId);
                    Next(ref lastSequence, sequence);
                    requests[requestId] = typeId;
                    summary.RequestTypes.Add(typeId);
                    break;
                }

                default:
                    Assert.Fail($"the client sent a {kind} chunk");
                    break;
            }
        }

        var parts = new Dictionary<uint, List<byte[]>>();
        lastSequence = null;
        foreach (var chunk in connection.FromServer)
        {
            var kind = Kind(chunk);
            summary.ChunkKinds.Add("server " + kind);
            switch (kind[..3])
            {
                case "ACK":
                {
                    var ack = Read(chunk, 8, (ref UaBinaryReader r) => UaTcpAcknowledge.ReadBody(ref r));
                    Assert.Equal(0u, ack.ProtocolVersion);
                    var again = new ArrayBufferWriter<byte>();
                    var writer = new UaBinaryWriter(again);
                    ack.WriteBody(ref writer);
                    Assert.Equal(chunk[8..], again.WrittenSpan.ToArray());
                    break;
                }

                case "ERR":
                    Read(chunk, 8, (ref UaBinaryReader r) => UaTcpError.ReadBody(ref r));
                    break;
                case "OPN":
                {
                    var reader = new UaBinaryReader(chunk.AsMemory(8), baseOffset: 8);
                    var channel = reader.ReadUInt32();
                    UaSecurityPolicyNone.Instance.ReadAsymmetricSecurityHeader(ref reader);
                    Next(ref lastSequence, reader.ReadUInt32());
                    var requestId = reader.ReadUInt32();
                    Assert.Equal(UaEncodingIds.OpenSecureChannelRequest, requests[requestId]);
                    Assert.Equal(new NodeId(UaEncodingIds.OpenSecureChannelResponse), reader.ReadNodeId());
                    var response = OpenSecureChannelResponse.Decode(ref reader, ResponseHeader.Read(ref reader));
                    Assert.True(reader.End);
                    Assert.NotEqual(0u, response.ChannelId);
                    Assert.True(response.RevisedLifetime > 0);
                    summary.ResponseTypes.Add(UaEncodingIds.OpenSecureChannelResponse);
                    break;
                }

                case "MSG":
                {
                    var sequence = BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(16));
                    var requestId = BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(20));
                    Next(ref lastSequence, sequence);
                    if (!parts.TryGetValue(requestId, out var list))
                    {
                        parts[requestId] = list = [];
                    }

                    list.Add(chunk[24..]);
                    if (kind[3] == 'C')
                    {
                        break;
                    }

                    Assert.Equal('F', kind[3]);
                    parts.Remove(requestId);
                    if (list.Count > 1)
                    {
                        summary.MultiChunkResponses++;
                    }

                    var body = list.SelectMany(p => p).ToArray();
                    var typeId = DecodeResponse(body, summary);
                    Assert.True(requests.TryGetValue(requestId, out var requestType), $"a response to request {requestId}, which the client never sent");
                    // Every service's response encoding id is its request's plus 3; a ServiceFault may answer any.
                    Assert.True(typeId == requestType + 3 || typeId == UaEncodingIds.ServiceFault, $"request i={requestType} was answered by i={typeId}");
                    summary.ResponseTypes.Add(typeId);
                    break;
                }

                default:
                    Assert.Fail($"the server sent a {kind} chunk");
                    break;
            }
        }

        Assert.Empty(parts);
    }

    public static string Kind(byte[] chunk) => System.Text.Encoding.ASCII.GetString(chunk, 0, 4);

    private static void Next(ref uint? last, uint sequence)
    {
        if (last is { } previous)
        {
            Assert.Equal(previous + 1, sequence);
        }

        last = sequence;
    }

    private static T Read<T>(byte[] chunk, int offset, ElementReader<T> read)
    {
        var reader = new UaBinaryReader(chunk.AsMemory(offset), baseOffset: offset);
        var value = read(ref reader);
        Assert.True(reader.End, $"{reader.Remaining} bytes left after {typeof(T).Name}");
        return value;
    }

    private static void ReencodeHello(byte[] chunk)
    {
        var hello = Read(chunk, 8, (ref UaBinaryReader r) => UaTcpHello.ReadBody(ref r));
        Assert.StartsWith("opc.tcp://", hello.EndpointUrl, StringComparison.Ordinal);
        var again = new ArrayBufferWriter<byte>();
        UaTcpConnection.WriteHello(again, hello);
        Assert.Equal(chunk, again.WrittenSpan.ToArray());
    }

    private static (uint Channel, uint Sequence, uint RequestId, uint TypeId) ReencodeOpenRequest(byte[] chunk)
    {
        var reader = new UaBinaryReader(chunk.AsMemory(8), baseOffset: 8);
        var channel = reader.ReadUInt32();
        Assert.Equal(UaSecurityPolicyNone.Uri, reader.ReadString());
        Assert.Null(reader.ReadByteString());
        Assert.Null(reader.ReadByteString());
        var sequence = reader.ReadUInt32();
        var requestId = reader.ReadUInt32();
        var typeId = reader.ReadNodeId();
        var header = ReadRequestHeader(ref reader);
        Assert.Equal(0u, reader.ReadUInt32()); // ClientProtocolVersion
        var request = new OpenSecureChannelRequest((SecurityTokenRequestType)reader.ReadInt32(), (MessageSecurityMode)reader.ReadInt32(), reader.ReadByteString(), reader.ReadUInt32());
        Assert.True(reader.End);

        var again = new ArrayBufferWriter<byte>();
        var writer = new UaBinaryWriter(again);
        writer.WriteUInt32(0);
        writer.WriteUInt32(0);
        writer.WriteUInt32(channel);
        UaSecurityPolicyNone.Instance.WriteAsymmetricSecurityHeader(ref writer);
        writer.WriteUInt32(sequence);
        writer.WriteUInt32(requestId);
        writer.WriteNodeId(new NodeId(request.EncodingId));
        header.Write(ref writer);
        request.EncodeBody(ref writer);
        var bytes = again.WrittenSpan.ToArray();
        UaTcpChunkScanner.WriteHeader(bytes, UaTcpMessageType.OpenSecureChannel, UaTcpChunkType.Final, (uint)bytes.Length);
        Assert.Equal(chunk, bytes);
        return (channel, sequence, requestId, typeId.NumericIdentifier);
    }

    private static (uint Channel, uint Sequence, uint RequestId, uint TypeId) ReencodeSymmetricRequest(byte[] chunk)
    {
        var channel = BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(8));
        var token = BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(12));
        var sequence = BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(16));
        var requestId = BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(20));
        var reader = new UaBinaryReader(chunk.AsMemory(24), baseOffset: 24);
        var typeId = reader.ReadNodeId();
        var header = ReadRequestHeader(ref reader);
        var request = DecodeRequest(typeId.NumericIdentifier, ref reader);
        Assert.True(reader.End, $"{reader.Remaining} bytes left after request i={typeId.NumericIdentifier}");

        var again = new ArrayBufferWriter<byte>();
        var writer = new UaBinaryWriter(again);
        for (var i = 0; i < 6; i++)
        {
            writer.WriteUInt32(0);
        }

        writer.WriteNodeId(new NodeId(request.EncodingId));
        header.Write(ref writer);
        request.EncodeBody(ref writer);
        var bytes = again.WrittenSpan.ToArray();
        var type = Kind(chunk) == "CLOF" ? UaTcpMessageType.CloseSecureChannel : UaTcpMessageType.Message;
        UaTcpChunkScanner.WriteHeader(bytes, type, UaTcpChunkType.Final, (uint)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), channel);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), token);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), requestId);
        Assert.Equal(chunk, bytes);
        return (channel, sequence, requestId, typeId.NumericIdentifier);
    }

    /// <summary>The RequestHeader as the client writes it: no diagnostics, no audit id, no additional header.</summary>
    private static RequestHeader ReadRequestHeader(ref UaBinaryReader reader)
    {
        var token = reader.ReadNodeId();
        var timestamp = reader.ReadDateTime();
        var handle = reader.ReadUInt32();
        Assert.Equal(0u, reader.ReadUInt32());
        Assert.Null(reader.ReadString());
        var timeout = reader.ReadUInt32();
        Assert.True(reader.ReadExtensionObject().IsNull);
        return new RequestHeader(token, timestamp, handle, timeout);
    }

    /// <summary>Rebuilds the client's request object from its encoding.</summary>
    private static IUaRequest DecodeRequest(uint typeId, ref UaBinaryReader r)
    {
        switch (typeId)
        {
            case UaEncodingIds.CloseSecureChannelRequest:
                return new CloseSecureChannelRequest();
            case UaEncodingIds.GetEndpointsRequest:
                return new GetEndpointsRequest(r.ReadString()!, r.ReadStringArray(), r.ReadStringArray());
            case UaEncodingIds.CreateSessionRequest:
            {
                var client = ApplicationDescription.Read(ref r);
                Assert.Null(r.ReadString()); // ServerUri
                var url = r.ReadString()!;
                var name = r.ReadString()!;
                var nonce = r.ReadByteString()!;
                Assert.Null(r.ReadByteString()); // ClientCertificate
                return new CreateSessionRequest(client, url, name, nonce, r.ReadDouble(), r.ReadUInt32());
            }

            case UaEncodingIds.ActivateSessionRequest:
            {
                Assert.Null(r.ReadString());
                Assert.Null(r.ReadByteString());
                Assert.Equal(0, r.ReadArrayLength());
                var locales = r.ReadStringArray();
                var token = r.ReadExtensionObject();
                Assert.Null(r.ReadString());
                Assert.Null(r.ReadByteString());
                return new ActivateSessionRequest(token, locales);
            }

            case UaEncodingIds.CloseSessionRequest:
                return new CloseSessionRequest(r.ReadBoolean());
            case UaEncodingIds.ReadRequest:
            {
                var maxAge = r.ReadDouble();
                var timestamps = (TimestampsToReturn)r.ReadInt32();
                var nodes = r.ReadArray(1, static (ref UaBinaryReader e) => ReadValueIdOf(ref e));
                return new ReadRequest(maxAge, timestamps, nodes);
            }

            case UaEncodingIds.BrowseRequest:
            {
                Assert.True(r.ReadNodeId().IsNull);
                Assert.Equal(DateTime.MinValue, r.ReadDateTime());
                Assert.Equal(0u, r.ReadUInt32());
                var max = r.ReadUInt32();
                var nodes = r.ReadArray(1, static (ref UaBinaryReader e) =>
                    new BrowseDescription(e.ReadNodeId(), (BrowseDirection)e.ReadInt32(), e.ReadNodeId(), e.ReadBoolean(), e.ReadUInt32(), e.ReadUInt32()));
                return new BrowseRequest(max, nodes);
            }

            case UaEncodingIds.BrowseNextRequest:
                return new BrowseNextRequest(r.ReadBoolean(), r.ReadArray(4, static (ref UaBinaryReader e) => e.ReadByteString()!));
            case SubscriptionEncodingIds.CreateSubscriptionRequest:
                return new CreateSubscriptionRequest(r.ReadDouble(), r.ReadUInt32(), r.ReadUInt32(), r.ReadUInt32(), r.ReadBoolean(), r.ReadByte());
            case SubscriptionEncodingIds.CreateMonitoredItemsRequest:
            {
                var subscription = r.ReadUInt32();
                var timestamps = (TimestampsToReturn)r.ReadInt32();
                var items = r.ReadArray(1, static (ref UaBinaryReader e) => MonitoredItemOf(ref e));
                return new CreateMonitoredItemsRequest(subscription, timestamps, items);
            }

            case SubscriptionEncodingIds.PublishRequest:
                return new PublishRequest(r.ReadArray(8, static (ref UaBinaryReader e) => new SubscriptionAcknowledgement(e.ReadUInt32(), e.ReadUInt32())));
            case SubscriptionEncodingIds.DeleteSubscriptionsRequest:
                return new UInt32ArrayRequest(typeId, null, r.ReadArray(4, static (ref UaBinaryReader e) => e.ReadUInt32()));
            case SubscriptionEncodingIds.DeleteMonitoredItemsRequest:
                return new UInt32ArrayRequest(typeId, r.ReadUInt32(), r.ReadArray(4, static (ref UaBinaryReader e) => e.ReadUInt32()));
            default:
                Assert.Fail($"no decoder in the test for request i={typeId}");
                return null!;
        }
    }

    private static ReadValueId ReadValueIdOf(ref UaBinaryReader r)
    {
        var id = new ReadValueId(r.ReadNodeId(), r.ReadUInt32(), r.ReadString());
        Assert.True(r.ReadQualifiedName().IsNull);
        return id;
    }

    private static MonitoredItemRequest MonitoredItemOf(ref UaBinaryReader r)
    {
        var node = ReadValueIdOf(ref r);
        Assert.Equal(AttributeIds.Value, node.AttributeId);
        Assert.Equal((int)MonitoringMode.Reporting, r.ReadInt32());
        var handle = r.ReadUInt32();
        var sampling = r.ReadDouble();
        var filter = r.ReadExtensionObject();
        var (trigger, deadband, value) = (DataChangeTrigger.StatusValue, DeadbandType.None, 0.0);
        if (!filter.IsNull)
        {
            Assert.Equal(new NodeId(SubscriptionEncodingIds.DataChangeFilter), filter.TypeId);
            var body = new UaBinaryReader(filter.Body);
            (trigger, deadband, value) = ((DataChangeTrigger)body.ReadInt32(), (DeadbandType)body.ReadUInt32(), body.ReadDouble());
            Assert.True(body.End);
        }

        return new MonitoredItemRequest(node.NodeId, handle, sampling, r.ReadUInt32(), r.ReadBoolean(), deadband, value, trigger);
    }

    /// <summary>Decodes a reassembled response body with the client's decoder for its type; returns the type id.</summary>
    private static uint DecodeResponse(byte[] body, Summary summary)
    {
        var reader = new UaBinaryReader(body);
        var typeId = reader.ReadNodeId().NumericIdentifier;
        var header = ResponseHeader.Read(ref reader);
        switch (typeId)
        {
            case UaEncodingIds.ServiceFault: Assert.True(header.ServiceResult.IsBad); break;
            case UaEncodingIds.GetEndpointsResponse: Assert.NotEmpty(GetEndpointsResponse.Decode(ref reader, header).Endpoints); break;
            case UaEncodingIds.CreateSessionResponse: Assert.False(CreateSessionResponse.Decode(ref reader, header).AuthenticationToken.IsNull); break;
            case UaEncodingIds.ActivateSessionResponse: ActivateSessionResponse.Decode(ref reader, header); break;
            case UaEncodingIds.CloseSessionResponse: CloseSessionResponse.Decode(ref reader, header); break;
            case UaEncodingIds.ReadResponse: summary.Values.AddRange(ReadResponse.Decode(ref reader, header).Results); break;
            case UaEncodingIds.BrowseResponse: summary.References.AddRange(BrowseResponse.Decode(ref reader, header).Results.SelectMany(r => r.References)); break;
            case UaEncodingIds.BrowseNextResponse: summary.References.AddRange(BrowseNextResponse.Decode(ref reader, header).Results.SelectMany(r => r.References)); break;
            case SubscriptionEncodingIds.CreateSubscriptionResponse: CreateSubscriptionResponse.Decode(ref reader, header); break;
            case SubscriptionEncodingIds.CreateMonitoredItemsResponse: CreateMonitoredItemsResponse.Decode(ref reader, header); break;
            case SubscriptionEncodingIds.PublishResponse: summary.DataChanges += PublishResponse.Decode(ref reader, header).Message.DataChanges.Count; break;
            case SubscriptionEncodingIds.DeleteSubscriptionsResponse: DeleteSubscriptionsResponse.Decode(ref reader, header); break;
            case SubscriptionEncodingIds.DeleteMonitoredItemsResponse: DeleteMonitoredItemsResponse.Decode(ref reader, header); break;
            default: Assert.Fail($"no decoder for response i={typeId}"); break;
        }

        Assert.True(reader.End, $"{reader.Remaining} bytes left after response i={typeId}");
        return typeId;
    }
}
