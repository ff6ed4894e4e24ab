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
    private readonly Dictionary<(double Scale, double Offset, string? Unit), Scaling> _scalings = new();
    private readonly Dictionary<string, IReadOnlyList<KeyValuePair<string, string>>> _unitTagSets = new(StringComparer.Ordinal);

    // Generated mappings (a simulator's channels): their addresses are derived (prefix, asset id, '/', metric), so
    // they are found through their asset (AssetDefinition.Derived) instead of by an address string each; a handful of
    // prefixes, few mappings per asset.
    private readonly List<string> _derivedPrefixes = [];
    private int _derivedCount;

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

    public int MappingCount => _mappings.Count + _derivedCount;

    /// <summary>Every mapping by its address (a derived address is built as it is listed).</summary>
    public IEnumerable<KeyValuePair<string, MappingTarget>> Mappings =>
        _mappings.Concat(_assets.Values.SelectMany(a => a.Derived ?? []).Select(t => new KeyValuePair<string, MappingTarget>(t.Stream.Source, t)));

    public bool TryGetAsset(string id, out AssetDefinition? asset) => _assets.TryGetValue(id, out asset);

    /// <summary>Room for <paramref name="more"/> assets beyond those held, so that adding many grows the table once.</summary>
    public void EnsureAssetCapacity(int more) => _assets.EnsureCapacity(_assets.Count + more);

    /// <summary>Adds an asset that a source generates from its own config (simulator load tests).</summary>
    public void AddGeneratedAsset(string id, string name, string? parent, string? modelVersion)
    {
        if (SeriesKey.Check(id) is { } why) throw new ArgumentException($"generated asset id '{id}' {why}");
        _assets.TryAdd(id, new AssetDefinition(id, name, parent, modelVersion, null));
    }

    /// <summary>Adds a generated asset named by <paramref name="nameOf"/> of its id (no name string held per asset).</summary>
    public void AddGeneratedAsset(string id, Func<string, string> nameOf, string? parent, string? modelVersion)
    {
        if (SeriesKey.Check(id) is { } why) throw new ArgumentException($"generated asset id '{id}' {why}");
        _assets.TryAdd(id, new AssetDefinition(id, nameOf, parent, modelVersion));
    }

    /// <summary>Adds a mapping unless the address is mapped already (an explicit mapping wins over a generated one).</summary>
    public bool AddMapping(string source, string asset, string metric, string? unit, double scale = 1, double offset = 0, IReadOnlyDictionary<string, string>? tags = null,
        string? model = null, string? modelVersion = null)
    {
        if (_mappings.ContainsKey(source) || TryMapDerived(source, out _)) return false;
        _mappings.Add(source, new MappingTarget(new StreamDescriptor(asset, metric, source, SharedTags(unit, tags), model, modelVersion), SharedScaling(scale, offset, unit)));
        return true;
    }

    /// <summary>
    /// Adds a generated mapping whose address is <paramref name="prefix"/>, <paramref name="asset"/>, '/' and
    /// <paramref name="metric"/>, kept without its address string (<see cref="StreamDescriptor.WithDerivedSource"/>), unless
    /// the address is mapped already. Returns the address's target (the new one, or the mapping that was there), and
    /// whether it was added.
    /// </summary>
    public (MappingTarget Target, bool Added) AddDerivedMapping(string prefix, string asset, string metric, string? unit)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (TryMap(prefix, asset, metric, out var existing)) return (existing!, false);
        if (metric.Contains('/', StringComparison.Ordinal) || !_assets.TryGetValue(asset, out var definition))
        {
            // The metric is what follows the address's last '/': one with a '/' of its own keeps its address, as does
            // a mapping to an asset the registry does not hold.
            var address = string.Concat(prefix, asset, "/", metric);
            AddMapping(address, asset, metric, unit);
            return (_mappings[address], true);
        }
        var target = new MappingTarget(StreamDescriptor.WithDerivedSource(prefix, asset, metric, SharedTags(unit, null)), SharedScaling(1, 0, unit));
        definition!.Derived = definition.Derived is { } those ? [.. those, target] : [target];
        if (!_derivedPrefixes.Contains(prefix, StringComparer.Ordinal)) _derivedPrefixes.Add(prefix);
        _derivedCount++;
        return (target, true);
    }

    private Scaling SharedScaling(double scale, double offset, string? unit)
    {
        if (!_scalings.TryGetValue((scale, offset, unit), out var shared))
        {
            shared = new Scaling(scale, offset, unit);
            _scalings.Add((scale, offset, unit), shared);
        }
        return shared;
    }

    private static readonly IReadOnlyDictionary<string, string> EmptyTags = new Dictionary<string, string>();

    /// <summary>One tag set per distinct unit and tags: a million mappings of a handful of units hold a handful of sets.</summary>
    private IReadOnlyList<KeyValuePair<string, string>> SharedTags(string? unit, IReadOnlyDictionary<string, string>? tags)
    {
        // A unit and no tags (every generated channel): found by the unit, without sorting or building a key.
        if (tags is null && unit is not null)
        {
            if (!_unitTagSets.TryGetValue(unit, out var byUnit)) _unitTagSets.Add(unit, byUnit = SharedTags(unit, EmptyTags));
            return byUnit;
        }
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

    public bool TryMap(string address, out MappingTarget? target) =>
        _mappings.TryGetValue(address, out target) || (_derivedCount > 0 && TryMapDerived(address, out target));

    /// <summary>
    /// The mapping of the address <paramref name="prefix"/>, <paramref name="asset"/>, '/', <paramref name="metric"/>:
    /// a derived one is found through its asset without building the address; the address is built only to look for a
    /// mapping that keeps it, when there is any.
    /// </summary>
    public bool TryMap(string prefix, string asset, string metric, out MappingTarget? target)
    {
        if (_derivedCount > 0 && _assets.TryGetValue(asset, out var definition) && (target = DerivedOf(definition, prefix, metric)) is not null) return true;
        target = null;
        return _mappings.Count > 0 && _mappings.TryGetValue(string.Concat(prefix, asset, "/", metric), out target);
    }

    private static MappingTarget? DerivedOf(AssetDefinition asset, string prefix, ReadOnlySpan<char> metric)
    {
        foreach (var t in asset.Derived ?? [])
        {
            if (metric.SequenceEqual(t.Metric) && string.Equals(t.SourcePrefix, prefix, StringComparison.Ordinal)) return t;
        }
        return null;
    }

    /// <summary>A generated mapping by its address: prefix, then the asset id up to the last '/', then the metric.</summary>
    private bool TryMapDerived(string address, out MappingTarget? target)
    {
        target = null;
        var lookup = _assets.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var prefix in _derivedPrefixes)
        {
            if (!address.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var rest = address.AsSpan(prefix.Length);
            var slash = rest.LastIndexOf('/');
            if (slash > 0 && lookup.TryGetValue(rest[..slash], out var asset) && (target = DerivedOf(asset, prefix, rest[(slash + 1)..])) is not null) return true;
        }
        return false;
    }

    /// <summary>The registry's own descriptor equal to <paramref name="stream"/> (a mapping's or a dynamic target's), or null.</summary>
    public StreamDescriptor? Known(StreamDescriptor stream)
    {
        if (TryMap(stream.Source, out var mapped) && mapped!.Stream.Equals(stream)) return mapped.Stream;
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
