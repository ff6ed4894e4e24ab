using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeTwin.Core.Tests.Wire;

/// <summary>
/// The schema must reject what the writer never emits; otherwise the writer tests that validate against it
/// could not fail. Each case starts from a valid point and breaks one thing.
/// </summary>
public class WireSchemaTests
{
    private const string Complete =
        "{\"schema_version\":\"1.0\",\"gateway_id\":\"gw-7\",\"asset_id\":\"line-1\",\"metric\":\"pressure\","
        + "\"ts\":\"2026-11-24T03:00:00.1234567Z\",\"value\":42.12,\"quality\":\"good\",\"status_code\":0,"
        + "\"source\":\"opcua:nsu=urn:plc;s=Line1.Pressure\",\"tags\":{\"unit\":\"bar\"},\"model\":\"m\",\"model_version\":\"v1\","
        + "\"event\":\"loss\",\"ts_end\":\"2026-11-24T03:05:00.0000000Z\",\"replayed\":true}";

    public static TheoryData<string> RequiredFields => new()
    {
        "schema_version", "gateway_id", "asset_id", "metric", "ts", "value", "quality", "status_code", "source",
    };

    public static TheoryData<string> OptionalFields => new() { "tags", "model", "model_version", "event", "ts_end", "replayed" };

    [Fact]
    public void SchemaFile_IsDraft07WithTheVersionedId()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(WireSchema.FilePath));
        var root = doc.RootElement;

        Assert.Equal("http://json-schema.org/draft-07/schema#", root.GetProperty("$schema").GetString());
        Assert.Equal("https://edgetwin.dev/schema/telemetry-point-1.0.json", root.GetProperty("$id").GetString());
        Assert.False(root.GetProperty("additionalProperties").GetBoolean());
    }

    [Fact]
    public void SchemaFile_EveryPropertyHasADescription()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(WireSchema.FilePath));

        foreach (var property in doc.RootElement.GetProperty("properties").EnumerateObject())
        {
            Assert.True(property.Value.TryGetProperty("description", out var description) && description.GetString()!.Length > 40,
                $"property '{property.Name}' needs a description saying what a consumer does with it");
            // Keywords next to "$ref" are ignored in draft-07, which would hide the description from tools.
            Assert.False(property.Value.TryGetProperty("$ref", out _), $"property '{property.Name}' uses $ref");
        }
    }

    [Fact]
    public void Validate_CompletePoint_HasNoErrors() => Assert.Empty(WireSchema.Validate(Complete));

    [Theory]
    [MemberData(nameof(OptionalFields))]
    public void Validate_PointWithoutAnOptionalField_HasNoErrors(string field) =>
        Assert.Empty(WireSchema.Validate(Without(field)));

    [Theory]
    [MemberData(nameof(RequiredFields))]
    public void Validate_PointMissingARequiredField_FailsNamingIt(string field)
    {
        var errors = WireSchema.Validate(Without(field));

        Assert.Contains(errors, e => e.Contains("PropertyRequired", StringComparison.Ordinal) && e.Contains(field, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("unit", "\"bar\"")]
    [InlineData("key", "\"line-1|pressure|1\"")]
    [InlineData("replayed_at", "\"2026-11-24T03:00:00.0000000Z\"")]
    public void Validate_PointWithAnExtraField_FailsNamingIt(string field, string json)
    {
        var errors = WireSchema.Validate(With(field, json));

        Assert.Contains(errors, e => e.Contains("NoAdditionalPropertiesAllowed", StringComparison.Ordinal) && e.Contains(field, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("2026-11-24T03:00:00.123Z")]
    [InlineData("2026-11-24T03:00:00Z")]
    [InlineData("2026-11-24T03:00:00.12345678Z")]
    [InlineData("2026-11-24T03:00:00.1234567")]
    [InlineData("2026-11-24T03:00:00.1234567+00:00")]
    [InlineData("2026-11-24T03:00:00.1234567z")]
    [InlineData("2026-11-24 03:00:00.1234567Z")]
    [InlineData("2026-13-24T03:00:00.1234567Z")]
    [InlineData("2026-11-32T03:00:00.1234567Z")]
    [InlineData("2026-11-24T24:00:00.1234567Z")]
    [InlineData("26-11-24T03:00:00.1234567Z")]
    [InlineData("")]
    public void Validate_BadTimestamp_FailsForTsAndTsEnd(string ts)
    {
        Assert.Contains(WireSchema.Validate(With("ts", JsonSerializer.Serialize(ts))), e => e.Contains("#/ts", StringComparison.Ordinal));
        Assert.Contains(WireSchema.Validate(With("ts_end", JsonSerializer.Serialize(ts))), e => e.Contains("#/ts_end", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ts", "1764039600")]
    [InlineData("schema_version", "\"1.1\"")]
    [InlineData("schema_version", "1.0")]
    [InlineData("gateway_id", "\"\"")]
    [InlineData("asset_id", "\"\"")]
    [InlineData("asset_id", "\"line|1\"")]
    [InlineData("metric", "\"a|b\"")]
    [InlineData("metric", "null")]
    [InlineData("value", "null")]
    [InlineData("value", "{\"v\":1}")]
    [InlineData("value", "[1]")]
    [InlineData("quality", "\"ok\"")]
    [InlineData("quality", "\"Good\"")]
    [InlineData("status_code", "-1")]
    [InlineData("status_code", "4294967296")]
    [InlineData("status_code", "1.5")]
    [InlineData("status_code", "\"0\"")]
    [InlineData("source", "0")]
    [InlineData("tags", "{\"unit\":1}")]
    [InlineData("tags", "{\"unit\":null}")]
    [InlineData("tags", "[\"unit\"]")]
    [InlineData("model", "1")]
    [InlineData("model_version", "null")]
    [InlineData("event", "\"alarm\"")]
    [InlineData("replayed", "\"true\"")]
    public void Validate_FieldOfTheWrongShape_FailsNamingIt(string field, string json)
    {
        var errors = WireSchema.Validate(With(field, json));

        Assert.Contains(errors, e => e.Contains("#/" + field, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("value", "-0")]
    [InlineData("value", "1E-300")]
    [InlineData("value", "1.7976931348623157E+308")]
    [InlineData("value", "true")]
    [InlineData("value", "\"\"")]
    [InlineData("status_code", "4294967295")]
    [InlineData("quality", "\"uncertain\"")]
    [InlineData("event", "\"gateway_state\"")]
    [InlineData("ts", "\"0001-01-01T00:00:00.0000001Z\"")]
    [InlineData("ts", "\"9999-12-31T23:59:59.9999999Z\"")]
    [InlineData("tags", "{}")]
    public void Validate_EdgeValuesTheWriterEmits_HaveNoErrors(string field, string json) =>
        Assert.Empty(WireSchema.Validate(With(field, json)));

    private static string Without(string field)
    {
        var node = JsonNode.Parse(Complete)!.AsObject();
        Assert.True(node.Remove(field));
        return node.ToJsonString();
    }

    private static string With(string field, string json)
    {
        var node = JsonNode.Parse(Complete)!.AsObject();
        node[field] = JsonNode.Parse(json);
        return node.ToJsonString();
    }
}
