using System.Text.Json;

namespace EdgeTwin.Core.Assets;

/// <summary>One asset of the registry: the one source of truth for asset metadata (docs/architecture.md §2.8).</summary>
public sealed class AssetDefinition
{
    // The name, or for a generated asset the function that names it from its id: a million generated assets hold no
    // name string each.
    private readonly object _name;

    public AssetDefinition(string id, string name, string? parent, string? modelVersion, JsonElement? config)
        : this(id, (object)name, parent, modelVersion, config)
    {
    }

    /// <summary>An asset whose name is <paramref name="nameOf"/> of its id, built when asked for.</summary>
    public AssetDefinition(string id, Func<string, string> nameOf, string? parent, string? modelVersion)
        : this(id, (object)nameOf, parent, modelVersion, null)
    {
    }

    private AssetDefinition(string id, object name, string? parent, string? modelVersion, JsonElement? config)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(name);
        Id = id;
        _name = name;
        Parent = parent;
        ModelVersion = modelVersion;
        Config = config;
    }

    public string Id { get; }

    public string Name => _name as string ?? ((Func<string, string>)_name)(Id);

    public string? Parent { get; }

    public string? ModelVersion { get; }

    public JsonElement? Config { get; }

    /// <summary>The asset's generated mappings whose addresses are derived (<see cref="AssetRegistry.AddDerivedMapping"/>).</summary>
    internal MappingTarget[]? Derived { get; set; }
}
