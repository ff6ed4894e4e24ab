namespace EdgeTwin.Connectors.Simulator;

/// <summary>One emitted channel: its address (built once, reused by every reading) and the asset that computes it.</summary>
internal readonly record struct SimulatorChannel(string Address, SimulatedAsset Asset, int Channel);
