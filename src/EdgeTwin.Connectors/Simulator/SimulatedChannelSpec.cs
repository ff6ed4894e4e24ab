namespace EdgeTwin.Connectors.Simulator;

/// <summary>One channel of a simulated asset: its name (also the metric it maps to) and its engineering unit.</summary>
internal readonly record struct SimulatedChannelSpec(string Name, string Unit);
