using System.Text.Json;

namespace EdgeTwin.Core.Assets;

/// <summary>One asset of the registry: the one source of truth for asset metadata (docs/architecture.md §2.8).</summary>
public sealed record AssetDefinition(string Id, string Name, string? Parent, string? ModelVersion, JsonElement? Config);
