using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Gateway.Hosting;
using EdgeTwin.Gateway.Status;
using EdgeTwin.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeTwin.Gateway.Cli;

/// <summary>check-config, queue stats, quarantine list/replay: verbs a technician runs beside (or instead of) the daemon.</summary>
public static partial class OfflineCommands
{
    public static int CheckConfig(string path)
    {
        try
        {
            var config = ConfigLoader.LoadFile(path);
            Console.WriteLine($"{path}: OK — gateway '{config.Gateway.Id}', {ConfigSummary.Of(config)}; state in {config.Gateway.StateDirectory}; hash {ConfigLoader.Hash(config)}");
            foreach (var line in RelativePathNotes(config)) Console.WriteLine("  note: " + line);
            return ExitCodes.Ok;
        }
        catch (ConfigException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return ExitCodes.Config;
        }
        catch (ArgumentException ex)
        {
            // A simulator that cannot register its assets: a check only the simulator makes.
            Console.Error.WriteLine($"{path}: {ex.Message}");
            return ExitCodes.Config;
        }
    }

    /// <summary>Writes <paramref name="items"/> to stdout as one indented JSON array, for a verb's --json.</summary>
    private static int PrintJsonArray<T>(IEnumerable<T> items, Action<Utf8JsonWriter, T> write)
    {
        using var stdout = Console.OpenStandardOutput();
        using var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
        w.WriteStartArray();
        foreach (var item in items) write(w, item);
        w.WriteEndArray();
        w.Flush();
        Console.WriteLine();
        return ExitCodes.Ok;
    }

    /// <summary>One line per relative path: what it means here, and that a service started elsewhere reads it differently.</summary>
    public static IEnumerable<string> RelativePathNotes(EdgeTwinConfig config) =>
        ConfigLoader.RelativePathsOf(config).Select(r =>
            $"{r.JsonPath} \"{r.Value}\" is relative: here it is {r.Resolved}; relative paths follow the working directory, so a service started by systemd (in /) reads it as {Path.GetFullPath(r.Value, "/")}. Give an absolute path for a service.");

