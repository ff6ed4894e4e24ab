namespace EdgeTwin.Connectors.Simulator;

/// <summary>
/// A heated machine as one lumped thermal mass, C·dT/dt = P − k·(T − Ta), in closed form: the heater's duty cycle
/// changes every two minutes and the ambient follows a daily sinusoid. Being linear, T is the periodic response to
/// the ambient plus the first-order response to the piecewise-constant heater; nothing is integrated step by step.
/// </summary>
internal sealed class ThermalMachineModel : SimulatedAsset
{
    public const string ModelName = "thermal";
    public const string ModelVersion = "sim-thermal-v1";

    public const int HeaterPower = 0;
    public const int CoreTemperature = 1;
    public const int AmbientTemperature = 2;

    private static readonly SimulatedChannelSpec[] ChannelTable =
    [
        new("heater_power", "kW"),
        new("core_temp", "°C"),
        new("ambient_temp", "°C"),
    ];

    /// <summary>How long a duty-cycle level holds.</summary>
    public const double SegmentSeconds = 120;

    private const double OffProbability = 0.15;
    private const double Omega = 2 * Math.PI / 86400;

    /// <summary>Phase that puts the ambient maximum at 15:00 UTC: sin(ω·54000 s − φ) = 1.</summary>
    private const double PeakPhase = (Omega * 54000) - (Math.PI / 2);

    private readonly ulong _dutyKey;
    private readonly double _ratedPower;
    private readonly double _conductance;
    private readonly double _tau;
    private readonly double _capacity;
    private readonly double _ambientMean;
    private readonly double _ambientAmplitude;
    private readonly double _responseGain;
    private readonly double _responseLag;
    private readonly double _phase;
    private readonly double _decayPerSegment;
    private readonly int _window;

    private long _segment = long.MinValue;
    private double _segmentStart;
    private double _power;
    private double _heatTarget;
    private double _heatStart;
    private double _seconds = double.NaN;
    private double _ambient;
    private double _core;

    public ThermalMachineModel(string id, ulong seed)
        : base(id, seed)
    {
        _dutyKey = SplitMix64.Mix(Key ^ 0xD0717);
        _ratedPower = Parameter(0, 4, 16);
        // Steady rise of the core over ambient at full power: a small oven or a heated press platen.
        var riseAtRatedPower = Parameter(1, 120, 200);
        _conductance = _ratedPower / riseAtRatedPower;
        _tau = Parameter(2, 900, 1500);
        _capacity = _conductance * _tau;
        _ambientMean = Parameter(3, 16, 24);
        _ambientAmplitude = Parameter(4, 3, 6);
        // Frequency response of the lag at one cycle per day: gain 1/√(1+(ωτ)²), phase lag atan(ωτ).
        _responseGain = 1 / Math.Sqrt(1 + (Omega * _tau * Omega * _tau));
        _responseLag = Math.Atan(Omega * _tau);
        _phase = Parameter(5, 0, SegmentSeconds);
        _decayPerSegment = Math.Exp(-SegmentSeconds / _tau);
        _window = FirstOrderLag.WindowFor(_tau, SegmentSeconds);
    }

    public static ReadOnlySpan<SimulatedChannelSpec> ChannelSpecs => ChannelTable;

    public override ReadOnlySpan<SimulatedChannelSpec> Channels => ChannelTable;

    public double RatedPower => _ratedPower;

    /// <summary>k, in kW/K.</summary>
    public double Conductance => _conductance;

    /// <summary>C, in kJ/K.</summary>
    public double Capacity => _capacity;

    public double TimeConstantSeconds => _tau;

    public override double Value(int channel, double seconds, double noise)
    {
        Evaluate(seconds);
        return channel switch
        {
            // A power meter on a switched heater reads zero when it is off, and small relative error otherwise.
            HeaterPower => _power * (1 + (0.003 * noise)),
            CoreTemperature => _core + (0.05 * noise),
            AmbientTemperature => _ambient + (0.1 * noise),
            _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "no such thermal machine channel"),
        };
    }

    public double HeaterPowerAt(double seconds)
    {
        Evaluate(seconds);
        return _power;
    }

    public double CoreTemperatureAt(double seconds)
    {
        Evaluate(seconds);
        return _core;
    }

    public double AmbientTemperatureAt(double seconds)
    {
        Evaluate(seconds);
        return _ambient;
    }

    /// <summary>Where the core would settle if the heater held its current power: the ambient response plus P/k.</summary>
    public double SteadyCoreTemperatureAt(double seconds)
    {
        Evaluate(seconds);
        return AmbientResponse(seconds) + _heatTarget;
    }

    public long SegmentOf(double seconds) => (long)Math.Floor((seconds - _phase) / SegmentSeconds);

    /// <summary>When <paramref name="segment"/> begins; each asset has its own phase so a fleet does not switch in lockstep.</summary>
    public double SegmentStartOf(long segment) => _phase + (segment * SegmentSeconds);

    /// <summary>The duty cycle of <paramref name="segment"/>: off, or 20–100 % in 5 % steps.</summary>
    public double DutyOf(long segment)
    {
        var u = SplitMix64.Unit(SplitMix64.At(_dutyKey, segment));
        if (u < OffProbability) return 0;
        var duty = 0.2 + (0.8 * (u - OffProbability) / (1 - OffProbability));
        return Math.Round(duty * 20) / 20;
    }

    private double HeatTargetOf(long segment) => _ratedPower * DutyOf(segment) / _conductance;

    /// <summary>y(t): the core's periodic steady response to the ambient sinusoid alone.</summary>
    private double AmbientResponse(double seconds) =>
        _ambientMean + (_ambientAmplitude * _responseGain * Math.Sin((Omega * seconds) - PeakPhase - _responseLag));

    private void Evaluate(double seconds)
    {
        if (seconds == _seconds) return;
        var segment = SegmentOf(seconds);
        if (segment != _segment)
        {
            _segment = segment;
            _segmentStart = SegmentStartOf(segment);
            _power = _ratedPower * DutyOf(segment);
            _heatTarget = _power / _conductance;
            var targets = new HeatTargets(this);
            _heatStart = FirstOrderLag.StartOf(ref targets, segment, _decayPerSegment, _window);
        }
        var elapsed = Math.Max(0, seconds - _segmentStart);
        _ambient = _ambientMean + (_ambientAmplitude * Math.Sin((Omega * seconds) - PeakPhase));
        _core = AmbientResponse(seconds) + FirstOrderLag.Response(_heatStart, _heatTarget, Math.Exp(-elapsed / _tau));
        _seconds = seconds;
    }

    private readonly struct HeatTargets(ThermalMachineModel machine) : ISegmentTargets
    {
        public double TargetAt(long segment) => machine.HeatTargetOf(segment);
    }
}
