namespace EdgeTwin.Connectors.Simulator;

/// <summary>
/// The piecewise-constant input of a first-order lag: the level it heads for during each segment.
/// Implemented by structs so <see cref="FirstOrderLag.StartOf{T}"/> is specialised and inlined per model.
/// </summary>
internal interface ISegmentTargets
{
    double TargetAt(long segment);
}
