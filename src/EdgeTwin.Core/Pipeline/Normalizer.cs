using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Pipeline;

/// <summary>
/// Turns a raw <see cref="Reading"/> into a canonical <see cref="TelemetryPoint"/>, or says why it must be
/// quarantined. Mapping, scaling and validation happen here and nowhere else.
/// </summary>
public sealed class Normalizer
{
    private readonly AssetRegistry _registry;
    private readonly long _maxPastTicks;
    private readonly long _maxFutureTicks;

    public Normalizer(AssetRegistry registry, ValidationConfig validation)
    {
        _registry = registry;
        _maxPastTicks = (long)(validation.MaxPastSkewSeconds * TimeSpan.TicksPerSecond);
        _maxFutureTicks = (long)(validation.MaxFutureSkewSeconds * TimeSpan.TicksPerSecond);
    }

    public AssetRegistry Registry => _registry;

    /// <summary>
    /// Maps and validates <paramref name="reading"/> against the gateway clock <paramref name="nowTicks"/>.
    /// Returns false with a reason and a detail naming the offending field when it must be quarantined.
    /// </summary>
    public bool TryNormalize(in Reading reading, long nowTicks, out TelemetryPoint point, out MappingTarget? target, out QuarantineReason reason, out string? detail)
    {
        point = default;
        if (reading.Error is not null)
        {
            target = null;
            return Fail(reading.ErrorReason ?? QuarantineReason.InvalidPayload, $"{reading.Address}: {reading.Error}", out reason, out detail);
        }
        if (!TryResolve(reading, out target, out reason, out detail)) return false;

        var ticks = reading.TimestampTicks;
        if (ticks <= 0)
        {
            return Fail(QuarantineReason.MissingTimestamp, $"reading from '{reading.Address}' has no timestamp", out reason, out detail);
        }
        if (ticks > DateTime.MaxValue.Ticks)
        {
            // Whatever the allowance: the wire format (and DateTime) cannot carry it, so a sink could never send it.
            return Fail(QuarantineReason.ClockSkewFuture, $"timestamp of {ticks} ticks from '{reading.Address}' is after 9999-12-31, the last time the wire format carries", out reason, out detail);
        }
        // Compared as differences: a huge allowance saturates to long.MaxValue, and now + allowance would wrap.
        if (nowTicks - ticks > _maxPastTicks)
        {
            return Fail(QuarantineReason.ClockSkewPast, $"timestamp {Iso(ticks)} from '{reading.Address}' is more than {TimeSpan.FromTicks(_maxPastTicks)} before the gateway clock {Iso(nowTicks)}", out reason, out detail);
        }
        if (ticks - nowTicks > _maxFutureTicks)
        {
            return Fail(QuarantineReason.ClockSkewFuture, $"timestamp {Iso(ticks)} from '{reading.Address}' is more than {TimeSpan.FromTicks(_maxFutureTicks)} after the gateway clock {Iso(nowTicks)}", out reason, out detail);
        }

        var value = reading.Value;
        switch (value.Kind)
        {
            case PointValueKind.None:
                return Fail(QuarantineReason.MissingValue, $"reading from '{reading.Address}' has no value", out reason, out detail);
            case PointValueKind.Number:
                if (value.IsNonFinite) return Fail(QuarantineReason.NonFiniteValue, $"value {value} from '{reading.Address}' is not a finite number", out reason, out detail);
                if (!target!.IsIdentity)
                {
                    var scaled = value.Number * target.Scale + target.Offset;
                    if (!double.IsFinite(scaled)) return Fail(QuarantineReason.NonFiniteValue, $"value {value} from '{reading.Address}' scaled by {target.Scale} + {target.Offset} overflows", out reason, out detail);
                    value = PointValue.FromNumber(scaled);
                }
                break;
            case PointValueKind.Array:
                if (value.IsNonFinite) return Fail(QuarantineReason.NonFiniteValue, $"array {value} from '{reading.Address}' holds an element that is not a finite number", out reason, out detail);
                if (!target!.IsIdentity && value.Array.ElementKind == PointValueKind.Number)
                {
                    var scaled = PointValue.FromArray(value.Array.Scaled(target.Scale, target.Offset));
                    if (scaled.IsNonFinite) return Fail(QuarantineReason.NonFiniteValue, $"array {value} from '{reading.Address}' scaled by {target.Scale} + {target.Offset} overflows", out reason, out detail);
                    value = scaled;
                }
                break;
        }

        point = new TelemetryPoint(target!.Stream, ticks, value, reading.EffectiveQuality, reading.StatusCode);
        reason = default;
        detail = null;
        return true;
    }

    private bool TryResolve(in Reading reading, out MappingTarget? target, out QuarantineReason reason, out string? detail)
    {
        if ((target = reading.Target) is not null || _registry.TryMap(reading.Address, out target))
        {
            reason = default;
            detail = null;
            return true;
        }
        target = null;
        if (string.IsNullOrEmpty(reading.AssetId))
        {
            return reading.Metric is null
                ? Fail(QuarantineReason.UnmappedSource, $"source '{reading.Address}' is not in $.mappings", out reason, out detail)
                : Fail(QuarantineReason.MissingAsset, $"reading of metric '{reading.Metric}' from '{reading.Address}' names no asset", out reason, out detail);
        }
        if (SeriesKey.Check(reading.AssetId) is { } badAsset)
        {
            return Fail(QuarantineReason.InvalidName, $"asset id '{reading.AssetId}' from '{reading.Address}' {badAsset}", out reason, out detail);
        }
        if (!_registry.TryGetAsset(reading.AssetId, out _))
        {
            return Fail(QuarantineReason.UnknownAsset, $"asset '{reading.AssetId}' from '{reading.Address}' is not in $.assets", out reason, out detail);
        }
        if (SeriesKey.Check(reading.Metric) is { } badMetric)
        {
            return Fail(QuarantineReason.InvalidName, $"metric '{reading.Metric}' of asset '{reading.AssetId}' from '{reading.Address}' {badMetric}", out reason, out detail);
        }
        target = _registry.GetOrAddDynamic(reading.Address, reading.AssetId, reading.Metric!);
        reason = default;
        detail = null;
        return true;
    }

    private static bool Fail(QuarantineReason why, string text, out QuarantineReason reason, out string? detail)
    {
        reason = why;
        detail = text;
        return false;
    }

    private static string Iso(long ticks) => new DateTime(Math.Clamp(ticks, DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc).ToString("O");
}
