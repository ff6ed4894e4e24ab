using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Tests.Pipeline;

public class NormalizerTests
{
    private const string PressureAddress = "opcua:nsu=urn:plc;s=Pump1.Pressure";
    private const string TemperatureAddress = "opcua:nsu=urn:plc;s=Pump1.Temperature";
    private const string RunningAddress = "opcua:nsu=urn:plc;s=Pump1.Running";
    private const string StateAddress = "opcua:nsu=urn:plc;s=Pump1.State";
    private const string HealthAddress = "mqtt:plant/pump-1/health";

    private static readonly long Now = new DateTime(2026, 11, 24, 3, 0, 0, DateTimeKind.Utc).Ticks;

    private readonly Normalizer _normalizer = Create(maxPastSeconds: 3600, maxFutureSeconds: 60);

    [Fact]
    public void TryNormalize_MappedAddress_LandsOnTheMappedStream()
    {
        var ok = _normalizer.TryNormalize(new Reading(PressureAddress, Now, PointValue.FromNumber(1234)), Now, out var point, out var target, out _, out var detail);

        Assert.True(ok, detail);
        Assert.NotNull(target);
        Assert.Same(target.Stream, point.Stream);
        Assert.Equal(new SeriesKey("pump-1", "pressure"), point.Series);
        Assert.Equal(PressureAddress, point.Stream.Source);
        Assert.Equal([new("site", "north"), new("unit", "bar")], point.Stream.Tags);
        Assert.Equal(Now, point.TimestampTicks);
        Assert.False(point.Replayed);
        Assert.Equal(0, point.EndTicks);
    }

    [Fact]
    public void TryNormalize_ModelOutputMapping_CarriesTheModelAndVersion_AndAMeasurementNone()
    {
        Assert.True(_normalizer.TryNormalize(new Reading(HealthAddress, Now, PointValue.FromNumber(0.93)), Now, out var output, out _, out _, out var detail), detail);
        Assert.Equal(("pump-health", "2.1"), (output.Stream.Model, output.Stream.ModelVersion));
        Assert.True(_normalizer.TryNormalize(new Reading(PressureAddress, Now, PointValue.FromNumber(1)), Now, out var measured, out _, out _, out detail), detail);
        Assert.Equal((null, null), (measured.Stream.Model, measured.Stream.ModelVersion));
    }

    [Fact]
    public void TryNormalize_ScaledMapping_AppliesRawTimesScalePlusOffset()
    {
        var ok = _normalizer.TryNormalize(new Reading(PressureAddress, Now, PointValue.FromNumber(1234)), Now, out var point, out _, out _, out var detail);

        Assert.True(ok, detail);
        Assert.Equal(1234 * 0.01 - 1.5, point.Value.Number);
    }

    [Fact]
    public void TryNormalize_OffsetOnlyMapping_AppliesTheOffset()
    {
        var ok = _normalizer.TryNormalize(new Reading(TemperatureAddress, Now, PointValue.FromNumber(20)), Now, out var point, out _, out _, out var detail);

        Assert.True(ok, detail);
        Assert.Equal(293.15, point.Value.Number);
    }

    [Fact]
    public void TryNormalize_IdentityMapping_LeavesTheNumberBitForBit()
    {
        var ok = _normalizer.TryNormalize(new Reading("sim:pump-1/flow", Now, PointValue.FromNumber(-0.0)), Now, out var point, out _, out _, out var detail);

        Assert.True(ok, detail);
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(point.Value.Number));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TryNormalize_BooleanOnAScaledMapping_IsNotScaled(bool value)
    {
        var ok = _normalizer.TryNormalize(new Reading(PressureAddress, Now, PointValue.FromBoolean(value)), Now, out var point, out _, out _, out var detail);

        Assert.True(ok, detail);
        Assert.Equal(PointValue.FromBoolean(value), point.Value);
    }

    [Fact]
    public void TryNormalize_StringOnAScaledMapping_IsNotScaled()
    {
        var ok = _normalizer.TryNormalize(new Reading(PressureAddress, Now, PointValue.FromString("12")), Now, out var point, out _, out _, out var detail);

        Assert.True(ok, detail);
        Assert.Equal(PointValue.FromString("12"), point.Value);
    }

