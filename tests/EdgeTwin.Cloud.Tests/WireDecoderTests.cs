using System.Text;
using EdgeTwin.Cloud.Ingest;
using EdgeTwin.Cloud.Tests.Infrastructure;

namespace EdgeTwin.Cloud.Tests;

public sealed class WireDecoderTests
{
    private static PointRow Decode(string json) => WireDecoder.DecodePoint(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Point_KeepsThe100NanosecondDigit_AndEachValueKindInItsColumn()
    {
        var t = new DateTime(2026, 11, 24, 3, 0, 0, DateTimeKind.Utc).AddTicks(1234567);
        var number = Decode(Wire.Point("pump-1", "pressure", t, 1e-300, tags: new() { ["unit"] = "bar" }, replayed: true));
        Assert.Equal(t.AddTicks(-7), number.Time);
        Assert.Equal(7, number.TimeFrac);
        Assert.Equal(1e-300, number.Value);
        Assert.Null(number.ValueText);
        Assert.Equal("bar", number.Unit);
        Assert.True(number.Replayed);
        Assert.Equal("", number.Model);

        Assert.Equal("open", Decode(Wire.Point("v", "state", t, "open")).ValueText);
        Assert.True(Decode(Wire.Point("v", "on", t, true)).ValueBool);

        var output = Decode(Wire.Point("pump-1", "wear", t, 0.5, model: "pump", version: "v2"));
        Assert.Equal(("pump", "v2"), (output.Model, output.ModelVersion));

        var loss = Decode(Wire.Point("pump-1", "_loss/pressure", t, 42, evt: "loss", tsEnd: t.AddSeconds(10)));
        Assert.Equal("loss", loss.EventKind);
        Assert.Equal(t.AddSeconds(10).AddTicks(-7), loss.TimeEnd);
    }

    [Fact]
    public void Version11_ArraysMatricesAndStructures_AreKeptAsJson()
    {
        const string head = "\"schema_version\":\"1.1\",\"gateway_id\":\"g\",\"asset_id\":\"a\",\"metric\":\"m\",\"ts\":\"2026-01-01T00:00:00.0000000Z\",\"quality\":\"good\",\"status_code\":0,\"source\":\"s\"";

        var wave = Decode("{" + head + ",\"value\":[1.5,-2,1E-300]}");
        var matrix = Decode("{" + head + ",\"value\":[1,2,3,4,5,6],\"dimensions\":[2,3]}");
        var drive = Decode("{" + head + ",\"value\":{\"Status\":{\"Speed\":1480.5}},\"tags\":{\"enum\":\"Running\"}}");
        var scalar = Decode("{" + head + ",\"value\":7,\"tags\":{\"locale\":\"de\"}}");

        Assert.Equal("[1.5,-2,1E-300]", wave.ValueJson);
        Assert.Null(wave.Dimensions);
        Assert.Null(wave.Value);
        Assert.Equal([2, 3], matrix.Dimensions!);
        Assert.Equal("{\"Status\":{\"Speed\":1480.5}}", drive.ValueJson);
        Assert.Equal(7, scalar.Value);
        Assert.Null(scalar.ValueJson);
    }

    [Theory]
    [InlineData(",\"value\":[1,2,3],\"dimensions\":[2,2]", "$.dimensions: 2x2 is 4 elements, the value has 3")]
    [InlineData(",\"value\":[1,2],\"dimensions\":[2]", "$.dimensions: expected an array of at least two integers")]
    [InlineData(",\"value\":5,\"dimensions\":[1,1]", "$.dimensions: only an array value has dimensions")]
    [InlineData(",\"value\":{\"a\":1},\"dimensions\":[1,1]", "$.dimensions: only an array value has dimensions")]
    [InlineData(",\"value\":null", "$.value: expected a number, boolean, string, array or object, found null")]
    [InlineData(",\"value\":[\"a\\u0000\"]", "U+0000")]
    public void Version11_BadValues_AreRefusedWithTheirReason(string value, string reason)
    {
        var json = "{\"schema_version\":\"1.1\",\"gateway_id\":\"g\",\"asset_id\":\"a\",\"metric\":\"m\",\"ts\":\"2026-01-01T00:00:00.0000000Z\",\"quality\":\"good\",\"status_code\":0,\"source\":\"s\"" + value + "}";
        var e = Assert.Throws<WireFormatException>(() => Decode(json));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MinorVersion_IsReadWithItsNewFieldsIgnored()
    {
        var row = Decode("""{"schema_version":"1.3","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s","future":"x"}""");
        Assert.Equal(1, row.Value);
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[1,2]", "$: expected an object, found an array")]
    [InlineData("""{"schema_version":"2.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s"}""", "unknown schema version '2.0'")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":{"x":1},"quality":"good","status_code":0,"source":"s"}""", "$.value: expected a number, boolean or string, found an object")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":null,"quality":"good","status_code":0,"source":"s"}""", "$.value: expected a number, boolean or string, found null")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00Z","value":1,"quality":"good","status_code":0,"source":"s"}""", "$.ts: expected a UTC timestamp")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a|b","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s"}""", "$.asset_id: 'a|b' is empty or contains '|'")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"fine","status_code":0,"source":"s"}""", "$.quality: 'fine'")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":-1,"source":"s"}""", "$.status_code")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s","extra":1}""", "$.extra: not a field of schema 1.0")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":"a\u0000b","quality":"good","status_code":0,"source":"s"}""", "U+0000")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s","model":"m\u0000"}""", "U+0000")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s","model_version":"v\u0000"}""", "U+0000")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a\u0000","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s"}""", "$.asset_id: 'a\\u0000' is empty or contains '|' or U+0000")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s"}""", "$.asset_id: required")]
    public void Poison_IsRefusedWithItsReason(string json, string reason)
    {
        var e = Assert.Throws<WireFormatException>(() => Decode(json));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FieldsInAnyOrder_EscapedNamesAndTimestamps_AndTagsKeptAsTheyCame()
    {
        var p = Decode("""{"tags":{"line":"A","unit":"k\u0050a"},"value":-2.5e3,"status_code":2147483648,"source":"s","quality":"uncertain","ts":"2026-02-28T23:59:59.999999\u0039Z","metric":"m","asset_id":"a","gateway_id":"g","schema_version":"1.0","\u006dodel":"pump"}""");
        Assert.Equal(new DateTime(2026, 2, 28, 23, 59, 59, DateTimeKind.Utc).AddTicks(9_999_990), p.Time);
        Assert.Equal(9, p.TimeFrac);
        Assert.Equal((-2500.0, "uncertain", 2147483648L, "kPa", "pump"), (p.Value!.Value, p.Quality, p.StatusCode, p.Unit, p.Model));
        Assert.Equal("""{"line":"A","unit":"k\u0050a"}""", p.TagsJson);

        // An unknown field before the version: refused in 1.0, ignored in 1.1.
        Assert.Contains("$.extra: not a field of schema 1.0", Assert.Throws<WireFormatException>(() => Decode(
            """{"extra":[1,{"x":2}],"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s"}""")).Message, StringComparison.Ordinal);
        Assert.Equal(1, Decode("""{"extra":[1,{"x":2}],"schema_version":"1.1","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s"}""").Value);
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("""{"schema_version":"1.0"} {}""", "not one JSON object: data after byte 24")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-02-30T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s"}""", "$.ts: expected a UTC timestamp with seven fractional digits (2026-01-01T00:00:00.0000000Z), found the string \"2026-02-30T00:00:00.0000000Z\"")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":[1,2],"quality":"good","status_code":0,"source":"s"}""", "$.value: expected a number, boolean or string, found an array")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":1.5,"source":"s"}""", "$.status_code: expected an integer 0..4294967295, found the number 1.5")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s","tags":{"unit":3}}""", "$.tags.unit: expected a string, found the number 3")]
    [InlineData("""{"schema_version":"1.0","gateway_id":"g","asset_id":"a","metric":"m","ts":"2026-01-01T00:00:00.0000000Z","value":1,"quality":"good","status_code":0,"source":"s","replayed":"yes"}""", "$.replayed: expected a boolean, found the string \"yes\"")]
    [InlineData("""{"schema_version":1,"gateway_id":"g"}""", "$.schema_version: expected a string, found the number 1")]
    public void MorePoison_IsRefusedWithItsReason(string json, string reason)
    {
        var e = Assert.Throws<WireFormatException>(() => Decode(json));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TwinMetadata_AndItsTombstone()
    {
        var a = WireDecoder.DecodeAsset("pump-1"u8, Encoding.UTF8.GetBytes("""{"schema_version":"1.0","gateway_id":"gw","asset_id":"pump-1","name":"Pump 1","parent":"line-1","model_version":"v3","config":{"rated_kw":7.5}}"""));
        Assert.Equal(("pump-1", "Pump 1", "line-1", "v3", "gw"), (a.Id, a.Name, a.Parent, a.ModelVersion, a.GatewayId));
        Assert.Equal("""{"rated_kw":7.5}""", a.ConfigJson);
        var gone = WireDecoder.DecodeAsset("pump-1"u8, []);
        Assert.True(gone.Deleted);
        Assert.Equal("pump-1", gone.Id);
        Assert.Contains("U+0000", Assert.Throws<WireFormatException>(() => WireDecoder.DecodeAsset("pump-1"u8, Encoding.UTF8.GetBytes(
            """{"schema_version":"1.0","gateway_id":"gw","asset_id":"pump-1","name":"Pump 1","parent":"line\u0000"}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TwinMetadata_UnknownFieldIsRefusedInExactly10_AndKeptOutOfTheWayInALater1x()
    {
        const string Record = """{"schema_version":"VERSION","gateway_id":"gw","asset_id":"pump-1","name":"Pump 1","location":"hall 3"}""";
        var refused = Assert.Throws<WireFormatException>(() => WireDecoder.DecodeAsset("pump-1"u8, Encoding.UTF8.GetBytes(Record.Replace("VERSION", "1.0", StringComparison.Ordinal))));
        Assert.Equal("$.location: not a field of schema 1.0", refused.Message);
        var later = WireDecoder.DecodeAsset("pump-1"u8, Encoding.UTF8.GetBytes(Record.Replace("VERSION", "1.4", StringComparison.Ordinal)));
        Assert.Equal(("pump-1", "Pump 1"), (later.Id, later.Name));
    }
}
