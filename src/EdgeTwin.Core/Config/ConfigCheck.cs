using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Config;

/// <summary>
/// Validates one section of the configuration (<paramref name="section"/> at JSON path <paramref name="path"/>),
/// reporting what is wrong to <paramref name="check"/>. Each capability owns the validator of its section; the
/// Gateway calls them in file order (docs/architecture.md §5).
/// </summary>
public delegate void ConfigSectionValidator<in T>(T section, string path, ConfigCheck check);

/// <summary>
/// Where section validators report: collects every error by its JSON path instead of stopping at the first, and
/// holds what sections check against each other: the asset registry, the mapped source addresses, and the source
/// and sink names taken so far.
/// </summary>
public sealed class ConfigCheck
{
    private readonly List<ConfigError> _errors = [];
    private readonly Dictionary<string, ConfigError> _badValues;
    private readonly HashSet<string> _sourceNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sinkNames = new(StringComparer.Ordinal);

    /// <param name="assets">$.assets: an id is known from its first entry on.</param>
    /// <param name="mappings">$.mappings: a source address is mapped by its first entry.</param>
    /// <param name="badValues">Values the shape checker found outside their closed set, by path; each is reported where its section's validator meets it.</param>
    public ConfigCheck(IReadOnlyList<AssetConfig?> assets, IReadOnlyList<MappingConfig?> mappings, IEnumerable<ConfigError>? badValues = null)
    {
        var known = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < assets.Count; i++)
        {
            if (assets[i] is { Id: { Length: > 0 } id }) known.TryAdd(id, i);
        }
        Assets = known;
        var mapped = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < mappings.Count; i++)
        {
            if (mappings[i] is { } m && !string.IsNullOrWhiteSpace(m.Source)) mapped.TryAdd(m.Source, i);
        }
        Mappings = mapped;
        _badValues = (badValues ?? []).ToDictionary(e => e.Path, StringComparer.Ordinal);
    }

    /// <summary>Asset id → its index in $.assets.</summary>
    public IReadOnlyDictionary<string, int> Assets { get; }

    /// <summary>Mapped source address → its index in $.mappings.</summary>
    public IReadOnlyDictionary<string, int> Mappings { get; }

    public int SourceCount => _sourceNames.Count;

    public int SinkCount => _sinkNames.Count;

    public void Error(string path, string message) => _errors.Add(new ConfigError(path, message));

    /// <summary>Every error, in the order found; values outside their set that no validator met come last.</summary>
    public IReadOnlyList<ConfigError> Errors => [.. _errors, .. _badValues.Values];

    public void Positive(string path, double value)
    {
        if (!(value > 0) || !double.IsFinite(value)) Error(path, $"must be a positive number (got {value})");
    }

    public void Range(string path, double value, double min, double max)
    {
        if (!(value >= min && value <= max)) Error(path, $"must be between {min} and {max}, got {value}");
    }

    /// <summary>An asset id or metric: non-empty, without the key separator or control characters.</summary>
    public void Name(string path, string? value)
    {
        if (SeriesKey.Check(value) is { } why) Error(path, $"'{value}' {why}");
    }

    /// <summary>Reports <paramref name="path"/> unless <paramref name="id"/> is an asset in $.assets.</summary>
    public bool KnownAsset(string path, string id)
    {
        if (Assets.ContainsKey(id)) return true;
        Error(path, $"'{id}' is not an asset in $.assets");
        return false;
    }

    /// <summary>Source names are unique over every kind of source.</summary>
    public void SourceName(string path, string? name)
    {
        if (string.IsNullOrWhiteSpace(name) || !_sourceNames.Add(name)) Error(path, $"'{name}' must be a unique, non-empty source name");
    }

    /// <summary>Sink names are unique over every kind of sink.</summary>
    public void SinkName(string path, string? name)
    {
        if (string.IsNullOrWhiteSpace(name) || !_sinkNames.Add(name)) Error(path, $"'{name}' must be a unique, non-empty sink name");
    }

    /// <summary>
    /// True when <paramref name="value"/> is one of <paramref name="names"/>; otherwise reports it here, in the
    /// shape checker's words when it read the value from the file.
    /// </summary>
    public bool Known<T>(string path, T value, ConfigEnumNames<T> names) where T : struct, Enum
    {
        if (names.IsDefined(value)) return true;
        if (_badValues.Remove(path, out var found)) _errors.Add(found);
        else Error(path, $"is not {names.Allowed}");
        return false;
    }

    /// <summary>Validates each entry of a list section at <c>path[i]</c>; a null entry is an error of its own.</summary>
    public void Each<T>(IReadOnlyList<T?> items, string path, Action<T, string> validate) where T : class =>
        Each(items, path, (item, at, _) => validate(item, at));

    /// <inheritdoc cref="Each{T}(IReadOnlyList{T}, string, Action{T, string})"/>
    public void Each<T>(IReadOnlyList<T?> items, string path, Action<T, string, int> validate) where T : class
    {
        for (var i = 0; i < items.Count; i++)
        {
            var at = $"{path}[{i}]";
            if (items[i] is { } item) validate(item, at, i);
            else Error(at, "is null");
        }
    }
}
