using System.Buffers;
using System.Text;
using System.Text.Json;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Core.Wire;

namespace EdgeTwin.Core.Tests.Wire;

/// <summary>
/// Schema 1.1: arrays, matrices and structures, each point in the version its value needs, validated by an
/// independent validator (Python's jsonschema) against the file its schema_version names.
/// </summary>
public class WirePointWriter11Tests
{
    private const string Source = "opcua:nsu=urn:plc;s=Drive1";
    private static readonly long Ts = new DateTime(2026, 11, 24, 3, 0, 0, DateTimeKind.Utc).Ticks + 1_234_567;

    private static StreamDescriptor Stream(string metric) => new("line-1", metric, Source);

    [Fact]
    public void Write_NumberArray_IsVersion11WithTheElementsInOrder()
    {
        var json = Write(new TelemetryPoint(Stream("spectrum"), Ts, PointValue.FromArray(ArrayValue.FromNumbers([1.5, -2, 1e-300, 0])), Quality.Good, 0));

        Assert.Equal(
            "{\"schema_version\":\"1.1\",\"gateway_id\":\"gw-7\",\"asset_id\":\"line-1\",\"metric\":\"spectrum\","
            + "\"ts\":\"2026-11-24T03:00:00.1234567Z\",\"value\":[1.5,-2,1E-300,0],\"quality\":\"good\",\"status_code\":0,"
            + "\"source\":\"opcua:nsu=urn:plc;s=Drive1\"}\n",
            json);
    }

