using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>
/// The published daemon with its local API: started with a config, found at the address it logs ("API listening
/// on http://…"), and talked to over real HTTP.
/// </summary>
public sealed partial class ApiDaemon : IDisposable
{
    private ApiDaemon(GatewayProcess process, Uri baseUri)
    {
        Process = process;
        BaseUri = baseUri;
        Http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public GatewayProcess Process { get; }

    public Uri BaseUri { get; }

    public HttpClient Http { get; }

    /// <summary>Starts the daemon; relative paths in the config resolve against <paramref name="workingDirectory"/> (default: the test's).</summary>
    public static ApiDaemon Start(string configPath, string? workingDirectory = null)
    {
        var process = workingDirectory is null
            ? GatewayProcess.Start("run", "--config", configPath)
            : GatewayProcess.StartIn(workingDirectory, "run", "--config", configPath);
        try
        {
            Wait.Until(() => process.HasExited || ListeningUrl().IsMatch(process.Output), TimeSpan.FromSeconds(30), "the API to listen");
            if (process.HasExited) throw new InvalidOperationException($"the daemon exited ({process.ExitCode}) before its API listened:{Environment.NewLine}{process.Output}");
            var url = ListeningUrl().Match(process.Output).Groups[1].Value;
            // A wildcard bind is reached on loopback.
            url = url.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal);
            return new ApiDaemon(process, new Uri(url));
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    [GeneratedRegex(@"API listening on (http://\S+) ")]
    private static partial Regex ListeningUrl();

    public JsonElement GetJson(string path, int expectedStatus = 200)
    {
        using var response = Http.GetAsync(path).GetAwaiter().GetResult();
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        Assert.True((int)response.StatusCode == expectedStatus, $"GET {path}: {(int)response.StatusCode}, expected {expectedStatus}: {body}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public (int Status, string Body, HttpResponseMessage Response) Post(string path, string? bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        var response = Http.SendAsync(request).GetAwaiter().GetResult();
        return ((int)response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult(), response);
    }

    /// <summary>A GET's status, body and content type (media type and parameters).</summary>
    public (int Status, string Body, string ContentType) Get(string path)
    {
        using var response = Http.GetAsync(path).GetAwaiter().GetResult();
        return ((int)response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult(), response.Content.Headers.ContentType?.ToString() ?? "");
    }

    public static UnixFileMode FileModeOf(string path) =>
        OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException("file modes are Unix") : File.GetUnixFileMode(path);

    public string GetText(string path)
    {
        using var response = Http.GetAsync(path).GetAwaiter().GetResult();
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}: {body}");
        return body;
    }

    /// <summary>SIGTERM and the exit code; the daemon must stop within the timeout.</summary>
    public int Stop()
    {
        Process.Terminate();
        Assert.True(Process.WaitForExit(TimeSpan.FromSeconds(30)), "no exit after SIGTERM:" + Environment.NewLine + Process.Output);
        return Process.ExitCode;
    }

    public void Dispose()
    {
        Http.Dispose();
        Process.Dispose();
    }
}
