using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Assets;

/// <summary>Where a source address lands: the stream (asset, metric, source, tags) and its linear scaling.</summary>
public sealed class MappingTarget
{
    public MappingTarget(StreamDescriptor stream, double scale, double offset, string? unit)
    {
        Stream = stream;
        Scale = scale;
        Offset = offset;
        Unit = unit;
    }

    public StreamDescriptor Stream { get; }

    public double Scale { get; }

    public double Offset { get; }

    public string? Unit { get; }

    public bool IsIdentity => Scale == 1 && Offset == 0;

    /// <summary>The pipeline thread's cache of this mapping's series state, valid for <see cref="CachedIndex"/> only.</summary>
    public SeriesState? CachedState { get; set; }

    /// <summary>The dedup index <see cref="CachedState"/> belongs to; a reopened queue brings a new one.</summary>
    public DedupIndex? CachedIndex { get; set; }
}
