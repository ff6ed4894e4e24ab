using System.Globalization;
using System.Text.Json;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Json;

/// <summary>How a numeric timestamp counts time since 1970-01-01T00:00:00Z.</summary>
public enum EpochUnit : byte
{
    /// <summary>Seconds below <see cref="JsonReadingFields.MillisecondsFrom"/>, milliseconds from there on.</summary>
    Auto,
    Seconds,
    Milliseconds,
}

public sealed class EpochUnitJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<EpochUnit> Names = new((EpochUnit.Auto, "auto"), (EpochUnit.Seconds, "seconds"), (EpochUnit.Milliseconds, "milliseconds"));
}

/// <summary>
/// The value, timestamp and quality fields of a JSON reading, read the same way by every source that takes JSON
/// (the drop folder, MQTT): one rule for what a number, a string or a quality word means.
/// </summary>
public static class JsonReadingFields
{
    /// <summary>
    /// The <see cref="EpochUnit.Auto"/> boundary: 1e11 seconds is the year 5138, while 1e11 milliseconds is
    /// 1973-03-03. No sensible reading falls between the two readings of a number, so a number below it is
    /// seconds and from it on milliseconds.
    /// </summary>
    public const decimal MillisecondsFrom = 100_000_000_000m;

    private static readonly long MaxTicksSinceEpoch = DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks;

    /// <summary>A JSON value as a point value; null, or a missing field, is <see cref="PointValue.None"/>.</summary>
    public static bool TryReadValue(JsonElement e, out PointValue value, out string? error)
    {
        error = null;
        switch (e.ValueKind)
        {
            case JsonValueKind.Number:
                if (e.TryGetDouble(out var number))
                {
                    value = PointValue.FromNumber(number);
                    return true;
                }
                value = PointValue.None;
                error = $"{e.GetRawText()} is out of the range of a 64-bit floating-point number";
                return false;
            case JsonValueKind.True:
                value = PointValue.FromBoolean(true);
                return true;
            case JsonValueKind.False:
                value = PointValue.FromBoolean(false);
                return true;
            case JsonValueKind.String:
                value = FromText(e.GetString()!);
                return true;
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                value = PointValue.None;
                return true;
            default:
                value = PointValue.None;
                error = $"is a JSON {e.ValueKind.ToString().ToLowerInvariant()}, not a number, boolean or string";
                return false;
        }
    }

