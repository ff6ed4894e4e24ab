using NJsonSchema;

namespace EdgeTwin.Core.Tests.Wire;

/// <summary>The schema-1.0 JSON Schema as committed under config/schema, the file consumers are given.</summary>
internal static class WireSchema
{
    public const string FileName = "telemetry-point-1.0.schema.json";

    private static readonly Lazy<JsonSchema> Schema = new(Load);

    public static string FilePath => RepositoryFiles.Path("config", "schema", FileName);

    /// <summary>Every validation error of <paramref name="json"/>, as text naming the property; empty when valid.</summary>
    public static IReadOnlyList<string> Validate(string json) =>
        [.. Schema.Value.Validate(json).Select(e => e.ToString())];

    // NJsonSchema only offers an asynchronous loader; this runs once, outside any test's synchronization context.
    private static JsonSchema Load() => JsonSchema.FromFileAsync(FilePath).GetAwaiter().GetResult();
}
