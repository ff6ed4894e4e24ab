namespace EdgeTwin.Connectors.Simulator;

/// <summary>
/// A variable-speed centrifugal pump. The drive steps its speed setpoint every few minutes and ramps to it;
/// flow, pressure and power follow the affinity laws (Q ∝ n, p ∝ n², P ∝ n³); vibration grows with speed;
/// the casing temperature lags, first order, behind a level set by the power drawn.
/// </summary>
internal sealed class PumpModel : SimulatedAsset
{
    public const string ModelName = "pump";
    public const string ModelVersion = "sim-pump-v1";

    public const int Speed = 0;
    public const int Flow = 1;
    public const int Pressure = 2;
    public const int Power = 3;
    public const int Vibration = 4;
    public const int Temperature = 5;

    private static readonly SimulatedChannelSpec[] ChannelTable =
    [
        new("speed", "rpm"),
        new("flow", "m3/h"),
        new("pressure", "bar"),
        new("power", "kW"),
        new("vibration", "mm/s"),
        new("temperature", "°C"),
    ];

    /// <summary>How long a setpoint holds: "every few minutes" in a plant that follows demand.</summary>
    public const double SegmentSeconds = 180;

    /// <summary>Share of setpoint segments in which the pump is stopped, so the twin sees starts and stops.</summary>
    private const double StopProbability = 0.08;

    /// <summary>A drive ramps from standstill to rated speed in this time; much shorter than a segment, so a ramp always ends inside its segment.</summary>
    private const double RampSecondsFullScale = 10;

    private const double StandstillVibration = 0.05;
    private const double SpeedNoiseRpm = 1.5;

    private readonly ulong _setpointKey;
    private readonly double _ratedSpeed;
    private readonly double _ratedFlow;
    private readonly double _ratedPressure;
    private readonly double _ratedPower;
    private readonly double _vibrationLinear;
    private readonly double _vibrationQuadratic;
    private readonly double _ambient;
    private readonly double _temperatureRise;
    private readonly double _tau;
    private readonly double _phase;
    private readonly double _rampRate;
    private readonly double _decayPerSegment;
    private readonly int _window;

    // Cache of the current segment and the last evaluated time; see SimulatedAsset on why it is transparent.
    private long _segment = long.MinValue;
    private double _segmentStart;
    private double _fromSpeed;
    private double _toSpeed;
    private double _temperatureStart;
    private double _temperatureTarget;
    private double _seconds = double.NaN;
    private double _speed;
    private double _temperature;

    public PumpModel(string id, ulong seed)
        : base(id, seed)
    {
        _setpointKey = SplitMix64.Mix(Key ^ 0x5E7901);
        // Two-pole or four-pole motor on a 50 Hz supply.
        _ratedSpeed = Parameter(0, 0, 1) < 0.3 ? 2960 : 1480;
        _ratedFlow = Parameter(1, 40, 160);
        _ratedPressure = Parameter(2, 3, 8);
        var efficiency = Parameter(3, 0.62, 0.78);
        // Shaft power = hydraulic power / efficiency: Q [m³/s] × Δp [Pa] / η, in kW.
        _ratedPower = _ratedFlow / 3600 * _ratedPressure * 1e5 / efficiency / 1000;
        _vibrationLinear = Parameter(4, 0.3, 0.7);
        _vibrationQuadratic = Parameter(5, 0.8, 2.2);
        _ambient = Parameter(6, 18, 28);
        _temperatureRise = Parameter(7, 25, 45);
        _tau = Parameter(8, 480, 900);
        _phase = Parameter(9, 0, SegmentSeconds);
        _rampRate = _ratedSpeed / RampSecondsFullScale;
        _decayPerSegment = Math.Exp(-SegmentSeconds / _tau);
        _window = FirstOrderLag.WindowFor(_tau, SegmentSeconds);
    }

    public static ReadOnlySpan<SimulatedChannelSpec> ChannelSpecs => ChannelTable;

    public override ReadOnlySpan<SimulatedChannelSpec> Channels => ChannelTable;

    public double RatedSpeed => _ratedSpeed;

    public double RatedFlow => _ratedFlow;

    public double RatedPressure => _ratedPressure;