    [Theory]
    [InlineData(0x0000_0000u, Quality.Good)]
    [InlineData(0x0096_0000u, Quality.Good)]
    [InlineData(0x4000_0000u, Quality.Uncertain)]
    [InlineData(0x408F_0000u, Quality.Uncertain)]
    [InlineData(0x8000_0000u, Quality.Bad)]
    [InlineData(0x8034_0000u, Quality.Bad)]
    [InlineData(0xC000_0000u, Quality.Bad)]
    [InlineData(0xFFFF_FFFFu, Quality.Bad)]
    public void TryNormalize_NoExplicitQuality_TakesItFromTheStatusCodesTopTwoBits(uint status, Quality expected)
    {
        var ok = _normalizer.TryNormalize(new Reading(RunningAddress, Now, PointValue.FromBoolean(true), StatusCode: status), Now, out var point, out _, out _, out var detail);

        Assert.True(ok, detail);
        Assert.Equal(expected, point.Quality);
        Assert.Equal(status, point.StatusCode);
    }

    [Theory]
    [InlineData(Quality.Good, 0x8034_0000u)]
    [InlineData(Quality.Bad, 0u)]
    [InlineData(Quality.Uncertain, 0x8000_0000u)]
    public void TryNormalize_ExplicitQuality_WinsOverTheStatusCodeWhichIsKeptRaw(Quality explicitQuality, uint status)
    {
        var reading = new Reading(RunningAddress, Now, PointValue.FromBoolean(true), StatusCode: status, Quality: explicitQuality);

        var ok = _normalizer.TryNormalize(reading, Now, out var point, out _, out _, out var detail);

        Assert.True(ok, detail);
        Assert.Equal(explicitQuality, point.Quality);
        Assert.Equal(status, point.StatusCode);
    }

    [Fact]
    public void TryNormalize_ReadingNamingARegisteredAssetAndMetric_GetsAStreamOfItsOwn()
    {
        var reading = new Reading("mqtt:plant/pump-1/vibration", Now, PointValue.FromNumber(0.3), AssetId: "pump-1", Metric: "vibration");

        var ok = _normalizer.TryNormalize(reading, Now, out var point, out var target, out _, out var detail);
        _normalizer.TryNormalize(reading, Now + 1, out var second, out _, out _, out _);

        Assert.True(ok, detail);
        Assert.Equal(new SeriesKey("pump-1", "vibration"), point.Series);
        Assert.Equal("mqtt:plant/pump-1/vibration", point.Stream.Source);
        Assert.True(target!.IsIdentity);
        Assert.Same(point.Stream, second.Stream);
    }

    [Fact]
    public void TryNormalize_MappedAddress_WinsOverTheNamesTheReadingCarries()
    {
        var reading = new Reading(PressureAddress, Now, PointValue.FromNumber(100), AssetId: "pump-2", Metric: "other");

        var ok = _normalizer.TryNormalize(reading, Now, out var point, out _, out _, out var detail);

        Assert.True(ok, detail);
        Assert.Equal(new SeriesKey("pump-1", "pressure"), point.Series);
    }