    public static int QueueStats(string? configPath, bool json)
    {
        if (!TryConfig(configPath, out var config, out var code)) return code;
        var statusPath = Path.Combine(config.Gateway.StateDirectory, StatusWriter.FileName);
        try
        {
            using var queue = DurableQueue.Open(config.ToQueueOptions(), NullLogger.Instance);
            var s = queue.GetStats();
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(QueueStatus.From(s), StatusJsonContext.Default.QueueStatus));
                return ExitCodes.Ok;
            }
            PrintStats(s, config.Gateway.StateDirectory, live: false);
            foreach (var problem in queue.Recovery.Problems) Console.WriteLine($"  recovery: {problem}");
            return ExitCodes.Ok;
        }
        catch (QueueLockedException)
        {
            // The daemon holds the queue: report what it last published instead of touching its database.
            if (!File.Exists(statusPath))
            {
                Console.Error.WriteLine($"edgetwin: the queue in {config.Gateway.StateDirectory} is in use and no {StatusWriter.FileName} is there yet; try again in a few seconds");
                return ExitCodes.TempFail;
            }
            var text = File.ReadAllText(statusPath);
            if (json)
            {
                Console.WriteLine(text);
                return ExitCodes.Ok;
            }
            var status = JsonSerializer.Deserialize(text, StatusJsonContext.Default.GatewayStatus)!;
            var q = status.Queue;
            Console.WriteLine($"Queue in {config.Gateway.StateDirectory} (live, from the running daemon pid {status.Pid}, updated {status.UpdatedUtc:O})");
            Console.WriteLine($"  {Depth(q.Segments, q.Points, q.Bytes, q.MaxBytes, q.FreeDiskBytes, q.Full)}");
            Console.WriteLine($"  oldest point {q.OldestPointUtc?.ToString("O") ?? "-"}, series {q.Series}, quarantine {q.QuarantineEntries}, loss ledger {q.LossRecords} record(s) ({q.OpenLossRecords} open) / {q.LostPoints} point(s)");
            if (q.RefusingAtFloor || q.FloorRefusals > 0) Console.WriteLine($"  free-disk floor: {q.FloorRefusals} commit(s) refused{(q.RefusingAtFloor ? ", refusing now (nothing left to drop)" : "")}");
            foreach (var sink in status.Sinks) Console.WriteLine($"  sink {sink.Key}: {sink.Value.State}, cursor {sink.Value.Cursor}, lag {sink.Value.LagPoints} points, forwarded {sink.Value.Forwarded}");
            var p = status.Pipeline;
            Console.WriteLine($"  pipeline: {p.ReadingsIn} in, {p.Accepted} committed, {p.Duplicates} duplicates, {p.Quarantined} quarantined, commit p99 {p.CommitP99Micros} µs");
            return ExitCodes.Ok;
        }
    }

    private static void PrintStats(QueueStats s, string directory, bool live)
    {
        Console.WriteLine($"Queue in {directory}{(live ? " (live)" : "")}");
        Console.WriteLine($"  {Depth(s.Segments, s.Points, s.Bytes, s.MaxBytes, s.FreeDiskBytes, s.Full)}");
        Console.WriteLine($"  oldest point {(s.OldestPointTicks > 0 ? new DateTime(s.OldestPointTicks, DateTimeKind.Utc).ToString("O") : "-")}, series {s.Series}, streams {s.Streams}");
        Console.WriteLine($"  quarantine {s.QuarantineEntries} entr{(s.QuarantineEntries == 1 ? "y" : "ies")}, loss ledger {s.LossRecords} record(s) ({s.OpenLossRecords} open) / {s.LostPoints} point(s)");
        foreach (var c in s.SinkCursors) Console.WriteLine($"  sink {c.Key}: cursor {c.Value}, lag {s.SinkLagPoints.GetValueOrDefault(c.Key)} points");
    }

    public static int QueueLoss(string? configPath, int limit, bool json)
    {
        if (!TryConfig(configPath, out var config, out var code)) return code;
        if (!TryOpen(config, out var queue, quiet: true)) return LiveLoss(config, limit, json);
        using (queue)
        {
            return PrintLoss(queue!.ListLoss(limit), json, "");
        }
    }

    /// <summary>The loss ledger as `queue loss` prints it, from the queue or from the running daemon (<paramref name="origin"/>).</summary>
    private static int PrintLoss(IReadOnlyList<LossRecord> records, bool json, string origin)
    {
        if (json)
        {
            return PrintJsonArray(records, (w, l) =>
            {
                w.WriteStartObject();
                w.WriteNumber("id", l.Id);
                w.WriteString("at", new DateTime(l.AtTicks, DateTimeKind.Utc));
                w.WriteString("asset_id", l.AssetId);
                w.WriteString("metric", l.Metric);
                w.WriteNumber("from_ticks", l.FromTicks);
                w.WriteNumber("to_ticks", l.ToTicks);
                w.WriteNumber("count", l.Count);
                w.WriteString("reason", l.Reason);
                w.WriteBoolean("open", l.Open);
                w.WriteString("opened_at", new DateTime(l.OpenedTicks, DateTimeKind.Utc));
                w.WriteEndObject();
            });
        }
        Console.WriteLine($"Loss ledger: {records.Count} record(s), newest first{origin}; each is a range of lost points of one series (asset/metric; (all) when coalesced)");
        foreach (var l in records)
        {
            var from = new DateTime(Math.Max(0, l.FromTicks), DateTimeKind.Utc);
            var to = new DateTime(Math.Max(0, l.ToTicks), DateTimeKind.Utc);
            var state = l.Open ? $"OPEN since {new DateTime(l.OpenedTicks, DateTimeKind.Utc):O}, extended {new DateTime(l.AtTicks, DateTimeKind.Utc):O}" : $"closed {new DateTime(l.AtTicks, DateTimeKind.Utc):O}";
            Console.WriteLine($"  #{l.Id} {l.AssetId}/{l.Metric}: {l.Count.ToString("N0", CultureInfo.InvariantCulture)} point(s) lost from {from:O} to {to:O} ({Span(to - from)}); {state} — {l.Reason}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>The digital shadow as restored from the queue: the latest value per asset and metric.</summary>
    public static int Shadow(string? configPath, string? asset, bool json)
    {
        if (!TryConfig(configPath, out var config, out var code)) return code;
        if (!TryOpen(config, out var queue)) return ExitCodes.TempFail;
        using (queue)
        {
            var latest = queue!.Dedup.Series
                .Where(s => asset is null || s.Key.AssetId == asset)
                .Select(s => s.Latest)
                .Where(p => p is not null && p.Value.Stream.EventKind == EventKind.None)
                .Select(p => p!.Value)
                .OrderBy(p => p.Stream.AssetId, StringComparer.Ordinal).ThenBy(p => p.Stream.Metric, StringComparer.Ordinal)
                .ToList();
            if (json)
            {
                var writer = new Core.Wire.WirePointWriter(config.Gateway.Id);
                var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                foreach (var p in latest) writer.Write(p, buffer);
                using var stdout = Console.OpenStandardOutput();
                stdout.Write(buffer.WrittenSpan);
                return ExitCodes.Ok;
            }
            Console.WriteLine($"Digital shadow: {latest.Count} series{(asset is null ? "" : $" of asset {asset}")}");
            foreach (var p in latest)
            {
                var unit = p.Stream.Tags.FirstOrDefault(t => t.Key == "unit").Value;
                Console.WriteLine($"  {p.Stream.AssetId,-20} {p.Stream.Metric,-16} {p.Value,14} {unit,-6} {QualityCodes.ToWire(p.Quality),-9} {p.Timestamp:O}");
            }
            return ExitCodes.Ok;
        }
    }

    public static int QuarantineList(string? configPath, string? reasonText, int limit, bool json)
    {
        if (!TryConfig(configPath, out var config, out var code)) return code;
        if (!TryReason(reasonText, out var reason)) return ExitCodes.Usage;
        if (!TryOpen(config, out var queue, quiet: true)) return LiveQuarantine(config, reasonText, limit, json);
        using (queue)
        {
            var records = queue!.ListQuarantine(limit, reason);
            var total = queue.GetStats().QuarantineEntries;
            if (json)
            {
                return PrintJsonArray(records, WriteRecord);
            }
            Console.WriteLine($"{total} quarantined entr{(total == 1 ? "y" : "ies")}{(reason is null ? "" : $", showing reason {reasonText}")} (first {records.Count}):");
            foreach (var r in records)
            {
                PrintQuarantineEntry(r.Id, new DateTime(r.ReceivedTicks, DateTimeKind.Utc), QuarantineReasons.ToText(r.Reason), r.SourceName, r.Detail, r.Reading.Raw);
            }
            return ExitCodes.Ok;
        }
    }

    public static int QuarantineReplay(string? configPath, string? reasonText, int limit)
    {
        if (!TryConfig(configPath, out var config, out var code)) return code;
        if (!TryReason(reasonText, out var reason)) return ExitCodes.Usage;
        GatewayRuntime runtime;
        try
        {
            runtime = GatewayRuntime.Open(config, "replay", NullLoggerFactory.Instance, TimeProvider.System);
        }
        catch (QueueLockedException ex)
        {
            Console.Error.WriteLine($"edgetwin: {ex.Message}. Replay through the running daemon instead (POST /api/quarantine/replay with its API token, " +
                $"e.g. curl -X POST -H \"Authorization: Bearer $(cat {Path.Combine(config.Gateway.StateDirectory, "api-token")})\" http://{config.Api.Address}:{config.Api.Port}/api/quarantine/replay), or stop it (systemctl stop edgetwin) and replay again.");
            return ExitCodes.TempFail;
        }
        using (runtime)
        {
            var records = runtime.Queue.ListQuarantine(limit, reason);
            var request = new CommitRequest();
            var (cured, remaining, duplicates) = runtime.Processor.Replay(records, request);
            runtime.Queue.Commit(request);
            runtime.Queue.Maintain(force: true);
            Console.WriteLine($"Replayed {records.Count} quarantined entr{(records.Count == 1 ? "y" : "ies")} with the current configuration: " +
                $"{cured} cured ({cured - duplicates} queued as points, {duplicates} already present), {remaining} still quarantined.");
            return remaining == 0 ? ExitCodes.Ok : ExitCodes.DataError;
        }
    }

    private static void WriteRecord(Utf8JsonWriter w, QuarantineRecord r)
    {
        w.WriteStartObject();
        w.WriteNumber("id", r.Id);
        w.WriteString("received", new DateTime(r.ReceivedTicks, DateTimeKind.Utc));
        w.WriteString("reason", QuarantineReasons.ToText(r.Reason));
        w.WriteString("detail", r.Detail);
        w.WriteString("source", r.SourceName);
        w.WriteString("address", r.Reading.Address);
        if (r.Reading.AssetId is not null) w.WriteString("asset_id", r.Reading.AssetId);
        if (r.Reading.Metric is not null) w.WriteString("metric", r.Reading.Metric);
        if (r.Reading.TimestampTicks > 0) w.WriteString("ts", new DateTime(r.Reading.TimestampTicks, DateTimeKind.Utc));
        switch (r.Reading.Value.Kind)
        {
            case PointValueKind.Number:
                var n = r.Reading.Value.Number;
                if (double.IsFinite(n)) w.WriteNumber("value", n); else w.WriteString("value", n.ToString(CultureInfo.InvariantCulture));
                break;
            case PointValueKind.Boolean: w.WriteBoolean("value", r.Reading.Value.Boolean); break;
            case PointValueKind.String: w.WriteString("value", r.Reading.Value.Text); break;
            case PointValueKind.Array:
                w.WritePropertyName("value");
                Core.Wire.WireValues.WriteArray(w, r.Reading.Value.Array);
                break;
            case PointValueKind.Structure:
                w.WritePropertyName("value");
                w.WriteRawValue(r.Reading.Value.StructureJson, skipInputValidation: true);
                break;
        }
        if (r.Reading.Raw is not null) w.WriteString("raw", r.Reading.Raw);
        w.WriteEndObject();
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : string.Concat(s.AsSpan(0, max), "…");

    private static bool TryConfig(string? path, out EdgeTwinConfig config, out int code)
    {
        try
        {
            (config, _) = ConfigSource.Resolve(path);
            code = 0;
            return true;
        }
        catch (ConfigException ex)
        {
            Console.Error.WriteLine(ex.Message);
            config = null!;
            code = ExitCodes.Config;
            return false;
        }
    }

    private static bool TryReason(string? text, out QuarantineReason? reason)
    {
        reason = null;
        if (text is null) return true;
        if (QuarantineReasons.TryParse(text, out var r))
        {
            reason = r;
            return true;
        }
        var known = new StringBuilder();
        foreach (var v in Enum.GetValues<QuarantineReason>()) known.Append(' ').Append(QuarantineReasons.ToText(v));
        Console.Error.WriteLine($"edgetwin: unknown reason '{text}'; known:{known}");
        return false;
    }

    /// <summary>Opens the queue; false when the daemon holds it (said on stderr unless <paramref name="quiet"/>: the caller asks the daemon instead).</summary>
    private static bool TryOpen(EdgeTwinConfig config, out DurableQueue? queue, bool quiet = false)
    {
        try
        {
            queue = DurableQueue.Open(config.ToQueueOptions(), NullLogger.Instance);
            return true;
        }
        catch (QueueLockedException ex)
        {
            if (!quiet) Console.Error.WriteLine($"edgetwin: {ex.Message}. Stop the daemon first, or read its status with 'edgetwin queue stats'.");
            queue = null;
            return false;
        }
    }

    /// <summary>A range's length as people read it: "1 h 5 min 3 s", "250 ms".</summary>
    private static string Span(TimeSpan t)
    {
        if (t < TimeSpan.FromSeconds(1)) return $"{(long)t.TotalMilliseconds} ms";
        var parts = new List<string>();
        if (t.Days > 0) parts.Add($"{t.Days} d");
        if (t.Hours > 0) parts.Add($"{t.Hours} h");
        if (t.Minutes > 0) parts.Add($"{t.Minutes} min");
        if (t.Seconds > 0 || parts.Count == 0) parts.Add($"{t.Seconds} s");
        return string.Join(' ', parts);
    }
}
