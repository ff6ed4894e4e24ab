using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Assets;

/// <summary>A mapping's linear scaling and unit; the registry shares one instance among the mappings that have the same.</summary>
public sealed record Scaling(double Scale, double Offset, string? Unit)
{
    public bool IsIdentity { get; } = Scale == 1 && Offset == 0;
}

/// <summary>Where a source address lands: the stream (asset, metric, source, tags) and its linear scaling.</summary>
public sealed class MappingTarget
{
    private readonly Scaling _scaling;

    public MappingTarget(StreamDescriptor stream, double scale, double offset, string? unit)
        : this(stream, new Scaling(scale, offset, unit))
    {
    }

    public MappingTarget(StreamDescriptor stream, Scaling scaling)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(scaling);
        Stream = stream;
        _scaling = scaling;
    }

    public StreamDescriptor Stream { get; }

    public double Scale => _scaling.Scale;

    public double Offset => _scaling.Offset;

    public string? Unit => _scaling.Unit;

    public bool IsIdentity => _scaling.IsIdentity;

    /// <summary>The pipeline thread's cache of this mapping's series state, valid for <see cref="CachedIndex"/> only.</summary>
    public SeriesState? CachedState { get; set; }

    /// <summary>The dedup index <see cref="CachedState"/> belongs to; a reopened queue brings a new one.</summary>
    public DedupIndex? CachedIndex { get; set; }
}