    /// <summary>
    /// A schema 1.1 value that is not a scalar: an array of numbers, of booleans or of strings (never mixed; a matrix
    /// flattened row-major with <paramref name="dimensions"/>, undefined when absent), or a structure (an object, or an
    /// array of objects) kept as its JSON text.
    /// </summary>
    public static bool TryReadExtended(JsonElement e, JsonElement dimensions, out PointValue value, out string? error)
    {
        value = PointValue.None;
        error = null;
        if (e.ValueKind == JsonValueKind.Object || (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0 && e[0].ValueKind is JsonValueKind.Object or JsonValueKind.Null))
        {
            if (dimensions.ValueKind != JsonValueKind.Undefined) return Fail("\"dimensions\" is given with a structure: only an array of numbers, booleans or strings has dimensions", out error);
            value = PointValue.FromStructure(e.GetRawText());
            return true;
        }
        if (e.ValueKind != JsonValueKind.Array) return Fail($"is a JSON {e.ValueKind.ToString().ToLowerInvariant()}, not a value", out error);
        int[]? shape = null;
        if (dimensions.ValueKind != JsonValueKind.Undefined)
        {
            if (dimensions.ValueKind != JsonValueKind.Array) return Fail("\"dimensions\" is not an array of element counts", out error);
            shape = new int[dimensions.GetArrayLength()];
            var d = 0;
            foreach (var count in dimensions.EnumerateArray())
            {
                if (count.ValueKind != JsonValueKind.Number || !count.TryGetInt32(out shape[d]) || shape[d] < 0) return Fail($"\"dimensions\"[{d}] {count.GetRawText()} is not an element count", out error);
                d++;
            }
        }
        var length = e.GetArrayLength();
        var kind = length == 0 ? JsonValueKind.Number : e[0].ValueKind is JsonValueKind.False ? JsonValueKind.True : e[0].ValueKind;
        var numbers = kind == JsonValueKind.Number ? new double[length] : null;
        var booleans = kind == JsonValueKind.True ? new bool[length] : null;
        var strings = kind == JsonValueKind.String ? new string[length] : null;
        if (numbers is null && booleans is null && strings is null) return Fail($"is an array of JSON {kind.ToString().ToLowerInvariant()}s, not of numbers, booleans or strings", out error);
        var i = 0;
        foreach (var element in e.EnumerateArray())
        {
            var ok = false;
            switch (kind)
            {
                case JsonValueKind.Number:
                    ok = element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out numbers![i]);
                    break;
                case JsonValueKind.True:
                    ok = element.ValueKind is JsonValueKind.True or JsonValueKind.False;
                    booleans![i] = element.ValueKind == JsonValueKind.True;
                    break;
                default:
                    ok = element.ValueKind == JsonValueKind.String;
                    if (ok) strings![i] = element.GetString()!;
                    break;
            }
            if (!ok) return Fail($"element [{i}] {element.GetRawText()} is not a {(kind == JsonValueKind.True ? "boolean" : kind.ToString().ToLowerInvariant())} as element [0] is: an array's elements are all numbers, all booleans or all strings", out error);
            i++;
        }
        try
        {
            value = PointValue.FromArray(numbers is not null ? ArrayValue.FromNumbers(numbers, shape) : booleans is not null ? ArrayValue.FromBooleans(booleans, shape) : ArrayValue.FromStrings(strings!, shape));
            return true;
        }
        catch (ArgumentException ex)
        {
            return Fail(ex.Message.Split(" (Parameter", 2)[0], out error);
        }
    }

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }

    /// <summary>
    /// JSON cannot carry NaN or infinities; like System.Text.Json's named floating-point literals, the quoted
    /// forms "NaN", "Infinity" and "-Infinity" stand for them, so a sensor's NaN reaches validation (and
    /// quarantine) as a number instead of passing as text.
    /// </summary>
    public static PointValue FromText(string text) => text switch
    {
        "NaN" => PointValue.FromNumber(double.NaN),
        "Infinity" => PointValue.FromNumber(double.PositiveInfinity),
        "-Infinity" => PointValue.FromNumber(double.NegativeInfinity),
        _ => PointValue.FromString(text),
    };

    /// <summary>
    /// A timestamp: a number (or a string of one) counted in <paramref name="unit"/> since 1970, or an ISO 8601 string
    /// (UTC when it carries no offset). False when it is neither, or outside 1970–9999.
    /// </summary>
    public static bool TryReadTimestamp(JsonElement e, EpochUnit unit, out long ticks)
    {
        ticks = 0;
        switch (e.ValueKind)
        {
            case JsonValueKind.Number:
                if (e.TryGetDecimal(out var number)) return TryFromEpoch(number, unit, out ticks);
                return false;
            case JsonValueKind.String:
                return TryParseTimestamp(e.GetString()!, unit, out ticks);
            default:
                return false;
        }
    }

    public static bool TryParseTimestamp(string text, EpochUnit unit, out long ticks)
    {
        ticks = 0;
        if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number))
        {
            return TryFromEpoch(number, unit, out ticks);
        }
        // DateTimeOffset.TryParse alone would take "11/24/2026" or "Tuesday": insist on an ISO 8601 date first.
        if (text.Length < 10 || !char.IsAsciiDigit(text[0]) || !char.IsAsciiDigit(text[3]) || text[4] != '-' || text[7] != '-') return false;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)) return false;
        ticks = time.UtcTicks;
        return true;
    }

    /// <summary>Epoch seconds or milliseconds (see <see cref="MillisecondsFrom"/>) as UTC ticks, exactly: decimal, not double.</summary>
    public static bool TryFromEpoch(decimal number, EpochUnit unit, out long ticks)
    {
        ticks = 0;
        if (number < 0) return false;
        var milliseconds = unit == EpochUnit.Milliseconds || (unit == EpochUnit.Auto && number >= MillisecondsFrom);
        var perUnit = milliseconds ? TimeSpan.TicksPerMillisecond : TimeSpan.TicksPerSecond;
        if (number > MaxTicksSinceEpoch / perUnit) return false;
        ticks = DateTime.UnixEpoch.Ticks + (long)Math.Round(number * perUnit, MidpointRounding.ToEven);
        return ticks <= DateTime.MaxValue.Ticks;
    }

    /// <summary>
    /// A quality: "good", "uncertain" or "bad" (any case), a boolean (true = good), or a number taken as an OPC UA
    /// status code (OPC 10000-4 §7.39). Null, or a missing field, leaves both unset.
    /// </summary>
    public static bool TryReadQuality(JsonElement e, out Quality? quality, out uint statusCode, out string? error)
    {
        quality = null;
        statusCode = 0;
        error = null;
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                if (QualityCodes.TryParse(e.GetString(), out var q))
                {
                    quality = q;
                    return true;
                }
                break;
            case JsonValueKind.True:
                quality = Quality.Good;
                return true;
            case JsonValueKind.False:
                quality = Quality.Bad;
                return true;
            case JsonValueKind.Number:
                if (e.TryGetUInt32(out statusCode)) return true;
                break;
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                return true;
        }
        error = $"{e.GetRawText()} is not good, uncertain, bad, a boolean or a status code";
        return false;
    }
}
