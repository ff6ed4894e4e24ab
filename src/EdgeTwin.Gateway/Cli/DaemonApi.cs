using System.Net.Sockets;
using System.Text.Json;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Gateway.Hosting;
using EdgeTwin.Gateway.Status;

namespace EdgeTwin.Gateway.Cli;

/// <summary>
/// The running daemon's local API, for the verbs that cannot open a queue the daemon holds: its address is the one
/// status.json names (the port actually bound), else $.api.address and $.api.port.
/// </summary>
internal sealed class DaemonApi : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http;

    private DaemonApi(string baseUrl)
    {
        BaseUrl = baseUrl;
        _http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = RequestTimeout };
    }

    public string BaseUrl { get; }

    /// <summary>The daemon's API, or null with the reason it cannot be reached from here.</summary>
    public static DaemonApi? Find(EdgeTwinConfig config, out string why)
    {
        why = "";
        string? url = null;
        var statusPath = Path.Combine(config.Gateway.StateDirectory, StatusWriter.FileName);
        try
        {
            if (File.Exists(statusPath)) url = JsonSerializer.Deserialize(File.ReadAllText(statusPath), StatusJsonContext.Default.GatewayStatus)?.ApiUrl;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            // Being rewritten or unreadable: fall back on the configuration.
        }
        if (url is null)
        {
            if (!config.Api.Enabled)
            {
                why = "its local API is off ($.api.enabled is false)";
                return null;
            }
            if (config.Api.Port == 0)
            {
                why = $"its API port is picked at start ($.api.port is 0) and {statusPath} does not name it yet";
                return null;
            }
            var host = config.Api.Address.Contains(':', StringComparison.Ordinal) ? $"[{config.Api.Address}]" : config.Api.Address;
            url = $"http://{host}:{config.Api.Port}";
        }
        // A wildcard bind is reached on loopback.
        url = url.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal);
        return new DaemonApi(url.TrimEnd('/'));
    }

    /// <summary>GETs a JSON document; null with the reason when the daemon does not answer with 200.</summary>
    public JsonDocument? Get(string pathAndQuery, out string why)
    {
        why = "";
        try
        {
            using var response = _http.GetAsync(pathAndQuery).GetAwaiter().GetResult();
            var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode)
            {
                why = $"GET {BaseUrl}{pathAndQuery} answered {(int)response.StatusCode}: {body.Trim()}";
                return null;
            }
            return JsonDocument.Parse(body);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or SocketException or JsonException)
        {
            why = $"GET {BaseUrl}{pathAndQuery} failed: {ex.Message}";
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
