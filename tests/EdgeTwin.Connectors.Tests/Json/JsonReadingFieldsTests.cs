using System.Text.Json;
using EdgeTwin.Connectors.Json;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Tests.Json;

public class JsonReadingFieldsTests
{
    private static long Ticks(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture).UtcTicks;

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Theory]
    [InlineData("1732417200", "2024-11-24T03:00:00Z")]
    [InlineData("1732417200.1234567", "2024-11-24T03:00:00.1234567Z")]
    [InlineData("1732417200123", "2024-11-24T03:00:00.123Z")]
    [InlineData("1732417200123.5", "2024-11-24T03:00:00.1235Z")]
    [InlineData("99999999999", "5138-11-16T09:46:39Z")]
    [InlineData("100000000000", "1973-03-03T09:46:40Z")]
    [InlineData("0", "1970-01-01T00:00:00Z")]
    [InlineData("1.7324172e9", "2024-11-24T03:00:00Z")]
    [InlineData("\"1732417200\"", "2024-11-24T03:00:00Z")]
    [InlineData("\"2026-11-24T03:00:00Z\"", "2026-11-24T03:00:00Z")]
    [InlineData("\"2026-11-24T03:00:00.1234567Z\"", "2026-11-24T03:00:00.1234567Z")]
    [InlineData("\"2026-11-24T04:00:00+01:00\"", "2026-11-24T03:00:00Z")]
    [InlineData("\"2026-11-24T03:00:00\"", "2026-11-24T03:00:00Z")]
    [InlineData("\"2026-11-24\"", "2026-11-24T00:00:00Z")]
    public void TryReadTimestamp_AutoUnit_SecondsBelow1e11_MillisecondsFromThere_IsoStrings(string json, string expected)
    {
        Assert.True(JsonReadingFields.TryReadTimestamp(Json(json), EpochUnit.Auto, out var ticks));
        Assert.Equal(Ticks(expected), ticks);
    }

    [Fact]
    public void TryReadTimestamp_ExplicitUnit_OverridesTheRule()
    {
        Assert.True(JsonReadingFields.TryReadTimestamp(Json("1000"), EpochUnit.Milliseconds, out var ms));
        Assert.Equal(DateTime.UnixEpoch.Ticks + TimeSpan.TicksPerSecond, ms);
        Assert.True(JsonReadingFields.TryReadTimestamp(Json("100000000000"), EpochUnit.Seconds, out var s));
        Assert.Equal(DateTime.UnixEpoch.Ticks + (100_000_000_000 * TimeSpan.TicksPerSecond), s);
    }

    [Fact]
    public void TryReadTimestamp_MillisecondsAreExact_NoFloatingPointDrift()
    {
        // 1732417200123 ms × 10,000 ticks lies beyond 2^53: a double would round it.
        Assert.True(JsonReadingFields.TryReadTimestamp(Json("1732417200123"), EpochUnit.Auto, out var ticks));
        Assert.Equal(DateTime.UnixEpoch.Ticks + (1732417200123L * TimeSpan.TicksPerMillisecond), ticks);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1e30")]
    [InlineData("\"11/24/2026\"")]
    [InlineData("\"Tuesday\"")]
    [InlineData("\"2026-13-40T00:00:00Z\"")]
    [InlineData("\"\"")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("[1]")]
    public void TryReadTimestamp_NotATime_IsRefused(string json) =>
        Assert.False(JsonReadingFields.TryReadTimestamp(Json(json), EpochUnit.Auto, out _));

    [Fact]
    public void TryReadTimestamp_BeyondTheYear9999_IsRefused()
    {
        Assert.False(JsonReadingFields.TryReadTimestamp(Json("253402300800"), EpochUnit.Seconds, out _));
        Assert.True(JsonReadingFields.TryReadTimestamp(Json("253402300799"), EpochUnit.Seconds, out _));
    }

    [Theory]
    [InlineData("4.25", PointValueKind.Number, "4.25")]
    [InlineData("-0", PointValueKind.Number, "-0")]
    [InlineData("true", PointValueKind.Boolean, "true")]
    [InlineData("false", PointValueKind.Boolean, "false")]
    [InlineData("\"running\"", PointValueKind.String, "running")]
    [InlineData("\"NaN\"", PointValueKind.Number, "NaN")]
    [InlineData("\"-Infinity\"", PointValueKind.Number, "-Infinity")]
    [InlineData("null", PointValueKind.None, "(none)")]
    public void TryReadValue_Scalars(string json, PointValueKind kind, string text)
    {
        Assert.True(JsonReadingFields.TryReadValue(Json(json), out var value, out _));
        Assert.Equal(kind, value.Kind);
        Assert.Equal(text, value.ToString());
    }

    [Theory]
    [InlineData("{\"a\":1}", "object")]
    [InlineData("[1,2]", "array")]
    public void TryReadValue_Structures_AreTheWrongType(string json, string kind)
    {
        Assert.False(JsonReadingFields.TryReadValue(Json(json), out _, out var error));
        Assert.Contains(kind, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"good\"", Quality.Good, 0u)]
    [InlineData("\"Uncertain\"", Quality.Uncertain, 0u)]
    [InlineData("\"BAD\"", Quality.Bad, 0u)]
    [InlineData("true", Quality.Good, 0u)]
    [InlineData("false", Quality.Bad, 0u)]
    public void TryReadQuality_WordsAndBooleans(string json, Quality quality, uint status)
    {
        Assert.True(JsonReadingFields.TryReadQuality(Json(json), out var q, out var s, out _));
        Assert.Equal(quality, q);
        Assert.Equal(status, s);
    }

    [Fact]
    public void TryReadQuality_NumberIsAnOpcUaStatusCode()
    {
        Assert.True(JsonReadingFields.TryReadQuality(Json("1083310080"), out var q, out var s, out _));
        Assert.Null(q);
        Assert.Equal(0x40920000u, s);
        Assert.Equal(Quality.Uncertain, QualityCodes.FromStatusCode(s));
    }

    [Theory]
    [InlineData("\"excellent\"")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("{}")]
    public void TryReadQuality_Other_IsRefused(string json)
    {
        Assert.False(JsonReadingFields.TryReadQuality(Json(json), out _, out _, out var error));
        Assert.Contains("good, uncertain, bad", error, StringComparison.Ordinal);
    }
}
