using EdgeTwin.Connectors.Simulator;

namespace EdgeTwin.Connectors.Tests.Simulator;

public sealed class PumpModelTests
{
    private static readonly double Start = SimulatorScenario.Epoch.UtcTicks / (double)TimeSpan.TicksPerSecond;

    [Theory]
    [InlineData("pump-1")]
    [InlineData("pump-2")]
    [InlineData("sim-pump-00042")]
    public void FlowPressureAndPower_FollowTheAffinityLaws(string id)
    {
        var pump = new PumpModel(id, seed: 7);
        var checkedRunning = 0;
        for (var t = Start; t < Start + (6 * 3600); t += 7.3)
        {
            var r = pump.SpeedAt(t) / pump.RatedSpeed;
            var flow = pump.Value(PumpModel.Flow, t, noise: 0);
            var pressure = pump.Value(PumpModel.Pressure, t, noise: 0);
            var power = pump.Value(PumpModel.Power, t, noise: 0);
            if (r == 0)
            {
                Assert.Equal(0, flow);
                Assert.Equal(0, pressure);
                Assert.Equal(0, power);
                continue;
            }
            checkedRunning++;
            var ratedFlow = flow / r;
            var ratedPressure = pressure / (r * r);
            var ratedPower = power / (r * r * r);
            Assert.Equal(pump.RatedFlow, ratedFlow, 1e-9 * ratedFlow);
            Assert.Equal(pump.RatedPressure, ratedPressure, 1e-9 * ratedPressure);
            Assert.Equal(pump.RatedPower, ratedPower, 1e-9 * ratedPower);
        }
        Assert.True(checkedRunning > 2000);
    }

    [Fact]
    public void Pressure_RisesWithSpeed()
    {
        var pump = new PumpModel("pump-1", seed: 7);
        var samples = new List<(double Speed, double Pressure)>();
        for (var t = Start; t < Start + (24 * 3600); t += 11)
        {
            samples.Add((pump.SpeedAt(t), pump.Value(PumpModel.Pressure, t, noise: 0)));
        }
        samples.Sort((a, b) => a.Speed.CompareTo(b.Speed));

        for (var i = 1; i < samples.Count; i++)
        {
            if (samples[i].Speed > samples[i - 1].Speed) Assert.True(samples[i].Pressure > samples[i - 1].Pressure);
        }
        Assert.True(samples[^1].Speed > 2 * samples.First(s => s.Speed > 0).Speed, "the run should cover a wide speed range");
    }

    [Fact]
    public void Speed_StepsBetweenSetpoints_EveryFewMinutes_ByARamp()
    {
        var pump = new PumpModel("pump-1", seed: 7);
        var distinct = new HashSet<double>();
        var stops = 0;
        for (long k = 1_000_000; k < 1_000_200; k++)
        {
            var setpoint = pump.SetpointOf(k);
            distinct.Add(setpoint);
            if (setpoint == 0) stops++;
            else Assert.InRange(setpoint, 0.5 * pump.RatedSpeed, pump.RatedSpeed);
        }
        Assert.True(distinct.Count > 20);
        Assert.InRange(stops, 1, 40);

        // Within a segment the speed ramps at most rated speed per 10 s and then holds its setpoint.
        var previous = pump.SpeedAt(Start);
        for (var t = Start + 0.5; t < Start + 3600; t += 0.5)
        {
            var speed = pump.SpeedAt(t);
            Assert.True(Math.Abs(speed - previous) <= (pump.RatedSpeed / 10 * 0.5) + 1e-9, $"speed jumped from {previous} to {speed} at {t - Start} s");
            previous = speed;
        }
        for (var k = pump.SegmentOf(Start); k < pump.SegmentOf(Start) + 20; k++)
        {
            Assert.Equal(pump.SetpointOf(k), pump.SpeedAt(pump.SegmentStartOf(k + 1) - 1));
        }
    }

    [Fact]
    public void Temperature_LagsTowardAPowerDependentLevel_AndIsContinuous()
    {
        var pump = new PumpModel("pump-3", seed: 7);
        var previous = pump.TemperatureAt(Start);
        for (var t = Start + 1; t < Start + (12 * 3600); t += 1)
        {
            var before = Math.Abs(pump.TemperatureAt(t - 1) - pump.TemperatureTargetAt(t));
            var now = Math.Abs(pump.TemperatureAt(t) - pump.TemperatureTargetAt(t));
            if (pump.SegmentOf(t - 1) == pump.SegmentOf(t)) Assert.True(now <= before + 1e-12, $"temperature moved away from its target at {t - Start} s");
            // A first-order lag with τ ≥ 8 min cannot move more than a few hundredths of a kelvin per second.
            var temperature = pump.TemperatureAt(t);
            Assert.True(Math.Abs(temperature - previous) < 0.1, $"temperature jumped by {temperature - previous} K at {t - Start} s");
            previous = temperature;
        }
    }

    [Fact]
    public void Value_IsTheSame_WhateverWasEvaluatedBefore()
    {
        // The per-segment cache must be invisible: a fresh model and one that has wandered elsewhere agree bit for bit.
        var wandered = new PumpModel("pump-1", seed: 9);
        for (var t = Start - 1e6; t < Start + 1e6; t += 12_345.6) _ = wandered.Value(PumpModel.Temperature, t, 0);

        for (var t = Start; t < Start + 7200; t += 13.7)
        {
            var fresh = new PumpModel("pump-1", seed: 9);
            for (var c = 0; c < 6; c++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(fresh.Value(c, t, 0.25)), BitConverter.DoubleToInt64Bits(wandered.Value(c, t, 0.25)));
            }
        }
    }
}
