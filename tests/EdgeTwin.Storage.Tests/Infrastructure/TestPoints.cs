using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Storage.Tests.Infrastructure;

/// <summary>Streams and points with readable timestamps (seconds after <see cref="Epoch"/>).</summary>
public static class TestPoints
{
    public static readonly DateTimeOffset Epoch = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    public static StreamDescriptor Stream(string asset, string metric) =>
        new(asset, metric, $"sim:{asset}/{metric}", [new("unit", "bar"), new("site", "plant-7")]);

    public static long At(double seconds) => Epoch.UtcTicks + (long)(seconds * TimeSpan.TicksPerSecond);

    public static TelemetryPoint Number(StreamDescriptor stream, double seconds, double value, Quality quality = Quality.Good, uint status = 0) =>
        new(stream, At(seconds), PointValue.FromNumber(value), quality, status);

    /// <summary><paramref name="count"/> numbers one second apart, starting at <paramref name="fromSecond"/>; value = second.</summary>
    public static List<TelemetryPoint> Series(StreamDescriptor stream, int fromSecond, int count) =>
        Enumerable.Range(fromSecond, count).Select(s => Number(stream, s, s)).ToList();

    public static void AssertSame(TelemetryPoint expected, TelemetryPoint actual)
    {
        Assert.Equal(expected.Stream, actual.Stream);
        Assert.Equal(expected.TimestampTicks, actual.TimestampTicks);
        Assert.Equal(expected.Value.Kind, actual.Value.Kind);
        switch (expected.Value.Kind)
        {
            case PointValueKind.Number:
                // Bit-exact: -0.0 and NaN payloads must survive, and double.Equals would hide both.
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Value.Number), BitConverter.DoubleToInt64Bits(actual.Value.Number));
                break;
            case PointValueKind.Boolean:
                Assert.Equal(expected.Value.Boolean, actual.Value.Boolean);
                break;
            case PointValueKind.String:
                Assert.Equal(expected.Value.Text, actual.Value.Text);
                break;
            default:
                Assert.Equal(expected.Value, actual.Value);
                break;
        }
        Assert.Equal(expected.Quality, actual.Quality);
        Assert.Equal(expected.StatusCode, actual.StatusCode);
        Assert.Equal(expected.EndTicks, actual.EndTicks);
    }

    public static void AssertSame(IReadOnlyList<TelemetryPoint> expected, IReadOnlyList<TelemetryPoint> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++) AssertSame(expected[i], actual[i]);
    }
}
