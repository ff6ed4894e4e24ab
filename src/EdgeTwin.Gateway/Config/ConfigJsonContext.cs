using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeTwin.Gateway.Config;

/// <summary>
/// Source-generated (reflection-free) JSON binding of the configuration. Nullable annotations are enforced so
/// that <c>"gateway": null</c> is reported with its path instead of reaching the validator as a null section.
/// </summary>
[JsonSourceGenerationOptions(
    RespectNullableAnnotations = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EdgeTwinConfig))]
public sealed partial class ConfigJsonContext : JsonSerializerContext;