    [Fact]
    public void Write_Matrix_CarriesItsDimensionsAfterTheFlatValue()
    {
        var matrix = ArrayValue.FromNumbers([1, 2, 3, 4, 5, 6], [2, 3]);

        using var doc = JsonDocument.Parse(Write(new TelemetryPoint(Stream("grid"), Ts, PointValue.FromArray(matrix), Quality.Good, 0)));

        Assert.Equal("1.1", doc.RootElement.GetProperty("schema_version").GetString());
        Assert.Equal([1.0, 2, 3, 4, 5, 6], doc.RootElement.GetProperty("value").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal([2, 3], doc.RootElement.GetProperty("dimensions").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void Write_StringsBooleansAndStructure_KeepEveryCharacter()
    {
        var strings = Write(new TelemetryPoint(Stream("names"), Ts, PointValue.FromArray(ArrayValue.FromStrings(["a\"b", "Grüße", "\n"])), Quality.Good, 0));
        var flags = Write(new TelemetryPoint(Stream("flags"), Ts, PointValue.FromArray(ArrayValue.FromBooleans([true, false])), Quality.Good, 0));
        const string structure = "{\"Speed\":12.5,\"Status\":{\"Running\":true,\"Name\":\"P-1\"}}";
        var status = Write(new TelemetryPoint(Stream("status"), Ts, PointValue.FromStructure(structure), Quality.Good, 0));

        using (var doc = JsonDocument.Parse(strings)) Assert.Equal(["a\"b", "Grüße", "\n"], doc.RootElement.GetProperty("value").EnumerateArray().Select(e => e.GetString()));
        using (var doc = JsonDocument.Parse(flags)) Assert.Equal([true, false], doc.RootElement.GetProperty("value").EnumerateArray().Select(e => e.GetBoolean()));
        Assert.Contains("\"value\":" + structure + ",\"quality\"", status, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ScalarsStayVersion10_AndEveryPointValidatesAgainstItsOwnVersion()
    {
        var lines = new[]
        {
            Write(new TelemetryPoint(Stream("pressure"), Ts, PointValue.FromNumber(42.12), Quality.Good, 0)),
            Write(new TelemetryPoint(Stream("batch_start"), Ts, PointValue.FromString("2026-11-24T02:59:00.0000001Z"), Quality.Good, 0)),
            Write(new TelemetryPoint(Stream("waveform"), Ts, PointValue.FromArray(ArrayValue.FromNumbers([.. Enumerable.Range(0, 1000).Select(i => Math.Sin(i / 10.0))])), Quality.Good, 0)),
            Write(new TelemetryPoint(Stream("grid"), Ts, PointValue.FromArray(ArrayValue.FromNumbers([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2])), Quality.Uncertain, 0x4000_0000)),
            Write(new TelemetryPoint(Stream("names"), Ts, PointValue.FromArray(ArrayValue.FromStrings(["x", "y"])), Quality.Good, 0)),
            Write(new TelemetryPoint(Stream("flags"), Ts, PointValue.FromArray(ArrayValue.FromBooleans([true])), Quality.Good, 0)),
            Write(new TelemetryPoint(Stream("empty"), Ts, PointValue.FromArray(ArrayValue.FromNumbers([])), Quality.Good, 0)),
            Write(new TelemetryPoint(Stream("status"), Ts, PointValue.FromStructure("{\"A\":1,\"B\":{\"C\":\"d\"}}"), Quality.Good, 0)),
            Write(new TelemetryPoint(Stream("opaque"), Ts, PointValue.FromStructure("{\"TypeId\":\"ns=2;i=5001\",\"Encoding\":1,\"Body\":\"AQID\"}"), Quality.Good, 0)),
            Write(new TelemetryPoint(Stream("ranges"), Ts, PointValue.FromStructure("[{\"Low\":0,\"High\":1},null]"), Quality.Good, 0)),
        };

        Assert.Equal(["1.0", "1.0", "1.1", "1.1", "1.1", "1.1", "1.1", "1.1", "1.1", "1.1"], lines.Select(Version));
        Assert.Empty(PythonJsonSchema.Validate(lines));
    }

    [Fact]
    public void Schemas_RejectWhatTheWriterNeverEmits()
    {
        var head = "\"gateway_id\":\"gw\",\"asset_id\":\"a\",\"metric\":\"m\",\"ts\":\"2026-11-24T03:00:00.1234567Z\",\"quality\":\"good\",\"status_code\":0,\"source\":\"s\"";
        var bad = new[]
        {
            "{\"schema_version\":\"1.0\"," + head + ",\"value\":[1,2]}",                       // 1.0 has no arrays
            "{\"schema_version\":\"1.0\"," + head + ",\"value\":{\"a\":1}}",                   // nor structures
            "{\"schema_version\":\"1.1\"," + head + ",\"value\":[1,\"x\"]}",                   // mixed element kinds
            "{\"schema_version\":\"1.1\"," + head + ",\"value\":5,\"dimensions\":[1,1]}",     // dimensions on a scalar
            "{\"schema_version\":\"1.1\"," + head + ",\"value\":[1,2],\"dimensions\":[2]}",   // a matrix has two or more
            "{\"schema_version\":\"1.1\"," + head + ",\"value\":[1],\"extra\":1}",            // no unknown fields
            "{\"schema_version\":\"1.1\"," + head + "}",                                     // value is required
        };

        var errors = PythonJsonSchema.Validate(bad);

        for (var line = 1; line <= bad.Length; line++)
        {
            Assert.Contains(errors, e => e.StartsWith($"line {line} ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void SchemaFile11_KeepsEvery10FieldAndDescribesEveryProperty()
    {
        using var v10 = JsonDocument.Parse(File.ReadAllText(RepoRoot.Combine("config", "schema", "telemetry-point-1.0.schema.json")));
        using var v11 = JsonDocument.Parse(File.ReadAllText(RepoRoot.Combine("config", "schema", "telemetry-point-1.1.schema.json")));

        Assert.Equal("https://edgetwin.dev/schema/telemetry-point-1.1.json", v11.RootElement.GetProperty("$id").GetString());
        var old = v10.RootElement.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        var now = v11.RootElement.GetProperty("properties").EnumerateObject().ToList();
        Assert.All(old, name => Assert.Contains(now, p => p.Name == name));
        Assert.All(now, p => Assert.False(string.IsNullOrWhiteSpace(p.Value.GetProperty("description").GetString())));
        Assert.Equal(
            v10.RootElement.GetProperty("required").EnumerateArray().Select(e => e.GetString()),
            v11.RootElement.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    private static string Version(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("schema_version").GetString()!;
    }

    private static string Write(in TelemetryPoint point)
    {
        var output = new ArrayBufferWriter<byte>();
        new WirePointWriter("gw-7").Write(point, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
