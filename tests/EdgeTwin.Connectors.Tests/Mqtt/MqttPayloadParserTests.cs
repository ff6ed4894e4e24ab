using System.Buffers;
using System.Text;
using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Tests.Mqtt;

public class MqttPayloadParserTests
{
    private const long Arrival = 638_680_000_000_000_000;
    private static readonly long Ts = DateTimeOffset.Parse("2026-11-24T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture).UtcTicks;

    private static MqttTopicRouter Router(params MqttSubscriptionConfig[] subs) =>
        new([.. subs.Select((s, i) => new MqttSubscription(s, $"$.sources.mqtt[0].subscriptions[{i}]"))]);

    private static List<Reading> Parse(MqttTopicRouter router, string topic, byte[] payload, int max = 65536)
    {
        var output = new List<Reading>();
        var added = MqttPayloadParser.Parse(router.Route(topic), new ReadOnlySequence<byte>(payload), Arrival, max, output);
        Assert.Equal(output.Count, added);
        return output;
    }

    private static List<Reading> Parse(MqttTopicRouter router, string topic, string payload, int max = 65536) => Parse(router, topic, Encoding.UTF8.GetBytes(payload), max);

    private static readonly MqttTopicRouter ValueRouter = Router(new MqttSubscriptionConfig { Topic = "plant/{asset}/{metric}", Format = MqttPayloadFormat.Value });

    [Theory]
    [InlineData("4.25", PointValueKind.Number, "4.25")]
    [InlineData(" -17 \n", PointValueKind.Number, "-17")]
    [InlineData("1e3", PointValueKind.Number, "1000")]
    [InlineData("true", PointValueKind.Boolean, "true")]
    [InlineData("FALSE", PointValueKind.Boolean, "false")]
    [InlineData("running", PointValueKind.String, "running")]
    [InlineData(" two words ", PointValueKind.String, "two words")]
    [InlineData("NaN", PointValueKind.Number, "NaN")]
    [InlineData("", PointValueKind.None, "(none)")]
    public void Value_TextPayload_IsANumberABooleanOrAString_StampedOnArrival(string payload, PointValueKind kind, string text)
    {
        var r = Assert.Single(Parse(ValueRouter, "plant/pump-1/pressure", payload));

        Assert.Null(r.Error);
        Assert.Equal(kind, r.Value.Kind);
        Assert.Equal(text, r.Value.ToString());
        Assert.Equal(Arrival, r.TimestampTicks);
        Assert.Equal("pump-1", r.AssetId);
        Assert.Equal("pressure", r.Metric);
        Assert.Equal("mqtt:plant/pump-1/pressure", r.Address);
        Assert.Equal(payload, r.Raw);
    }

    [Fact]
    public void Value_InvalidUtf8_IsAnErrorWithTheBytesInHex()
    {
        var r = Assert.Single(Parse(ValueRouter, "plant/pump-1/state", [0x6f, 0xff, 0x6e]));

        Assert.Contains("not UTF-8", r.Error, StringComparison.Ordinal);
        Assert.Equal("hex:6fff6e", r.Raw);
        Assert.Null(r.ErrorReason);
    }

    [Theory]
    [InlineData("float32", null, new byte[] { 0x40, 0x88, 0x00, 0x00 }, 4.25)]
    [InlineData("float32", "littleEndian", new byte[] { 0x00, 0x00, 0x88, 0x40 }, 4.25)]
    [InlineData("float64", "bigEndian", new byte[] { 0x40, 0x11, 0, 0, 0, 0, 0, 0 }, 4.25)]
    [InlineData("int16", null, new byte[] { 0xff, 0x38 }, -200)]
    [InlineData("uint16", null, new byte[] { 0xff, 0x38 }, 65336)]
    [InlineData("int32", "littleEndian", new byte[] { 0xfe, 0xff, 0xff, 0xff }, -2)]
    [InlineData("uint32", null, new byte[] { 0x00, 0x01, 0x00, 0x00 }, 65536)]
    [InlineData("int64", null, new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd }, -3)]
    [InlineData("uint64", "littleEndian", new byte[] { 7, 0, 0, 0, 0, 0, 0, 0 }, 7)]
    public void Raw_BinaryNumber_OfItsTypeAndByteOrder(string type, string? order, byte[] payload, double expected)
    {
        var router = Router(new MqttSubscriptionConfig { Topic = "raw/{asset}/{metric}", Format = MqttPayloadFormat.Raw, RawType = Parse(RawNumberTypeJson.Names, type), ByteOrder = order is null ? null : Parse(MqttByteOrderJson.Names, order) });

        var r = Assert.Single(Parse(router, "raw/pump-1/level", payload));

        Assert.Null(r.Error);
        Assert.Equal(expected, r.Value.Number);
        Assert.Equal(Arrival, r.TimestampTicks);
        Assert.Equal("hex:" + Convert.ToHexStringLower(payload), r.Raw);
    }