    [Fact]
    public void TryNormalize_ReadingTheSourceCouldNotParse_IsInvalidPayloadNamingTheAddressAndError()
    {
        var reading = new Reading("spool:readings-7.jsonl:12", 0, PointValue.None, Raw: "{\"asset\":", Error: "unexpected end of JSON");

        var detail = AssertQuarantined(reading, QuarantineReason.InvalidPayload);

        Assert.Contains("spool:readings-7.jsonl:12", detail, StringComparison.Ordinal);
        Assert.Contains("unexpected end of JSON", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNormalize_UnmappedAddressNamingNothing_IsUnmappedSourceNamingTheAddress()
    {
        var detail = AssertQuarantined(new Reading("opcua:nsu=urn:plc;s=Pump1.Unknown", Now, PointValue.FromNumber(1)), QuarantineReason.UnmappedSource);

        Assert.Contains("'opcua:nsu=urn:plc;s=Pump1.Unknown'", detail, StringComparison.Ordinal);
        Assert.Contains("$.mappings", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void TryNormalize_MetricWithoutAsset_IsMissingAssetNamingTheMetricAndAddress(string? asset)
    {
        var detail = AssertQuarantined(new Reading("mqtt:plant/x/speed", Now, PointValue.FromNumber(1), AssetId: asset, Metric: "speed"), QuarantineReason.MissingAsset);

        Assert.Contains("'speed'", detail, StringComparison.Ordinal);
        Assert.Contains("'mqtt:plant/x/speed'", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNormalize_AssetNotInTheRegistry_IsUnknownAssetNamingIt()
    {
        var detail = AssertQuarantined(new Reading("mqtt:plant/pump-9/speed", Now, PointValue.FromNumber(1), AssetId: "pump-9", Metric: "speed"), QuarantineReason.UnknownAsset);

        Assert.Contains("'pump-9'", detail, StringComparison.Ordinal);
        Assert.Contains("$.assets", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNormalize_AssetIdWithTheKeySeparator_IsInvalidNameNamingIt()
    {
        var detail = AssertQuarantined(new Reading("mqtt:x", Now, PointValue.FromNumber(1), AssetId: "pump|1", Metric: "speed"), QuarantineReason.InvalidName);

        Assert.Contains("'pump|1'", detail, StringComparison.Ordinal);
        Assert.Contains("'|'", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a|b", "'|'")]
    [InlineData("bad\u0001name", "control character")]
    [InlineData("", "is empty")]
    [InlineData(null, "is empty")]
    public void TryNormalize_BadMetricOfAKnownAsset_IsInvalidNameNamingTheMetricAndAsset(string? metric, string why)
    {
        var detail = AssertQuarantined(new Reading("mqtt:x", Now, PointValue.FromNumber(1), AssetId: "pump-1", Metric: metric), QuarantineReason.InvalidName);

        Assert.Contains($"metric '{metric}'", detail, StringComparison.Ordinal);
        Assert.Contains("'pump-1'", detail, StringComparison.Ordinal);
        Assert.Contains(why, detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNormalize_OverlongMetric_IsInvalidNameGivingTheLength()
    {
        var detail = AssertQuarantined(new Reading("mqtt:x", Now, PointValue.FromNumber(1), AssetId: "pump-1", Metric: new string('m', 201)), QuarantineReason.InvalidName);

        Assert.Contains("201 characters", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    public void TryNormalize_NoTimestamp_IsMissingTimestampNamingTheAddress(long ticks)
    {
        var detail = AssertQuarantined(new Reading(PressureAddress, ticks, PointValue.FromNumber(1)), QuarantineReason.MissingTimestamp);

        Assert.Contains(PressureAddress, detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNormalize_TooFarInThePast_IsClockSkewPastNamingBothTimes()
    {
        var ticks = Now - TimeSpan.FromSeconds(3601).Ticks;

        var detail = AssertQuarantined(new Reading(PressureAddress, ticks, PointValue.FromNumber(1)), QuarantineReason.ClockSkewPast);

        Assert.Contains("2026-11-24T01:59:59.0000000Z", detail, StringComparison.Ordinal);
        Assert.Contains("2026-11-24T03:00:00.0000000Z", detail, StringComparison.Ordinal);
        Assert.Contains("01:00:00", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNormalize_TooFarInTheFuture_IsClockSkewFutureNamingBothTimes()
    {
        var ticks = Now + TimeSpan.FromSeconds(61).Ticks;

        var detail = AssertQuarantined(new Reading(PressureAddress, ticks, PointValue.FromNumber(1)), QuarantineReason.ClockSkewFuture);

        Assert.Contains("2026-11-24T03:01:01.0000000Z", detail, StringComparison.Ordinal);
        Assert.Contains("2026-11-24T03:00:00.0000000Z", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-3600)]
    [InlineData(60)]
    public void TryNormalize_ExactlyAtTheSkewLimit_IsAccepted(int seconds)
    {
        var ok = _normalizer.TryNormalize(new Reading(PressureAddress, Now + TimeSpan.FromSeconds(seconds).Ticks, PointValue.FromNumber(1)), Now, out _, out _, out _, out var detail);

        Assert.True(ok, detail);
    }

    [Fact]
    public void TryNormalize_HugeFutureSkewAllowance_DoesNotOverflowIntoRejectingEverything()
    {
        // An allowance beyond the tick range ("never reject") must not wrap around and reject every reading.
        var normalizer = Create(maxPastSeconds: 1e12, maxFutureSeconds: 1e12);

        var ok = normalizer.TryNormalize(new Reading(PressureAddress, Now + TimeSpan.FromDays(1).Ticks, PointValue.FromNumber(1)), Now, out _, out _, out var reason, out var detail);
        var old = normalizer.TryNormalize(new Reading(PressureAddress, 1, PointValue.FromNumber(1)), Now, out _, out _, out _, out var oldDetail);

        Assert.True(ok, $"{reason}: {detail}");
        Assert.True(old, oldDetail);
    }

    [Fact]
    public void TryNormalize_TimestampBeyondTheLastRepresentableTime_IsQuarantinedEvenWithAHugeAllowance()
    {
        // The wire format cannot carry a time after 9999-12-31; forwarding it would fail the sink for ever.
        var normalizer = Create(maxPastSeconds: 1e12, maxFutureSeconds: 1e12);

        var ok = normalizer.TryNormalize(new Reading(PressureAddress, DateTime.MaxValue.Ticks + 1, PointValue.FromNumber(1)), Now, out _, out _, out var reason, out var detail);
        var last = normalizer.TryNormalize(new Reading(PressureAddress, DateTime.MaxValue.Ticks, PointValue.FromNumber(1)), Now, out _, out _, out _, out var lastDetail);

        Assert.False(ok);
        Assert.Equal(QuarantineReason.ClockSkewFuture, reason);
        Assert.Contains(PressureAddress, detail, StringComparison.Ordinal);
        Assert.True(last, lastDetail);
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void TryNormalize_NonFiniteNumber_IsNonFiniteValueNamingIt(double value, string text)
    {
        var detail = AssertQuarantined(new Reading(PressureAddress, Now, PointValue.FromNumber(value)), QuarantineReason.NonFiniteValue);

        Assert.StartsWith($"value {text} ", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNormalize_NoValue_IsMissingValueNamingTheAddress()
    {
        var detail = AssertQuarantined(new Reading(PressureAddress, Now, PointValue.None), QuarantineReason.MissingValue);

        Assert.Contains(PressureAddress, detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNormalize_ScalingOverflows_IsNonFiniteValueNamingTheValueAndScaling()
    {
        var detail = AssertQuarantined(new Reading("sim:pump-1/counts", Now, PointValue.FromNumber(1e300)), QuarantineReason.NonFiniteValue);

        Assert.Contains("1E+300", detail, StringComparison.Ordinal);
        Assert.Contains("scaled by 10000000000 + 0", detail, StringComparison.Ordinal);
        Assert.Contains("overflows", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNormalize_Quarantined_LeavesNoPoint()
    {
        var ok = _normalizer.TryNormalize(new Reading(PressureAddress, Now, PointValue.None), Now, out var point, out _, out _, out _);

        Assert.False(ok);
        Assert.Null(point.Stream);
    }

    [Fact]
    public void TryNormalize_Accepted_ClearsReasonAndDetail()
    {
        var ok = _normalizer.TryNormalize(new Reading(StateAddress, Now, PointValue.FromString("running")), Now, out _, out _, out var reason, out var detail);

        Assert.True(ok);
        Assert.Equal(default, reason);
        Assert.Null(detail);
    }

    private string AssertQuarantined(in Reading reading, QuarantineReason expected)
    {
        var ok = _normalizer.TryNormalize(reading, Now, out _, out _, out var reason, out var detail);

        Assert.False(ok, $"{reading} was accepted");
        Assert.Equal(expected, reason);
        Assert.False(string.IsNullOrEmpty(detail));
        return detail;
    }

    private static Normalizer Create(double maxPastSeconds, double maxFutureSeconds)
    {
        AssetConfig[] assets = [new AssetConfig { Id = "line-1" }, new AssetConfig { Id = "pump-1", Parent = "line-1" }, new AssetConfig { Id = "pump-2" }];
        MappingConfig[] mappings =
            [
                new MappingConfig { Source = PressureAddress, Asset = "pump-1", Metric = "pressure", Unit = "bar", Scale = 0.01, Offset = -1.5, Tags = new() { ["site"] = "north" } },
                new MappingConfig { Source = TemperatureAddress, Asset = "pump-1", Metric = "temperature", Unit = "K", Offset = 273.15 },
                new MappingConfig { Source = RunningAddress, Asset = "pump-1", Metric = "running" },
                new MappingConfig { Source = StateAddress, Asset = "pump-1", Metric = "state" },
                new MappingConfig { Source = "sim:pump-1/flow", Asset = "pump-1", Metric = "flow" },
                new MappingConfig { Source = "sim:pump-1/counts", Asset = "pump-1", Metric = "counts", Scale = 1e10 },
                new MappingConfig { Source = HealthAddress, Asset = "pump-1", Metric = "health_score", Model = "pump-health", ModelVersion = "2.1" },
            ];
        var validation = new ValidationConfig { MaxPastSkewSeconds = maxPastSeconds, MaxFutureSkewSeconds = maxFutureSeconds };
        return new Normalizer(new AssetRegistry(assets, mappings), validation);
    }
}
