using System.Text.Json;

namespace EdgeTwin.Gateway.Doctor;

/// <summary>A network endpoint named in the configuration, with the JSON path where it was found.</summary>
public sealed record ConfiguredEndpoint(string JsonPath, string Scheme, string Host, int Port);

/// <summary>
/// Finds every network endpoint in a configuration document, whatever connector it belongs to: URL strings with
/// a host (opc.tcp://, mqtt://, mqtts://, tcp://, kafka://, http(s)://; the scheme's well-known port when none is
/// given), and "host:port[,host:port]" lists under keys that name servers or brokers (Kafka's bootstrap list).
/// New connectors are covered without changes here: their endpoints are found where their settings put them.
/// </summary>
public static class EndpointFinder
{
    private static readonly Dictionary<string, int> DefaultPorts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["opc.tcp"] = 4840, ["mqtt"] = 1883, ["mqtts"] = 8883, ["tcp"] = 0, ["ssl"] = 0, ["kafka"] = 9092,
        ["http"] = 80, ["https"] = 443, ["ws"] = 80, ["wss"] = 443, ["postgres"] = 5432, ["postgresql"] = 5432, ["neo4j"] = 7687, ["bolt"] = 7687,
    };

    public static List<ConfiguredEndpoint> Find(JsonElement root)
    {
        var found = new List<ConfiguredEndpoint>();
        Walk(root, "$", null, found);
        return found;
    }

    private static void Walk(JsonElement e, string path, string? key, List<ConfiguredEndpoint> found)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Walk(p.Value, $"{path}.{p.Name}", p.Name, found);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray()) Walk(item, $"{path}[{i++}]", key, found);
                break;
            case JsonValueKind.String:
                AddFromString(e.GetString()!, path, key, found);
                break;
        }
    }

    private static void AddFromString(string text, string path, string? key, List<ConfiguredEndpoint> found)
    {
        if (text.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host)) return;
            if (!DefaultPorts.TryGetValue(uri.Scheme, out var defaultPort)) return;
            var port = uri.IsDefaultPort || uri.Port <= 0 ? defaultPort : uri.Port;
            if (port > 0) found.Add(new ConfiguredEndpoint(path, uri.Scheme, uri.Host, port));
            return;
        }
        if (key is null || !NamesServers(key)) return;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535) continue;
            found.Add(new ConfiguredEndpoint(path, "tcp", part[..colon].Trim('[', ']'), port));
        }
    }

    private static bool NamesServers(string key) =>
        key.Contains("server", StringComparison.OrdinalIgnoreCase) || key.Contains("broker", StringComparison.OrdinalIgnoreCase) ||
        key.Contains("endpoint", StringComparison.OrdinalIgnoreCase) || key.Contains("host", StringComparison.OrdinalIgnoreCase);
}