    [Fact]
    public void Raw_WrongLength_IsAnError()
    {
        var router = Router(new MqttSubscriptionConfig { Topic = "raw/{asset}/{metric}", Format = MqttPayloadFormat.Raw, RawType = RawNumberType.Int32 });

        var r = Assert.Single(Parse(router, "raw/pump-1/level", [1, 2, 3]));

        Assert.Equal("raw payload of 3 bytes, expected 4 for int32", r.Error);
    }

    private static readonly MqttTopicRouter JsonRouter = Router(
        new MqttSubscriptionConfig { Topic = "json/{asset}/{metric}", Format = MqttPayloadFormat.Json },
        new MqttSubscriptionConfig { Topic = "deep/{asset}/{metric}", Format = MqttPayloadFormat.Json, ValuePath = "$.data.v", TimestampPath = "meta.time", QualityPath = "meta.q[0]" },
        new MqttSubscriptionConfig { Topic = "arrival/{asset}/{metric}", Format = MqttPayloadFormat.Json, ArrivalTime = true });

    [Fact]
    public void Json_DefaultPaths_ReadValueTimestampAndQuality()
    {
        var r = Assert.Single(Parse(JsonRouter, "json/pump-1/temp", """{"ts":"2026-11-24T03:00:00Z","value":61.5,"quality":"uncertain"}"""));

        Assert.Null(r.Error);
        Assert.Equal(61.5, r.Value.Number);
        Assert.Equal(Ts, r.TimestampTicks);
        Assert.Equal(Quality.Uncertain, r.EffectiveQuality);
        Assert.Equal(("pump-1", "temp"), (r.AssetId, r.Metric));
    }

    [Fact]
    public void Json_ConfiguredPaths_ReadNestedFields()
    {
        var r = Assert.Single(Parse(JsonRouter, "deep/pump-1/mode", """{"data":{"v":"auto"},"meta":{"time":1795489200000,"q":[2150891520]}}"""));

        Assert.Null(r.Error);
        Assert.Equal("auto", r.Value.Text);
        Assert.Equal(Ts, r.TimestampTicks);
        Assert.Equal(Quality.Bad, r.EffectiveQuality);
        Assert.Equal(0x80340000u, r.StatusCode);
    }

    [Fact]
    public void Json_ArrivalTime_IgnoresAnyTimestampInThePayload()
    {
        var r = Assert.Single(Parse(JsonRouter, "arrival/pump-1/flow", """{"ts":1,"value":3}"""));

        Assert.Equal(Arrival, r.TimestampTicks);
    }

    [Fact]
    public void Json_MissingTimestampAndValue_AreLeftMissing_ForThePipelineToQuarantine()
    {
        var noTs = Assert.Single(Parse(JsonRouter, "json/pump-1/temp", """{"value":1}"""));
        var nullTs = Assert.Single(Parse(JsonRouter, "json/pump-1/temp", """{"value":1,"ts":null}"""));
        var noValue = Assert.Single(Parse(JsonRouter, "json/pump-1/temp", """{"ts":1795489200}"""));

        Assert.Null(noTs.Error);
        Assert.Equal(0, noTs.TimestampTicks);
        Assert.Equal(0, nullTs.TimestampTicks);
        Assert.Null(noValue.Error);
        Assert.Equal(PointValueKind.None, noValue.Value.Kind);
        Assert.Equal(Ts, noValue.TimestampTicks);
    }

