using System.Collections.Concurrent;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Assets;

/// <summary>
/// The asset registry and the source-address mappings, built from the configuration. Sources that name the
/// asset and metric themselves (topic templates, multi-metric payloads) are resolved against the registry:
/// an asset it does not know is quarantined, never invented.
/// </summary>
public sealed class AssetRegistry
{
    private readonly Dictionary<string, AssetDefinition> _assets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MappingTarget> _mappings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Address, string Asset, string Metric), MappingTarget> _dynamic = new();
    private readonly Dictionary<string, IReadOnlyList<KeyValuePair<string, string>>> _tagSets = new(StringComparer.Ordinal);

    public AssetRegistry(IEnumerable<AssetConfig> assets, IEnumerable<MappingConfig> mappings)
    {
        foreach (var a in assets)
        {
            _assets[a.Id] = new AssetDefinition(a.Id, a.Name ?? a.Id, a.Parent, a.ModelVersion, a.Config);
        }
        foreach (var m in mappings)
        {
            AddMapping(m.Source, m.Asset, m.Metric, m.Unit, m.Scale, m.Offset, m.Tags, m.Model, m.ModelVersion);
        }
    }

    public IReadOnlyCollection<AssetDefinition> Assets => _assets.Values;

    public int MappingCount => _mappings.Count;

    public IEnumerable<KeyValuePair<string, MappingTarget>> Mappings => _mappings;

    public bool TryGetAsset(string id, out AssetDefinition? asset) => _assets.TryGetValue(id, out asset);

    /// <summary>Adds an asset that a source generates from its own config (simulator load tests).</summary>
    public void AddGeneratedAsset(string id, string name, string? parent, string? modelVersion)
    {
        if (SeriesKey.Check(id) is { } why) throw new ArgumentException($"generated asset id '{id}' {why}");
        _assets.TryAdd(id, new AssetDefinition(id, name, parent, modelVersion, null));
    }

    /// <summary>Adds a mapping unless the address is mapped already (an explicit mapping wins over a generated one).</summary>
    public bool AddMapping(string source, string asset, string metric, string? unit, double scale = 1, double offset = 0, IReadOnlyDictionary<string, string>? tags = null,
        string? model = null, string? modelVersion = null)
    {
        if (_mappings.ContainsKey(source)) return false;
        _mappings.Add(source, new MappingTarget(new StreamDescriptor(asset, metric, source, SharedTags(unit, tags), model, modelVersion), scale, offset, unit));
        return true;
    }

    /// <summary>One tag set per distinct unit and tags: a million mappings of a handful of units hold a handful of sets.</summary>
    private IReadOnlyList<KeyValuePair<string, string>> SharedTags(string? unit, IReadOnlyDictionary<string, string>? tags)
    {
        var pairs = TagsOf(unit, tags).OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        // Each part length-prefixed: no key or value can be mistaken for a separator.
        var key = string.Concat(pairs.Select(t => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{t.Key.Length}:{t.Key}{t.Value.Length}:{t.Value}")));
        if (!_tagSets.TryGetValue(key, out var set))
        {
            set = StreamDescriptor.ShareTags(pairs);
            _tagSets.Add(key, set);
        }
        return set;
    }

    public bool TryMap(string address, out MappingTarget? target) => _mappings.TryGetValue(address, out target);

    /// <summary>The registry's own descriptor equal to <paramref name="stream"/> (a mapping's or a dynamic target's), or null.</summary>
    public StreamDescriptor? Known(StreamDescriptor stream)
    {
        if (_mappings.TryGetValue(stream.Source, out var mapped) && mapped.Stream.Equals(stream)) return mapped.Stream;
        return _dynamic.TryGetValue((stream.Source, stream.AssetId, stream.Metric), out var dynamic) && dynamic.Stream.Equals(stream) ? dynamic.Stream : null;
    }

    /// <summary>A target for a reading that names its own asset and metric; the asset must be registered.</summary>
    public MappingTarget GetOrAddDynamic(string address, string asset, string metric) =>
        _dynamic.GetOrAdd((address, asset, metric), static k => new MappingTarget(new StreamDescriptor(k.Asset, k.Metric, k.Address), 1, 0, null));

    private static IEnumerable<KeyValuePair<string, string>> TagsOf(string? unit, IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is not null)
        {
            foreach (var t in tags)
            {
                if (t.Key != "unit") yield return t;
            }
        }
        if (unit is not null) yield return new("unit", unit);
    }
}
