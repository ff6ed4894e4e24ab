using System.Globalization;
using System.Text.Json;

namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>One line the file sink wrote, parsed.</summary>
public sealed record SinkLine(string AssetId, string Metric, long Ticks, string Ts, JsonElement Value, string? Event, string Json)
{
    public string Key => $"{AssetId}|{Metric}|{Ticks}";
}

/// <summary>Reads everything the JSONL file sink wrote, in file order.</summary>
public static class SinkOutput
{
    public static List<SinkLine> Read(string directory)
    {
        var lines = new List<SinkLine>();
        if (!Directory.Exists(directory)) return lines;
        foreach (var file in Directory.GetFiles(directory, "*.jsonl").OrderBy(f => f, StringComparer.Ordinal))
        {
            var n = 0;
            foreach (var line in File.ReadLines(file))
            {
                n++;
                try
                {
                    lines.Add(Parse(line));
                }
                catch (JsonException ex)
                {
                    throw new InvalidDataException($"{file}:{n} is not JSON ({ex.Message}): {line}", ex);
                }
            }
        }
        return lines;
    }

    /// <summary>One schema-1.0 point, as a sink emits it (a file line, a Kafka value, an MQTT payload).</summary>
    public static SinkLine Parse(string json)
    {
        var root = JsonDocument.Parse(json).RootElement;
        var ts = root.GetProperty("ts").GetString()!;
        var ticks = DateTime.ParseExact(ts, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal).Ticks;
        return new SinkLine(
            root.GetProperty("asset_id").GetString()!,
            root.GetProperty("metric").GetString()!,
            ticks, ts, root.GetProperty("value").Clone(),
            root.TryGetProperty("event", out var ev) ? ev.GetString() : null,
            json);
    }

    /// <summary>
    /// Complete lines written so far, without parsing: right after a kill -9 the active file may end in a torn
    /// line, which the sink truncates when it recovers; <see cref="Read"/> is for output after a clean stop.
    /// </summary>
    public static long CountCompleteLines(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        long n = 0;
        foreach (var file in Directory.GetFiles(directory, "*.jsonl"))
        {
            foreach (var b in File.ReadAllBytes(file)) if (b == (byte)'\n') n++;
        }
        return n;
    }

    /// <summary>
    /// Lines and distinct idempotent keys, read one line at a time without keeping the lines: for outputs of
    /// millions of points, which <see cref="Read"/> would hold as parsed documents.
    /// </summary>
    public static (long Lines, long DistinctKeys) CountKeys(string directory)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        long lines = 0;
        foreach (var file in Directory.GetFiles(directory, "*.jsonl"))
        {
            foreach (var line in File.ReadLines(file))
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                keys.Add(string.Concat(root.GetProperty("asset_id").GetString(), "|", root.GetProperty("metric").GetString(), "|", root.GetProperty("ts").GetString()));
                lines++;
            }
        }
        return (lines, keys.Count);
    }

    public static List<SinkLine> Telemetry(this List<SinkLine> lines) => lines.Where(l => l.Event is null).ToList();

    /// <summary>Asserts no idempotent key occurs twice, counting the keys that do and naming the first of them.</summary>
    public static void AssertNoDuplicates(IEnumerable<SinkLine> lines)
    {
        var dupes = lines.GroupBy(l => l.Key).Where(g => g.Count() > 1).Select(g => $"{g.Key} ×{g.Count()}").ToList();
        Assert.True(dupes.Count == 0, $"{dupes.Count} keys more than once in the sink, e.g. {string.Join(", ", dupes.Take(5))}");
    }
}
