using System.Globalization;
using System.Text.Json;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Storage;

namespace EdgeTwin.Gateway.Cli;

/// <summary>
/// `quarantine list` and `queue loss` while the daemon holds the queue: the same listing, read through the running
/// daemon's local API (GET /api/quarantine, GET /api/queue?loss=N) instead of the database it has locked.
/// </summary>
public static partial class OfflineCommands
{
    private static int LiveQuarantine(EdgeTwinConfig config, string? reasonText, int limit, bool json)
    {
        var query = $"/api/quarantine?limit={Math.Clamp(limit, 1, Api.ApiEndpoints.MaxListLimit)}" + (reasonText is null ? "" : "&reason=" + Uri.EscapeDataString(reasonText));
        if (!TryAskDaemon(config, query, out var doc, out var url)) return ExitCodes.TempFail;
        using (doc)
        {
            var root = doc!.RootElement;
            var entries = root.GetProperty("entries").EnumerateArray().ToList();
            if (json)
            {
                return PrintJsonArray(entries, WriteLiveRecord);
            }
            var total = root.GetProperty("total").GetInt64();
            Console.WriteLine($"{total} quarantined entr{(total == 1 ? "y" : "ies")}{(reasonText is null ? "" : $", showing reason {reasonText}")} (first {entries.Count}; live, from the running daemon at {url}):");
            foreach (var e in entries)
            {
                PrintQuarantineEntry(e.GetProperty("id").GetInt64(), e.GetProperty("received").GetDateTime(), e.GetProperty("reason").GetString()!,
                    e.GetProperty("source").GetString()!, e.GetProperty("detail").GetString()!, e.TryGetProperty("raw", out var raw) ? raw.GetString() : null);
            }
            return ExitCodes.Ok;
        }
    }

    private static int LiveLoss(EdgeTwinConfig config, int limit, bool json)
    {
        if (!TryAskDaemon(config, $"/api/queue?loss={Math.Clamp(limit, 0, Api.ApiEndpoints.MaxListLimit)}", out var doc, out var url)) return ExitCodes.TempFail;
        using (doc)
        {
            // The API's records, read back into the queue's own type, print exactly as from a stopped queue.
            var records = doc!.RootElement.GetProperty("recentLoss").EnumerateArray().Select(l =>
                new LossRecord(l.GetProperty("at").GetDateTime().Ticks, l.GetProperty("assetId").GetString()!, l.GetProperty("metric").GetString()!,
                    l.GetProperty("from").GetDateTime().Ticks, l.GetProperty("to").GetDateTime().Ticks, l.GetProperty("count").GetInt64(), l.GetProperty("reason").GetString()!)
                {
                    Id = l.GetProperty("id").GetInt64(),
                    Open = l.GetProperty("open").GetBoolean(),
                    OpenedTicks = l.GetProperty("openedAt").GetDateTime().Ticks,
                }).ToList();
            return PrintLoss(records, json, $" (live, from the running daemon at {url})");
        }
    }

    /// <summary>Asks the daemon that holds the queue; on failure says why and that stopping it is the way left (exit 75).</summary>
    private static bool TryAskDaemon(EdgeTwinConfig config, string pathAndQuery, out JsonDocument? doc, out string url)
    {
        doc = null;
        url = "";
        using var api = DaemonApi.Find(config, out var why);
        if (api is not null)
        {
            url = api.BaseUrl;
            doc = api.Get(pathAndQuery, out why);
            if (doc is not null) return true;
        }
        Console.Error.WriteLine($"edgetwin: the queue in {config.Gateway.StateDirectory} is held by the running daemon, and it cannot be asked: {why}. " +
            "Stop the daemon first (systemctl stop edgetwin), or read its status with 'edgetwin queue stats'.");
        return false;
    }

    private static void WriteLiveRecord(Utf8JsonWriter w, JsonElement e)
    {
        w.WriteStartObject();
        w.WriteNumber("id", e.GetProperty("id").GetInt64());
        w.WriteString("received", e.GetProperty("received").GetDateTime());
        w.WriteString("reason", e.GetProperty("reason").GetString());
        w.WriteString("detail", e.GetProperty("detail").GetString());
        w.WriteString("source", e.GetProperty("source").GetString());
        w.WriteString("address", e.GetProperty("address").GetString());
        if (e.TryGetProperty("assetId", out var asset)) w.WriteString("asset_id", asset.GetString());
        if (e.TryGetProperty("metric", out var metric)) w.WriteString("metric", metric.GetString());
        if (e.TryGetProperty("ts", out var ts)) w.WriteString("ts", ts.GetDateTime());
        if (e.TryGetProperty("value", out var value) && value.ValueKind != JsonValueKind.Null)
        {
            w.WritePropertyName("value");
            value.WriteTo(w);
        }
        if (e.TryGetProperty("raw", out var raw)) w.WriteString("raw", raw.GetString());
        w.WriteEndObject();
    }

    private static void PrintQuarantineEntry(long id, DateTime received, string reason, string source, string detail, string? raw)
    {
        Console.WriteLine($"  #{id} {received.ToUniversalTime():O} {reason} [{source}] {detail}");
        if (raw is { Length: > 0 } && reason != "corrupt_record") Console.WriteLine($"      raw: {Truncate(raw, 200)}");
    }

    /// <summary>"12 segment(s), 48,000 points, 1.2 MiB of 256 MiB, 40.1 GiB free disk": segment ids are internal and left out.</summary>
    internal static string Depth(long segments, long points, long bytes, long maxBytes, long freeDisk, bool full) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{(segments == 0 ? "empty: 0 segments" : $"{segments:N0} segment(s)")}, {points:N0} point(s), {Bytes(bytes)} of {Bytes(maxBytes)}, {Bytes(freeDisk)} free disk{(full ? ", FULL" : "")}");

    internal static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B") : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
