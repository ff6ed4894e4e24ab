using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Core.Wire;

namespace EdgeTwin.Core.Tests.Wire;

public class WirePointWriterTests
{
    private const string Source = "opcua:nsu=urn:plc;s=Line1.Pressure";

    // 2026-11-24T03:00:00.1234567Z: the example of docs/architecture.md §4, with every tick digit distinct.
    private static readonly long Ts = new DateTime(2026, 11, 24, 3, 0, 0, DateTimeKind.Utc).Ticks + 1_234_567;

    private static StreamDescriptor Plain(string asset = "line-1", string metric = "pressure") => new(asset, metric, Source);

    [Fact]
    public void Write_PlainMeasurement_IsExactlyTheGoldenLine()
    {
        var json = WriteText(new WirePointWriter("gw-7"), new TelemetryPoint(Plain(), Ts, PointValue.FromNumber(42.12), Quality.Good, 0));

        Assert.Equal(
            "{\"schema_version\":\"1.0\",\"gateway_id\":\"gw-7\",\"asset_id\":\"line-1\",\"metric\":\"pressure\","
            + "\"ts\":\"2026-11-24T03:00:00.1234567Z\",\"value\":42.12,\"quality\":\"good\",\"status_code\":0,"
            + "\"source\":\"opcua:nsu=urn:plc;s=Line1.Pressure\"}\n",
            json);
        AssertValid(json);
    }

    [Fact]
    public void Write_EventWithTagsModelRangeAndReplay_IsExactlyTheGoldenLine()
    {
        // Tags given out of order: the descriptor sorts them, so equal sets always serialize the same.
        var stream = new StreamDescriptor("line-1", "leak_score", Source,
            [new("unit", "bar"), new("site", "north")], model: "leak-detector", modelVersion: "v1.2", eventKind: EventKind.Anomaly);
        var end = new DateTime(2026, 11, 24, 3, 5, 0, DateTimeKind.Utc).Ticks + 1;
        var point = new TelemetryPoint(stream, Ts, PointValue.FromNumber(0.97), Quality.Uncertain, 0x4000_0000, replayed: true, endTicks: end);

        var json = WriteText(new WirePointWriter("gw-7"), point);

        Assert.Equal(
            "{\"schema_version\":\"1.0\",\"gateway_id\":\"gw-7\",\"asset_id\":\"line-1\",\"metric\":\"leak_score\","
            + "\"ts\":\"2026-11-24T03:00:00.1234567Z\",\"value\":0.97,\"quality\":\"uncertain\",\"status_code\":1073741824,"
            + "\"source\":\"opcua:nsu=urn:plc;s=Line1.Pressure\",\"tags\":{\"site\":\"north\",\"unit\":\"bar\"},"
            + "\"model\":\"leak-detector\",\"model_version\":\"v1.2\",\"event\":\"anomaly\","
            + "\"ts_end\":\"2026-11-24T03:05:00.0000001Z\",\"replayed\":true}\n",
            json);
        AssertValid(json);
    }

