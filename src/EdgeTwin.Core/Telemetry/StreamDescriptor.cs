namespace EdgeTwin.Core.Telemetry;

/// <summary>
/// Everything about a point that does not change from one reading to the next: the series (asset and
/// metric), where it came from, its tags, and for model outputs the model and its version. Points refer
/// to a descriptor instead of repeating these strings, so the hot path neither allocates nor copies them.
/// Immutable; equality covers every field.
/// </summary>
public sealed class StreamDescriptor : IEquatable<StreamDescriptor>
{
    private static readonly KeyValuePair<string, string>[] NoTags = [];
    private readonly int _hash;

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
        Source = source;
        Tags = tags is SharedTagSet shared ? shared : Sorted(tags);
        Model = model;
        ModelVersion = modelVersion;
        EventKind = eventKind;

        var hash = new HashCode();
        hash.Add(assetId, StringComparer.Ordinal);
        hash.Add(metric, StringComparer.Ordinal);
        hash.Add(source, StringComparer.Ordinal);
        foreach (var tag in Tags)
        {
            hash.Add(tag.Key, StringComparer.Ordinal);
            hash.Add(tag.Value, StringComparer.Ordinal);
        }
        hash.Add(model, StringComparer.Ordinal);
        hash.Add(modelVersion, StringComparer.Ordinal);
        hash.Add(eventKind);
        _hash = hash.ToHashCode();
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
    public string Source { get; }

    /// <summary>Tags sorted by key (ordinal), so equal sets compare and serialize the same.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; }

    public string? Model { get; }

    public string? ModelVersion { get; }

    public EventKind EventKind { get; }

    public bool Equals(StreamDescriptor? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || other._hash != _hash) return false;
        if (!string.Equals(AssetId, other.AssetId, StringComparison.Ordinal)
            || !string.Equals(Metric, other.Metric, StringComparison.Ordinal)
            || !string.Equals(Source, other.Source, StringComparison.Ordinal)
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

    public override bool Equals(object? obj) => Equals(obj as StreamDescriptor);

    public override int GetHashCode() => _hash;

    public override string ToString() => $"{Series} from {Source}";
}