    [Theory]
    [InlineData("{\"ts\":1795489200,\"value\":", "not JSON")]
    [InlineData("{\"ts\":1795489200,\"value\":1} x", "not JSON")]
    [InlineData("{\"ts\":1795489200,\"value\":{\"a\":1}}", "value at 'value' is a JSON object")]
    [InlineData("{\"ts\":1795489200,\"value\":[1]}", "value at 'value' is a JSON array")]
    [InlineData("{\"ts\":true,\"value\":1}", "timestamp at 'ts' true is neither ISO 8601 nor epoch seconds or milliseconds")]
    [InlineData("{\"ts\":\"yesterday\",\"value\":1}", "timestamp at 'ts' \"yesterday\"")]
    [InlineData("{\"ts\":1795489200,\"value\":1,\"quality\":\"great\"}", "quality at 'quality'")]
    public void Json_BadPayload_IsAnErrorNamingTheField(string payload, string says)
    {
        var r = Assert.Single(Parse(JsonRouter, "json/pump-1/temp", payload));

        Assert.Contains(says, r.Error, StringComparison.Ordinal);
        Assert.Equal(payload, r.Raw);
        Assert.Equal("mqtt:json/pump-1/temp", r.Address);
    }

    [Fact]
    public void Json_BrokenDocument_SaysWhereItBroke()
    {
        var r = Assert.Single(Parse(JsonRouter, "json/pump-1/temp", "{\"value\": 1,\n \"ts\": ]}"));

        Assert.Contains("LineNumber: 1", r.Error, StringComparison.Ordinal);
        Assert.Contains("BytePositionInLine: 7", r.Error, StringComparison.Ordinal);
    }

    private static readonly MqttTopicRouter MultiRouter = Router(
        new MqttSubscriptionConfig { Topic = "multi/#", Format = MqttPayloadFormat.Multi },
        new MqttSubscriptionConfig { Topic = "bytopic/{asset}", Format = MqttPayloadFormat.Multi });

    [Fact]
    public void Multi_SeedShape_GivesOneReadingPerMetric_EachWithItsOwnAddress()
    {
        var readings = Parse(MultiRouter, "multi/line1", """{"asset_id":"pump-1","ts":1795489200,"metrics":{"pressure":4.2,"running":true,"mode":"auto"}}""");

        Assert.Equal(3, readings.Count);
        Assert.All(readings, r => Assert.Equal(("pump-1", Ts), (r.AssetId, r.TimestampTicks)));
        Assert.All(readings, r => Assert.Null(r.Error));
        Assert.Equal(["pressure", "running", "mode"], readings.Select(r => r.Metric));
        Assert.Equal(["mqtt:multi/line1#pressure", "mqtt:multi/line1#running", "mqtt:multi/line1#mode"], readings.Select(r => r.Address));
        Assert.Equal(4.2, readings[0].Value.Number);
        Assert.True(readings[1].Value.Boolean);
        Assert.Equal("auto", readings[2].Value.Text);
    }

    [Theory]
    [InlineData("""{"asset_id":"pump-1","ts":"2026-11-24T03:00:00Z","metrics":{"a":1}}""")]
    [InlineData("""{"asset_id":"pump-1","ts":1795489200000,"metrics":{"a":1}}""")]
    [InlineData("""{"asset_id":"pump-1","ts":1795489200,"metrics":{"a":1}}""")]
    public void Multi_TimestampInSecondsMillisecondsOrIso_AllMeanTheSameInstant(string payload)
    {
        var r = Assert.Single(Parse(MultiRouter, "multi/x", payload));
        Assert.Equal(Ts, r.TimestampTicks);
    }

    [Fact]
    public void Multi_WithoutAssetId_FallsBackToTheTopicsAsset_OrLeavesItMissing()
    {
        var byTopic = Assert.Single(Parse(MultiRouter, "bytopic/oven-1", """{"ts":1795489200,"metrics":{"t":180}}"""));
        var none = Assert.Single(Parse(MultiRouter, "multi/x", """{"ts":1795489200,"metrics":{"t":180}}"""));

        Assert.Equal("oven-1", byTopic.AssetId);
        Assert.Null(none.AssetId);
        Assert.Null(none.Error);
        Assert.Equal("t", none.Metric);
    }

