using EdgeTwin.Connectors.Simulator;

namespace EdgeTwin.Connectors.Tests.Simulator;

public sealed class ThermalMachineModelTests
{
    private static readonly double Start = SimulatorScenario.Epoch.UtcTicks / (double)TimeSpan.TicksPerSecond;

    [Theory]
    [InlineData("oven-1")]
    [InlineData("press-7")]
    [InlineData("sim-thermal-00001")]
    public void CoreTemperature_SolvesTheLumpedThermalModel(string id)
    {
        // C·dT/dt = P − k·(T − Ta), checked by central differences away from heater switching instants.
        var machine = new ThermalMachineModel(id, seed: 3);
        const double H = 0.5;
        var checkedPoints = 0;
        for (var t = Start; t < Start + (2 * 86400); t += 97.1)
        {
            if (machine.SegmentOf(t - H) != machine.SegmentOf(t + H)) continue;
            var slope = (machine.CoreTemperatureAt(t + H) - machine.CoreTemperatureAt(t - H)) / (2 * H);
            var core = machine.CoreTemperatureAt(t);
            var expected = (machine.HeaterPowerAt(t) - (machine.Conductance * (core - machine.AmbientTemperatureAt(t)))) / machine.Capacity;
            Assert.True(Math.Abs(slope - expected) < 1e-7, $"dT/dt is {slope}, the model says {expected} at {t - Start} s");
            checkedPoints++;
        }
        Assert.True(checkedPoints > 1500);
    }

    [Fact]
    public void CoreTemperature_ApproachesItsSteadyState_WithinEachHeaterSegment()
    {
        var machine = new ThermalMachineModel("oven-1", seed: 3);
        var segment = machine.SegmentOf(Start) + 1;
        for (var s = 0; s < 200; s++, segment++)
        {
            var from = machine.SegmentStartOf(segment) + 0.001;
            var to = machine.SegmentStartOf(segment + 1) - 0.001;
            Assert.Equal(segment, machine.SegmentOf(from));
            Assert.Equal(segment, machine.SegmentOf(to));

            var gapAtStart = machine.CoreTemperatureAt(from) - machine.SteadyCoreTemperatureAt(from);
            var gapAtEnd = machine.CoreTemperatureAt(to) - machine.SteadyCoreTemperatureAt(to);
            var decay = Math.Exp(-(to - from) / machine.TimeConstantSeconds);
            Assert.Equal(gapAtStart * decay, gapAtEnd, 1e-9 + (1e-9 * Math.Abs(gapAtStart)));
        }
    }

    [Fact]
    public void CoreTemperature_MatchesNumericalIntegration_AcrossHeaterSwitching()
    {
        // An independent solution: integrate C·dT/dt = P − k·(T − Ta) with RK4 for six hours from the model's
        // value, one heater segment at a time (P is constant inside one), and compare with the closed form.
        var machine = new ThermalMachineModel("oven-1", seed: 3);
        var segment = machine.SegmentOf(Start) + 1;
        var t = machine.SegmentStartOf(segment);
        var core = machine.CoreTemperatureAt(t + 1e-6);
        for (var s = 0; s < 180; s++, segment++)
        {
            var power = machine.HeaterPowerAt(machine.SegmentStartOf(segment) + 1);
            var end = machine.SegmentStartOf(segment + 1);
            const int Steps = 240;
            var h = (end - t) / Steps;
            for (var i = 0; i < Steps; i++, t += h)
            {
                var k1 = Slope(machine, power, t, core);
                var k2 = Slope(machine, power, t + (h / 2), core + (h / 2 * k1));
                var k3 = Slope(machine, power, t + (h / 2), core + (h / 2 * k2));
                var k4 = Slope(machine, power, t + h, core + (h * k3));
                core += h / 6 * (k1 + (2 * k2) + (2 * k3) + k4);
            }
            t = end;
            Assert.Equal(core, machine.CoreTemperatureAt(end + 1e-6), 1e-6);
        }

        static double Slope(ThermalMachineModel m, double power, double time, double temperature) =>
            (power - (m.Conductance * (temperature - m.AmbientTemperatureAt(time)))) / m.Capacity;
    }

    [Fact]
    public void Ambient_FollowsADailyCycle_PeakingMidAfternoonUtc()
    {
        var machine = new ThermalMachineModel("oven-1", seed: 3);
        var day = Start;
        var warmest = (Time: 0.0, Value: double.MinValue);
        var coldest = double.MaxValue;
        for (var t = day; t < day + 86400; t += 60)
        {
            var ambient = machine.AmbientTemperatureAt(t);
            if (ambient > warmest.Value) warmest = (t, ambient);
            coldest = Math.Min(coldest, ambient);
        }
        Assert.Equal(15 * 3600.0, warmest.Time - day, 60.0);
        Assert.InRange(warmest.Value - coldest, 6, 12);
    }

    [Fact]
    public void HeaterDuty_ChangesEveryTwoMinutes_AndIsSometimesOff()
    {
        var machine = new ThermalMachineModel("oven-1", seed: 3);
        var levels = new HashSet<double>();
        var off = 0;
        for (long k = 5_000_000; k < 5_000_300; k++)
        {
            var duty = machine.DutyOf(k);
            levels.Add(duty);
            if (duty == 0) off++;
            else Assert.InRange(duty, 0.2, 1.0);
        }
        Assert.True(levels.Count > 10);
        Assert.InRange(off, 15, 80);
        // The heater's power only changes at segment boundaries.
        for (var t = Start; t < Start + 3600; t += 1)
        {
            if (machine.SegmentOf(t) == machine.SegmentOf(t + 1)) Assert.Equal(machine.HeaterPowerAt(t), machine.HeaterPowerAt(t + 1));
        }
    }

    [Fact]
    public void CoreTemperature_IsContinuousAcrossHeaterSwitching()
    {
        // The value at a segment's start is rebuilt from a window of history, not carried over; it must still meet
        // the end of the previous segment.
        var machine = new ThermalMachineModel("oven-1", seed: 3);
        var previous = machine.CoreTemperatureAt(Start);
        for (var t = Start + 0.25; t < Start + (6 * 3600); t += 0.25)
        {
            var core = machine.CoreTemperatureAt(t);
            // |dT/dt| ≤ (P_max + k·200 K)/C, far below 1 K/s; a rebuilt start that missed would show as a jump.
            Assert.True(Math.Abs(core - previous) < 0.25 * 0.2, $"core temperature jumped by {core - previous} K at {t - Start} s");
            previous = core;
        }
    }

    [Fact]
    public void Value_IsTheSame_WhateverWasEvaluatedBefore()
    {
        var wandered = new ThermalMachineModel("oven-1", seed: 9);
        for (var t = Start - 1e6; t < Start + 1e6; t += 12_345.6) _ = wandered.Value(ThermalMachineModel.CoreTemperature, t, 0);

        for (var t = Start; t < Start + 7200; t += 13.7)
        {
            var fresh = new ThermalMachineModel("oven-1", seed: 9);
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(fresh.Value(c, t, -0.5)), BitConverter.DoubleToInt64Bits(wandered.Value(c, t, -0.5)));
            }
        }
    }
}