    public double RatedPower => _ratedPower;

    public double TimeConstantSeconds => _tau;

    public override double Value(int channel, double seconds, double noise)
    {
        Evaluate(seconds);
        var r = _speed / _ratedSpeed;
        // Noise is relative on the flow-like channels so a stopped pump reads exactly zero, as real transmitters
        // with a low-flow cut-off do, and no value goes negative.
        return channel switch
        {
            Speed => _speed > 0 ? Math.Max(0, _speed + (noise * SpeedNoiseRpm)) : 0,
            Flow => _ratedFlow * r * (1 + (0.01 * noise)),
            Pressure => _ratedPressure * r * r * (1 + (0.008 * noise)),
            Power => _ratedPower * r * r * r * (1 + (0.01 * noise)),
            Vibration => (_speed > 0 ? StandstillVibration + (_vibrationLinear * r) + (_vibrationQuadratic * r * r) : StandstillVibration) * (1 + (0.08 * noise)),
            Temperature => _temperature + (0.05 * noise),
            _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "no such pump channel"),
        };
    }

    /// <summary>The noise-free shaft speed at <paramref name="seconds"/>.</summary>
    public double SpeedAt(double seconds)
    {
        Evaluate(seconds);
        return _speed;
    }

    /// <summary>The noise-free casing temperature at <paramref name="seconds"/>.</summary>
    public double TemperatureAt(double seconds)
    {
        Evaluate(seconds);
        return _temperature;
    }

    /// <summary>The level the temperature heads for at <paramref name="seconds"/>.</summary>
    public double TemperatureTargetAt(double seconds)
    {
        Evaluate(seconds);
        return _temperatureTarget;
    }

    public long SegmentOf(double seconds) => (long)Math.Floor((seconds - _phase) / SegmentSeconds);

    /// <summary>When <paramref name="segment"/> begins; each asset has its own phase so a fleet does not switch in lockstep.</summary>
    public double SegmentStartOf(long segment) => _phase + (segment * SegmentSeconds);

    /// <summary>The speed setpoint of <paramref name="segment"/>: stopped, or 50–100 % of rated speed in 10 rpm steps.</summary>
    public double SetpointOf(long segment)
    {
        var u = SplitMix64.Unit(SplitMix64.At(_setpointKey, segment));
        if (u < StopProbability) return 0;
        var fraction = 0.5 + (0.5 * (u - StopProbability) / (1 - StopProbability));
        return Math.Round(fraction * _ratedSpeed / 10) * 10;
    }

    /// <summary>
    /// Losses, hence heating, scale with power drawn (∝ n³). The target uses the setpoint and ignores the
    /// ramp: a ramp of seconds is invisible to a lag of ten minutes, and it keeps the solution closed form.
    /// </summary>
    private double TemperatureTargetOf(long segment)
    {
        var r = SetpointOf(segment) / _ratedSpeed;
        return _ambient + (_temperatureRise * r * r * r);
    }

    private void Evaluate(double seconds)
    {
        if (seconds == _seconds) return;
        var segment = SegmentOf(seconds);
        if (segment != _segment)
        {
            _segment = segment;
            _segmentStart = SegmentStartOf(segment);
            _fromSpeed = SetpointOf(segment - 1);
            _toSpeed = SetpointOf(segment);
            _temperatureTarget = TemperatureTargetOf(segment);
            var targets = new TemperatureTargets(this);
            _temperatureStart = FirstOrderLag.StartOf(ref targets, segment, _decayPerSegment, _window);
        }
        var elapsed = Math.Max(0, seconds - _segmentStart);
        var step = _toSpeed - _fromSpeed;
        _speed = elapsed * _rampRate >= Math.Abs(step) ? _toSpeed : _fromSpeed + Math.CopySign(elapsed * _rampRate, step);
        _temperature = FirstOrderLag.Response(_temperatureStart, _temperatureTarget, Math.Exp(-elapsed / _tau));
        _seconds = seconds;
    }

    private readonly struct TemperatureTargets(PumpModel pump) : ISegmentTargets
    {
        public double TargetAt(long segment) => pump.TemperatureTargetOf(segment);
    }
}
