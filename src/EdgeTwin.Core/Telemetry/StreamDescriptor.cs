namespace EdgeTwin.Core.Telemetry;

/// <summary>
/// Everything about a point that does not change from one reading to the next: the series (asset and
/// metric), where it came from, its tags, and for model outputs the model and its version. Points refer
/// to a descriptor instead of repeating these strings, so the hot path neither allocates nor copies them.
/// Immutable; equality covers every field.
/// </summary>
public class StreamDescriptor : IEquatable<StreamDescriptor>
{
    private static readonly KeyValuePair<string, string>[] NoTags = [];
    private readonly int _hash;

    // The source address, or for a derived one (SourcePrefix) its prefix: the address is then prefix, asset id, '/',
    // metric, built when asked for and written to the wire in parts. A million generated channels keep no
    // address string each (~80 bytes).
    private readonly string _source;
    private readonly bool _derived;

    // What only a model's output or an event has, in one object that a measurement's stream does not carry.
    private readonly Extra? _extra;

    private sealed record Extra(string? Model, string? ModelVersion, EventKind EventKind);

    public StreamDescriptor(
        string assetId,
        string metric,
        string source,
        IEnumerable<KeyValuePair<string, string>>? tags = null,
        string? model = null,
        string? modelVersion = null,
        EventKind eventKind = EventKind.None)
    {
        ArgumentNullException.ThrowIfNull(assetId);
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(source);
        Series = new SeriesKey(assetId, metric);
        _source = source;
        Tags = tags is SharedTagSet shared ? shared : Sorted(tags);
        if (model is not null || modelVersion is not null || eventKind != EventKind.None) _extra = new Extra(model, modelVersion, eventKind);
        _hash = Hash(source);
    }

    /// <summary>
    /// A stream whose source address is <paramref name="prefix"/>, <paramref name="assetId"/>, '/' and
    /// <paramref name="metric"/> (a simulator channel's <c>sim:{asset}/{channel}</c>), kept as its parts: equal to a
    /// stream built with the whole address, with the same hash.
    /// </summary>
    public static StreamDescriptor WithDerivedSource(string prefix, string assetId, string metric, IEnumerable<KeyValuePair<string, string>>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(assetId);
        ArgumentNullException.ThrowIfNull(metric);
        return new StreamDescriptor(new SeriesKey(assetId, metric), prefix, tags);
    }

    /// <summary>A copy of <paramref name="stream"/>'s fields, for a type that extends a stream (a mapping's target).</summary>
    protected StreamDescriptor(StreamDescriptor stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Series = stream.Series;
        _source = stream._source;
        _derived = stream._derived;
        Tags = stream.Tags;
        _extra = stream._extra;
        _hash = stream._hash;
    }

    private StreamDescriptor(SeriesKey series, string prefix, IEnumerable<KeyValuePair<string, string>>? tags)
    {
        Series = series;
        _source = prefix;
        _derived = true;
        Tags = tags is SharedTagSet shared ? shared : Sorted(tags);
        _hash = Hash(Source);
    }

    private int Hash(string source)
    {
        var hash = new HashCode();
        hash.Add(AssetId, StringComparer.Ordinal);
        hash.Add(Metric, StringComparer.Ordinal);
        hash.Add(source, StringComparer.Ordinal);
        foreach (var tag in Tags)
        {
            hash.Add(tag.Key, StringComparer.Ordinal);
            hash.Add(tag.Value, StringComparer.Ordinal);
        }
        hash.Add(Model, StringComparer.Ordinal);
        hash.Add(ModelVersion, StringComparer.Ordinal);
        hash.Add(EventKind);
        return hash.ToHashCode();
    }

    /// <summary>
    /// <paramref name="tags"/> sorted once, for many descriptors to hold as they are (a mapping table whose
    /// series share a unit would otherwise hold a copy per series).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ShareTags(IEnumerable<KeyValuePair<string, string>>? tags) => new SharedTagSet(Sorted(tags));

    private static KeyValuePair<string, string>[] Sorted(IEnumerable<KeyValuePair<string, string>>? tags)
    {
        if (tags is null) return NoTags;
        var sorted = tags.OrderBy(t => t.Key, StringComparer.Ordinal).ToArray();
        return sorted.Length == 0 ? NoTags : sorted;
    }

    private sealed class SharedTagSet(KeyValuePair<string, string>[] items) : IReadOnlyList<KeyValuePair<string, string>>
    {
        public KeyValuePair<string, string> this[int index] => items[index];

        public int Count => items.Length;

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)items).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => items.GetEnumerator();
    }

    public SeriesKey Series { get; }

    public string AssetId => Series.AssetId;

    public string Metric => Series.Metric;

    /// <summary>Where the reading came from, e.g. <c>opcua:nsu=urn:plc;s=Line1.Pressure</c> or <c>sim:pump-1/pressure</c>.</summary>
    public string Source => _derived ? string.Concat(_source, AssetId, "/", Metric) : _source;

    /// <summary>
    /// Set when <see cref="Source"/> is derived (<see cref="WithDerivedSource"/>): the address is this prefix, the asset
    /// id, '/' and the metric, and reading <see cref="Source"/> builds it. Null for a stream that holds its address.
    /// </summary>
    public string? SourcePrefix => _derived ? _source : null;

    /// <summary>
    /// The id a stream catalog gave this instance, a hint the catalog checks (its own entry for the id must be this
    /// instance), so that finding a stream's id costs no lookup. 0 when none was given.
    /// </summary>
    public int CatalogHint { get; set; }

    /// <summary>Tags sorted by key (ordinal), so equal sets compare and serialize the same.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; }

    public string? Model => _extra?.Model;

    public string? ModelVersion => _extra?.ModelVersion;

    public EventKind EventKind => _extra?.EventKind ?? EventKind.None;

    public bool Equals(StreamDescriptor? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || other._hash != _hash) return false;
        if (!string.Equals(AssetId, other.AssetId, StringComparison.Ordinal)
            || !string.Equals(Metric, other.Metric, StringComparison.Ordinal)
            || !SameSource(other)
            || !string.Equals(Model, other.Model, StringComparison.Ordinal)
            || !string.Equals(ModelVersion, other.ModelVersion, StringComparison.Ordinal)
            || EventKind != other.EventKind
            || Tags.Count != other.Tags.Count)
        {
            return false;
        }
        for (var i = 0; i < Tags.Count; i++)
        {
            if (!string.Equals(Tags[i].Key, other.Tags[i].Key, StringComparison.Ordinal)
                || !string.Equals(Tags[i].Value, other.Tags[i].Value, StringComparison.Ordinal))
            {
                return false;
            }
        }
        return true;
    }

    private bool SameSource(StreamDescriptor other) =>
        _derived == other._derived
            ? string.Equals(_source, other._source, StringComparison.Ordinal) // both whole, or both prefixes of one asset and metric
            : string.Equals(Source, other.Source, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as StreamDescriptor);

    public override int GetHashCode() => _hash;

    public override string ToString() => $"{Series} from {Source}";
}
