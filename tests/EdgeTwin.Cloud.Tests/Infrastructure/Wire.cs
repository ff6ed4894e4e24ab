using System.Globalization;
using System.Text.Json;

namespace EdgeTwin.Cloud.Tests.Infrastructure;

/// <summary>Messages as the gateway writes them (schema 1.0), for tests that produce their own.</summary>
public static class Wire
{
    public static readonly DateTime Epoch = new(2026, 11, 24, 3, 0, 0, DateTimeKind.Utc);

    public static string Ts(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Point <paramref name="i"/> of a series: 100 ns + i ms after <see cref="Epoch"/>, so the 100 ns digit matters.</summary>
    public static DateTime TimeOf(int i) => Epoch.AddTicks(1 + (i * 10_000L));

    public static string Point(string asset, string metric, DateTime ts, object value, string? model = null, string? version = null,
        string? evt = null, DateTime? tsEnd = null, string gateway = "gw-test", Dictionary<string, string>? tags = null, bool replayed = false)
    {
        var o = new Dictionary<string, object>
        {
            ["schema_version"] = "1.0",
            ["gateway_id"] = gateway,
            ["asset_id"] = asset,
            ["metric"] = metric,
            ["ts"] = Ts(ts),
            ["value"] = value,
            ["quality"] = "good",
            ["status_code"] = 0,
            ["source"] = $"sim:{asset}/{metric}",
        };
        if (tags is not null) o["tags"] = tags;
        if (model is not null) o["model"] = model;
        if (version is not null) o["model_version"] = version;
        if (evt is not null) o["event"] = evt;
        if (tsEnd is { } end) o["ts_end"] = Ts(end);
        if (replayed) o["replayed"] = true;
        return JsonSerializer.Serialize(o);
    }

    public static string Asset(string id, string name, string? parent, string? modelVersion = null, string gateway = "gw-test") =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["schema_version"] = "1.0",
            ["gateway_id"] = gateway,
            ["asset_id"] = id,
            ["name"] = name,
            ["parent"] = parent,
            ["model_version"] = modelVersion,
        }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value));
}
