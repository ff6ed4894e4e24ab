using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace EdgeTwin.Cloud.Tests.Infrastructure;

/// <summary>
/// <c>edgetwin-cloud</c> as its own process (built next to the tests), so that it can be killed with -9 or stopped
/// with SIGTERM like the real service; its output is kept for assertions and failure messages.
/// </summary>
public sealed class CloudProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private CloudProcess(Process process, int apiPort)
    {
        _process = process;
        ApiPort = apiPort;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "edgetwin-cloud.dll");

    public int ApiPort { get; }

    public Uri Api => new($"http://127.0.0.1:{ApiPort}/api/v1/");

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>A configuration for the service: the mock cluster, the test's database, the API on a free port.</summary>
    public static string WriteConfig(string dir, string bootstrap, string connectionString, string? token = null, int batchMessages = 2000,
        string group = "edgetwin-cloud", int? apiPort = null)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"cloud-{Guid.NewGuid():N}.json");
        var config = new JsonObject
        {
            ["kafka"] = new JsonObject { ["bootstrapServers"] = bootstrap, ["groupId"] = group },
            ["postgres"] = new JsonObject { ["connectionString"] = connectionString },
            ["ingest"] = new JsonObject { ["batchMessages"] = batchMessages, ["batchMilliseconds"] = 50, ["retryMaxSeconds"] = 1 },
            ["api"] = new JsonObject { ["listen"] = $"http://127.0.0.1:{apiPort ?? FreePort.Pick()}", ["token"] = token },
        };
        File.WriteAllText(path, "// written by a test\n" + config.ToJsonString());
        return path;
    }

    public static CloudProcess Start(string configPath)
    {
        var port = new Uri(System.Text.Json.JsonDocument.Parse(File.ReadAllText(configPath), new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })
            .RootElement.GetProperty("api").GetProperty("listen").GetString()!).Port;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Dll, "run", "--config", configPath }) psi.ArgumentList.Add(a);
        return new CloudProcess(Process.Start(psi)!, port);
    }

    /// <summary>Runs a verb to completion: its exit code and output.</summary>
    public static (int Code, string Output) Run(TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"edgetwin-cloud {string.Join(' ', args)} did not finish within {timeout}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>SIGKILL: no chance to finish a batch or commit an offset.</summary>
    public void Kill9()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM and wait for a graceful exit.</summary>
    public void Terminate(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        if (!_process.WaitForExit((int)timeout.TotalMilliseconds)) throw new TimeoutException("edgetwin-cloud did not stop on SIGTERM:" + Environment.NewLine + Output);
    }

    public string Get(string relative)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return http.GetStringAsync(new Uri(Api, relative)).GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

}