    [Fact]
    public void Multi_OneMetricOfTheWrongType_OnlyThatMetricIsAnError()
    {
        var readings = Parse(MultiRouter, "multi/x", """{"asset_id":"pump-1","ts":1795489200,"metrics":{"ok":1,"bad":{"x":2}}}""");

        Assert.Null(readings[0].Error);
        Assert.Equal("metric \"bad\" is a JSON object, not a number, boolean or string", readings[1].Error);
        Assert.Equal("bad", readings[1].Metric);
    }

    [Theory]
    [InlineData("[1,2]", "payload is a JSON array")]
    [InlineData("""{"asset_id":7,"ts":1795489200,"metrics":{"a":1}}""", "\"asset_id\" is a JSON number, not a string")]
    [InlineData("""{"asset_id":"p","ts":"soon","metrics":{"a":1}}""", "\"ts\" \"soon\"")]
    [InlineData("""{"asset_id":"p","ts":1795489200}""", "\"metrics\" is missing")]
    [InlineData("""{"asset_id":"p","ts":1795489200,"metrics":[1]}""", "\"metrics\" is a JSON array")]
    [InlineData("""{"asset_id":"p","ts":1795489200,"metrics":{}}""", "\"metrics\" is empty")]
    [InlineData("""{"asset_id":"p","ts":1795489200,"quality":"meh","metrics":{"a":1}}""", "\"quality\"")]
    public void Multi_BadShape_IsOneError(string payload, string says)
    {
        var r = Assert.Single(Parse(MultiRouter, "multi/x", payload));
        Assert.Contains(says, r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_PayloadTooLarge_KeepsOnlyTheHead()
    {
        var payload = Encoding.UTF8.GetBytes("{\"value\":\"" + new string('x', 5000) + "\"}");

        var r = Assert.Single(Parse(JsonRouter, "json/pump-1/temp", payload, max: 4096));

        Assert.Equal(QuarantineReason.PayloadTooLarge, r.ErrorReason);
        Assert.Equal("payload of 5012 bytes is over the 4096-byte limit (maxPayloadBytes)", r.Error);
        Assert.Equal(MqttPayloadParser.OversizedRawBytes + 1, r.Raw!.Length);
        Assert.Equal(("pump-1", "temp"), (r.AssetId, r.Metric));
    }

    [Fact]
    public void UnsubscribedTopic_IsAnUnmappedSource()
    {
        var r = Assert.Single(Parse(JsonRouter, "elsewhere/x", "1"));

        Assert.Equal(QuarantineReason.UnmappedSource, r.ErrorReason);
        Assert.Contains("matches none of the configured subscriptions", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_PayloadSplitAcrossSegments_AtEveryByte_ParsesTheSame()
    {
        var payload = Encoding.UTF8.GetBytes("""{"asset_id":"pump-1","ts":1795489200,"metrics":{"pressure":4.2,"mode":"auto"}}""");
        var whole = Parse(MultiRouter, "multi/x", payload);
        for (var cut = 1; cut < payload.Length; cut++)
        {
            var output = new List<Reading>();
            MqttPayloadParser.Parse(MultiRouter.Route("multi/x"), Split(payload, cut), Arrival, 65536, output);
            Assert.Equal(whole, output);
        }
    }

    [Fact]
    public void Raw_PayloadSplitAcrossSegments_AtEveryByte_ParsesTheSame()
    {
        var router = Router(new MqttSubscriptionConfig { Topic = "raw/{asset}/{metric}", Format = MqttPayloadFormat.Raw, RawType = RawNumberType.Float64 });
        byte[] payload = [0x40, 0x11, 0, 0, 0, 0, 0, 1];
        var whole = Assert.Single(Parse(router, "raw/p/m", payload));
        for (var cut = 1; cut < payload.Length; cut++)
        {
            var output = new List<Reading>();
            MqttPayloadParser.Parse(router.Route("raw/p/m"), Split(payload, cut), Arrival, 65536, output);
            Assert.Equal(whole, Assert.Single(output));
        }
    }

    private static ReadOnlySequence<byte> Split(byte[] bytes, int cut)
    {
        var first = new Segment(bytes.AsMemory(0, cut), 0);
        var second = first.Append(bytes.AsMemory(cut));
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    private static T Parse<T>(ConfigEnumNames<T> names, string name) where T : struct, Enum =>
        names.TryParse(name, out var value) ? value : throw new ArgumentException(name);
}
