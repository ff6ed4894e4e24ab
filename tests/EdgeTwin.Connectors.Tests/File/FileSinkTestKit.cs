using System.Text.Json;
using EdgeTwin.Connectors.File;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace EdgeTwin.Connectors.Tests.File;

/// <summary>Builds sinks, batches and points, and reads back what a sink wrote.</summary>
internal static class FileSinkTestKit
{
    public const string GatewayId = "gw-7";

    public static readonly long BaseTicks = new DateTime(2026, 11, 24, 3, 0, 0, DateTimeKind.Utc).Ticks;

    public static readonly StreamDescriptor Pressure = new(
        "pump-1", "pressure", "sim:pump-1/pressure", [new KeyValuePair<string, string>("unit", "bar")]);

    public static FileSinkConfig Config(TestDirectory directory, long maxFileBytes = 64L << 20, int maxFiles = 50) =>
        new() { Name = "file-test", Directory = directory.Path, MaxFileBytes = maxFileBytes, MaxFiles = maxFiles };

    /// <summary>A clock that stands still unless a test moves it, so file names are predictable.</summary>
    public static FakeTimeProvider Clock() => new(new DateTimeOffset(BaseTicks, TimeSpan.Zero));

    public static JsonlFileSink Sink(FileSinkConfig config, TimeProvider? time = null) =>
        new(config, GatewayId, time ?? Clock());

    /// <summary>
    /// Point <paramref name="index"/> of segment <paramref name="segment"/>: its value encodes both, so the
    /// output can be checked for every point exactly once.
    /// </summary>
    public static TelemetryPoint Point(long segment, int index, StreamDescriptor? stream = null) =>
        new(stream ?? Pressure, BaseTicks + (segment * 1_000_000) + index, PointValue.FromNumber(Identity(segment, index)), Quality.Good, 0);

    public static double Identity(long segment, int index) => (segment * 1_000_000) + index;

    /// <summary>One batch holding segments <paramref name="first"/>..<paramref name="last"/>, <paramref name="pointsPerSegment"/> points each.</summary>
    public static SinkBatch Batch(long first, long last, int pointsPerSegment = 3)
    {
        var points = new List<TelemetryPoint>();
        for (var s = first; s <= last; s++)
        {
            for (var i = 0; i < pointsPerSegment; i++) points.Add(Point(s, i));
        }
        return new SinkBatch(first, last, points);
    }

    public static IEnumerable<double> ExpectedIdentities(long first, long last, int pointsPerSegment = 3)
    {
        for (var s = first; s <= last; s++)
        {
            for (var i = 0; i < pointsPerSegment; i++) yield return Identity(s, i);
        }
    }

    /// <summary>The sink's files in the order written (by sequence number).</summary>
    public static List<string> SinkFiles(TestDirectory directory) =>
        [.. Directory.EnumerateFiles(directory.Path, "edgetwin-*.jsonl").Order(StringComparer.Ordinal)];

    /// <summary>Every line of every sink file, in order; fails if a file does not end with a complete line.</summary>
    public static List<string> Lines(TestDirectory directory)
    {
        var lines = new List<string>();
        foreach (var file in SinkFiles(directory))
        {
            var text = System.IO.File.ReadAllText(file);
            if (text.Length == 0) continue;
            Assert.True(text.EndsWith('\n'), $"{file} ends inside a line");
            lines.AddRange(text[..^1].Split('\n'));
        }
        return lines;
    }

    /// <summary>The "value" of every line, in order; every line must parse as a JSON object.</summary>
    public static List<double> Values(TestDirectory directory)
    {
        var values = new List<double>();
        foreach (var line in Lines(directory))
        {
            using var doc = JsonDocument.Parse(line);
            values.Add(doc.RootElement.GetProperty("value").GetDouble());
        }
        return values;
    }

    public static (long? Segment, string File, long Length) ReadPosition(TestDirectory directory)
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllBytes(directory.Combine("position.json")));
        var root = doc.RootElement;
        var segment = root.GetProperty("segment");
        return (segment.ValueKind == JsonValueKind.Null ? null : segment.GetInt64(), root.GetProperty("file").GetString()!, root.GetProperty("length").GetInt64());
    }

    public static void Append(string path, string text) => System.IO.File.AppendAllText(path, text);
}
