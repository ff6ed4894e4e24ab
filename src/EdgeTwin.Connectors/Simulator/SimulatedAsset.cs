namespace EdgeTwin.Connectors.Simulator;

/// <summary>
/// A simulated asset: a deterministic function from (time, noise draw) to channel values. Its parameters
/// come from the seed and the asset id, not from its position in the config, so adding an asset leaves the
/// others' behaviour unchanged. Implementations cache per-time work, but the cache never changes a value.
/// Not thread-safe: one reading generator drives it at a time.
/// </summary>
internal abstract class SimulatedAsset
{
    protected SimulatedAsset(string id, ulong seed)
    {
        Id = id;
        Key = SplitMix64.Mix(SplitMix64.Mix(seed) ^ SplitMix64.Hash(id));
    }

    public string Id { get; }

    /// <summary>The asset's own random stream key (seed × id).</summary>
    protected ulong Key { get; }

    public abstract ReadOnlySpan<SimulatedChannelSpec> Channels { get; }

    /// <summary>
    /// The value of <paramref name="channel"/> at <paramref name="seconds"/> (UTC seconds since 0001-01-01),
    /// with <paramref name="noise"/> a standard normal draw for this reading.
    /// </summary>
    public abstract double Value(int channel, double seconds, double noise);

    /// <summary>Parameter number <paramref name="index"/> of this asset, uniform in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    protected double Parameter(int index, double min, double max) =>
        min + ((max - min) * SplitMix64.Unit(SplitMix64.At(Key, index)));
}