    [Fact]
    public void Write_ZeroTerminator_WritesTheObjectAlone()
    {
        var json = WriteText(new WirePointWriter("gw-7"), new TelemetryPoint(Plain(), Ts, PointValue.FromBoolean(true), Quality.Good, 0), terminator: 0);

        Assert.StartsWith("{", json, StringComparison.Ordinal);
        Assert.EndsWith("\"source\":\"opcua:nsu=urn:plc;s=Line1.Pressure\"}", json, StringComparison.Ordinal);
        AssertValid(json);
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(42.0, "42")]
    [InlineData(-17.0, "-17")]
    [InlineData(4294967296.0, "4294967296")]
    [InlineData(0.1, "0.1")]
    [InlineData(-273.15, "-273.15")]
    [InlineData(1e-300, "1E-300")]
    [InlineData(double.Epsilon, "5E-324")]
    [InlineData(1.7976931348623157E+308, "1.7976931348623157E+308")]
    [InlineData(-1.7976931348623157E+308, "-1.7976931348623157E+308")]
    [InlineData(1e21, "1E+21")]
    [InlineData(123456789012345678.0, "1.2345678901234568E+17")]
    [InlineData(1.0 / 3.0, "0.3333333333333333")]
    public void Write_Number_IsShortestRoundTripTextAndParsesBackToTheSameDouble(double value, string expected)
    {
        var json = WriteText(new WirePointWriter("gw-7"), new TelemetryPoint(Plain(), Ts, PointValue.FromNumber(value), Quality.Good, 0));

        Assert.Contains($"\"value\":{expected},", json, StringComparison.Ordinal);
        AssertValid(json);
        using var doc = JsonDocument.Parse(json);
        var parsed = doc.RootElement.GetProperty("value").GetDouble();
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(parsed));
    }

    [Fact]
    public void Write_NegativeZero_KeepsItsSignThroughAParse()
    {
        var json = WriteText(new WirePointWriter("gw-7"), new TelemetryPoint(Plain(), Ts, PointValue.FromNumber(-0.0), Quality.Good, 0));

        Assert.Contains("\"value\":-0,", json, StringComparison.Ordinal);
        AssertValid(json);
        using var doc = JsonDocument.Parse(json);
        Assert.True(double.IsNegative(doc.RootElement.GetProperty("value").GetDouble()));
    }

    [Fact]
    public void Write_ManyRandomDoubles_AllParseBackBitExact()
    {
        var random = new Random(20261124);
        var writer = new WirePointWriter("gw-7");
        var stream = Plain();
        Span<byte> bits = stackalloc byte[8];
        for (var i = 0; i < 5000; i++)
        {
            random.NextBytes(bits);
            var value = BitConverter.ToDouble(bits);
            if (!double.IsFinite(value)) continue;

            var json = WriteText(writer, new TelemetryPoint(stream, Ts, PointValue.FromNumber(value), Quality.Good, 0));

            using var doc = JsonDocument.Parse(json);
            var parsed = doc.RootElement.GetProperty("value").GetDouble();
            Assert.True(BitConverter.DoubleToInt64Bits(value) == BitConverter.DoubleToInt64Bits(parsed), $"{value:R} came back as {parsed:R} from {json}");
        }
    }

    [Theory]
    [InlineData(true, "true")]
    [InlineData(false, "false")]
    public void Write_Boolean_IsAJsonLiteral(bool value, string expected)
    {
        var json = WriteText(new WirePointWriter("gw-7"), new TelemetryPoint(Plain(), Ts, PointValue.FromBoolean(value), Quality.Good, 0));

        Assert.Contains($"\"value\":{expected},", json, StringComparison.Ordinal);
        AssertValid(json);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(value, doc.RootElement.GetProperty("value").GetBoolean());
    }

    [Theory]
    [InlineData("running", "\"running\"")]
    [InlineData("", "\"\"")]
    [InlineData("say \"hi\"", "\"say \\u0022hi\\u0022\"")]
    [InlineData("C:\\plc\\tags", "\"C:\\\\plc\\\\tags\"")]
    [InlineData("line\nbreak\ttab\rreturn", "\"line\\nbreak\\ttab\\rreturn\"")]
    [InlineData("\u0000\u0001\u001f\u007f", "\"\\u0000\\u0001\\u001F\\u007F\"")]
    [InlineData("Drücken 日本 😀", "\"Dr\\u00FCcken \\u65E5\\u672C \\uD83D\\uDE00\"")]
    [InlineData("</script>&'+", "\"\\u003C/script\\u003E\\u0026\\u0027\\u002B\"")]
    public void Write_String_IsEscapedAsAsciiJsonAndParsesBackUnchanged(string value, string expectedJson)
    {
        var json = WriteText(new WirePointWriter("gw-7"), new TelemetryPoint(Plain(), Ts, PointValue.FromString(value), Quality.Good, 0));

        Assert.Contains($"\"value\":{expectedJson},\"quality\"", json, StringComparison.Ordinal);
        Assert.All(json.TrimEnd('\n'), c => Assert.InRange(c, ' ', '~'));
        AssertValid(json);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(value, doc.RootElement.GetProperty("value").GetString());
    }

    [Fact]
    public void Write_StringWithLoneSurrogate_ReplacesItInsteadOfFailingTheSink()
    {
        // A string decoded from a JSON payload can hold a lone surrogate ("\ud800"); throwing here would stall
        // the sink on that point for ever, so the writer must emit valid JSON instead.
        var json = WriteText(new WirePointWriter("gw-7"), new TelemetryPoint(Plain(), Ts, PointValue.FromString("a\ud800b"), Quality.Good, 0));

        AssertValid(json);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("a\ufffdb", doc.RootElement.GetProperty("value").GetString());
    }

    [Fact]
    public void Write_NamesTagsAndSourceNeedingEscapes_ParseBackUnchanged()
    {
        var stream = new StreamDescriptor("Kessel \"Süd\"", "temp/°C", "mqtt:plant/\\raw\u0007",
            [new("note", "a\"b\\c\nd"), new("ort", "Zürich")], model: "m\u00e9t\u00e9o", modelVersion: "v\t2", eventKind: EventKind.GatewayState);
        var json = WriteText(new WirePointWriter("gw \"7\""), new TelemetryPoint(stream, Ts, PointValue.FromString("état"), Quality.Bad, 0x8000_0000));

        AssertValid(json);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("gw \"7\"", root.GetProperty("gateway_id").GetString());
        Assert.Equal("Kessel \"Süd\"", root.GetProperty("asset_id").GetString());
        Assert.Equal("temp/°C", root.GetProperty("metric").GetString());
        Assert.Equal("mqtt:plant/\\raw\u0007", root.GetProperty("source").GetString());
        Assert.Equal("a\"b\\c\nd", root.GetProperty("tags").GetProperty("note").GetString());
        Assert.Equal("Zürich", root.GetProperty("tags").GetProperty("ort").GetString());
        Assert.Equal("m\u00e9t\u00e9o", root.GetProperty("model").GetString());
        Assert.Equal("v\t2", root.GetProperty("model_version").GetString());
        Assert.Equal("gateway_state", root.GetProperty("event").GetString());
        Assert.Equal("bad", root.GetProperty("quality").GetString());
        Assert.Equal(0x8000_0000u, root.GetProperty("status_code").GetUInt32());
    }

    [Theory]
    [InlineData(Quality.Good, 0u, "good")]
    [InlineData(Quality.Uncertain, 0x408F_0000u, "uncertain")]
    [InlineData(Quality.Bad, 0x8034_0000u, "bad")]
    [InlineData(Quality.Bad, uint.MaxValue, "bad")]
    public void Write_QualityAndStatusCode_AreWrittenAsGiven(Quality quality, uint status, string expected)
    {
        var json = WriteText(new WirePointWriter("gw-7"), new TelemetryPoint(Plain(), Ts, PointValue.FromNumber(1), quality, status));

        Assert.Contains($"\"quality\":\"{expected}\",\"status_code\":{status.ToString(CultureInfo.InvariantCulture)},", json, StringComparison.Ordinal);
        AssertValid(json);
    }

    public static TheoryData<long, string> Timestamps => new()
    {
        { DateTime.MinValue.Ticks + 1, "0001-01-01T00:00:00.0000001Z" },
        { Ts, "2026-11-24T03:00:00.1234567Z" },
        { new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks, "2026-01-01T00:00:00.0000000Z" },
        { new DateTime(2028, 2, 29, 23, 59, 59, DateTimeKind.Utc).Ticks + 9_999_999, "2028-02-29T23:59:59.9999999Z" },
        { DateTime.MaxValue.Ticks, "9999-12-31T23:59:59.9999999Z" },
    };

    [Theory]
    [MemberData(nameof(Timestamps))]
    public void WriteTimestamp_AnyTicks_IsUtcWithSevenFractionalDigits(long ticks, string expected)
    {
        Span<byte> buffer = stackalloc byte[64];

        var n = WirePointWriter.WriteTimestamp(ticks, buffer);

        Assert.Equal(expected, Encoding.ASCII.GetString(buffer[..n]));
    }

    [Theory]
    [MemberData(nameof(Timestamps))]
    public void Write_Timestamp_IsValidAndParsesBackToTheSameTicks(long ticks, string expected)
    {
        var stream = new StreamDescriptor("line-1", "_loss/pressure", "edgetwin:queue", eventKind: EventKind.Loss);
        var json = WriteText(new WirePointWriter("gw-7"), new TelemetryPoint(stream, ticks, PointValue.FromNumber(3), Quality.Good, 0, endTicks: ticks));

        AssertValid(json);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(expected, doc.RootElement.GetProperty("ts").GetString());
        Assert.Equal(expected, doc.RootElement.GetProperty("ts_end").GetString());
        var parsed = DateTime.ParseExact(expected, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        Assert.Equal(ticks, parsed.Ticks);
    }

    [Fact]
    public void WriteTimestamp_TextOrder_IsTimeOrder()
    {
        var random = new Random(7);
        var ticks = Enumerable.Range(0, 2000).Select(_ => random.NextInt64(1, DateTime.MaxValue.Ticks)).ToArray();
        var texts = ticks.Select(t =>
        {
            var buffer = new byte[64];
            return Encoding.ASCII.GetString(buffer, 0, WirePointWriter.WriteTimestamp(t, buffer));
        }).ToArray();

        Assert.All(texts, t => Assert.Equal(28, t.Length));
        Array.Sort(ticks, texts);
        Assert.Equal(texts, texts.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Write_NoEndTicksAndNotReplayed_OmitsTheOptionalFields()
    {
        var json = WriteText(new WirePointWriter("gw-7"), new TelemetryPoint(Plain(), Ts, PointValue.FromNumber(1), Quality.Good, 0));

        using var doc = JsonDocument.Parse(json);
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["schema_version", "gateway_id", "asset_id", "metric", "ts", "value", "quality", "status_code", "source"], names);
    }

    [Fact]
    public void AsReplayed_KeepsEverythingAndAddsReplayed()
    {
        var stream = new StreamDescriptor("line-1", "_loss/pressure", "edgetwin:queue", eventKind: EventKind.Loss);
        var live = new TelemetryPoint(stream, Ts, PointValue.FromNumber(12), Quality.Good, 0, endTicks: Ts + 10);
        var writer = new WirePointWriter("gw-7");

        var liveJson = WriteText(writer, live);
        var replayedJson = WriteText(writer, live.AsReplayed());

        Assert.Equal(liveJson.TrimEnd('\n').TrimEnd('}') + ",\"replayed\":true}\n", replayedJson);
        AssertValid(replayedJson);
    }

    [Fact]
    public void Write_SameStreamThroughTwoGateways_EachWritesItsOwnGatewayId()
    {
        // The encoded constant parts are cached on the descriptor; a second writer must not reuse the first's.
        var stream = Plain();
        var point = new TelemetryPoint(stream, Ts, PointValue.FromNumber(1), Quality.Good, 0);

        var first = WriteText(new WirePointWriter("gw-a"), point);
        var second = WriteText(new WirePointWriter("gw-b"), point);
        var firstAgain = WriteText(new WirePointWriter("gw-a"), point);

        Assert.Contains("\"gateway_id\":\"gw-a\"", first, StringComparison.Ordinal);
        Assert.Contains("\"gateway_id\":\"gw-b\"", second, StringComparison.Ordinal);
        Assert.Equal(first, firstAgain);
    }

    [Fact]
    public void Write_MetricNamedTs_KeepsTheTimestampInItsPlace()
    {
        // The cached prefix is cut at the last "ts" property name; a metric or asset called "ts" must not confuse it.
        var json = WriteText(new WirePointWriter("ts"), new TelemetryPoint(new StreamDescriptor("ts", "ts", "ts"), Ts, PointValue.FromString("ts"), Quality.Good, 0));

        Assert.Equal(
            "{\"schema_version\":\"1.0\",\"gateway_id\":\"ts\",\"asset_id\":\"ts\",\"metric\":\"ts\",\"ts\":\"2026-11-24T03:00:00.1234567Z\","
            + "\"value\":\"ts\",\"quality\":\"good\",\"status_code\":0,\"source\":\"ts\"}\n",
            json);
    }

    [Fact]
    public void Write_MixedBatchAsJsonLines_EveryLineValidatesAndRoundTrips()
    {
        var writer = new WirePointWriter("gw-7");
        var streams = new[]
        {
            Plain(),
            new StreamDescriptor("pump-1", "running", "sim:pump-1/running", [new("unit", "")]),
            new StreamDescriptor("pump-1", "anomaly_score", "onnx:pump-ae", model: "pump-ae", modelVersion: "v3", eventKind: EventKind.Anomaly),
            new StreamDescriptor("pump-1", "_loss/pressure", "edgetwin:queue", [new("lost_metric", "pressure")], eventKind: EventKind.Loss),
            new StreamDescriptor("gateway", "state", "edgetwin:gateway", eventKind: EventKind.GatewayState),
        };
        var values = new[] { PointValue.FromNumber(1.5), PointValue.FromBoolean(false), PointValue.FromString("started \"cold\""), PointValue.FromNumber(-1e-9) };
        var points = new List<TelemetryPoint>();
        var output = new ArrayBufferWriter<byte>();
        for (var i = 0; i < 200; i++)
        {
            var stream = streams[i % streams.Length];
            var point = new TelemetryPoint(stream, Ts + i, values[i % values.Length], (Quality)(i % 3), (uint)i << 24,
                replayed: i % 7 == 0, endTicks: stream.EventKind == EventKind.Loss ? Ts + i + 100 : 0);
            points.Add(point);
            writer.Write(point, output);
        }

        var lines = Encoding.UTF8.GetString(output.WrittenSpan).Split('\n');

        Assert.Equal(points.Count + 1, lines.Length);
        Assert.Equal("", lines[^1]);
        for (var i = 0; i < points.Count; i++)
        {
            AssertValid(lines[i]);
            AssertRoundTrips(points[i], "gw-7", lines[i]);
        }
    }

    private static string WriteText(WirePointWriter writer, in TelemetryPoint point, byte terminator = (byte)'\n')
    {
        var output = new ArrayBufferWriter<byte>();
        writer.Write(point, output, terminator);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static void AssertValid(string json)
    {
        var errors = WireSchema.Validate(json);
        Assert.True(errors.Count == 0, $"{json}\nviolates {WireSchema.FileName}:\n{string.Join("\n", errors)}");
    }

    /// <summary>Parses a written line with an independent parser and compares every field with the point.</summary>
    private static void AssertRoundTrips(in TelemetryPoint point, string gatewayId, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var s = point.Stream;
        Assert.Equal("1.0", root.GetProperty("schema_version").GetString());
        Assert.Equal(gatewayId, root.GetProperty("gateway_id").GetString());
        Assert.Equal(s.AssetId, root.GetProperty("asset_id").GetString());
        Assert.Equal(s.Metric, root.GetProperty("metric").GetString());
        Assert.Equal(point.Timestamp, root.GetProperty("ts").GetDateTime().ToUniversalTime());
        var value = root.GetProperty("value");
        switch (point.Value.Kind)
        {
            case PointValueKind.Number: Assert.Equal(BitConverter.DoubleToInt64Bits(point.Value.Number), BitConverter.DoubleToInt64Bits(value.GetDouble())); break;
            case PointValueKind.Boolean: Assert.Equal(point.Value.Boolean, value.GetBoolean()); break;
            default: Assert.Equal(point.Value.Text, value.GetString()); break;
        }
        Assert.Equal(QualityCodes.ToWire(point.Quality), root.GetProperty("quality").GetString());
        Assert.Equal(point.StatusCode, root.GetProperty("status_code").GetUInt32());
        Assert.Equal(s.Source, root.GetProperty("source").GetString());
        if (s.Tags.Count == 0) Assert.False(root.TryGetProperty("tags", out _));
        else Assert.Equal(s.Tags, root.GetProperty("tags").EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString()!)));
        Assert.Equal(s.Model, root.TryGetProperty("model", out var model) ? model.GetString() : null);
        Assert.Equal(s.ModelVersion, root.TryGetProperty("model_version", out var version) ? version.GetString() : null);
        Assert.Equal(EventKinds.ToWire(s.EventKind), root.TryGetProperty("event", out var kind) ? kind.GetString() : null);
        Assert.Equal(point.EndTicks, root.TryGetProperty("ts_end", out var end) ? end.GetDateTime().ToUniversalTime().Ticks : 0);
        Assert.Equal(point.Replayed, root.TryGetProperty("replayed", out var replayed) && replayed.GetBoolean());
    }
}
