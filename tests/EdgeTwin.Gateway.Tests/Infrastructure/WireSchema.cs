using NJsonSchema;

namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>The schema-1.0 wire format from config/schema, for validating what the real binary emits.</summary>
public static class WireSchema
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromFileAsync(Path.Combine(RepoRoot.Path, "config", "schema", "telemetry-point-1.0.schema.json")).GetAwaiter().GetResult());

    public static void AssertValid(IEnumerable<SinkLine> lines)
    {
        var count = 0;
        foreach (var line in lines)
        {
            var errors = Schema.Value.Validate(line.Json);
            Assert.True(errors.Count == 0, $"line violates telemetry-point-1.0: {string.Join("; ", errors.Select(e => $"{e.Path}: {e.Kind}"))}{Environment.NewLine}{line.Json}");
            count++;
        }
        Assert.True(count > 0, "no lines to validate");
    }
}
