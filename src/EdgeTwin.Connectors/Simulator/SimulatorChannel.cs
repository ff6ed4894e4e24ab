using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Simulator;

/// <summary>
/// One emitted channel: where its readings go — the registry's mapping, or without a registry its address (built
/// once, reused by every reading) — and the asset that computes it. One field holds either, so a million channels
/// cost 24 bytes each.
/// </summary>
internal readonly struct SimulatorChannel
{
    private readonly object _destination;

    public SimulatorChannel(MappingTarget target, SimulatedAsset asset, int channel) : this((object)target, asset, channel)
    {
    }

    public SimulatorChannel(string address, SimulatedAsset asset, int channel) : this((object)address, asset, channel)
    {
    }

    private SimulatorChannel(object destination, SimulatedAsset asset, int channel)
    {
        _destination = destination;
        Asset = asset;
        Channel = channel;
    }

    public SimulatedAsset Asset { get; }

    public int Channel { get; }

    /// <summary>The reading of this channel at <paramref name="ticks"/>.</summary>
    public Reading Reading(long ticks, double value) => _destination is MappingTarget target
        ? Core.Telemetry.Reading.ForTarget(target, ticks, PointValue.FromNumber(value))
        : new Reading((string)_destination, ticks, PointValue.FromNumber(value));
}
