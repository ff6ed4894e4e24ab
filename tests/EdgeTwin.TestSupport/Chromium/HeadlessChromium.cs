using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace EdgeTwin.TestSupport.Chromium;

/// <summary>
/// The Debian <c>chromium</c>, headless, driven over the Chrome DevTools protocol (a WebSocket to one page
/// target): navigate, evaluate JavaScript in the page, collect uncaught exceptions, take screenshots. Started
/// with a fresh profile and with every feature that phones home turned off (the network is closed here).
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    public const string Executable = "/usr/bin/chromium";
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly StringBuilder _log = new();
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Uncaught exceptions and console errors the page reported.</summary>
    public ConcurrentQueue<string> PageErrors { get; } = new();

    /// <summary>
    /// <c>chromium --headless</c> with one action (<c>--dump-dom</c>, <c>--screenshot=…</c>) on <paramref name="url"/>,
    /// as the README gives the command, in a fresh profile; returns what it printed.
    /// </summary>
    public static string RunOnce(string action, Uri url)
    {
        var profile = Path.Combine(Path.GetTempPath(), "edgetwin-chromium-" + Guid.NewGuid().ToString("N")[..12]);
        var psi = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile, "--window-size=1280,1200", action, url.ToString() }) psi.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + Executable);
            var stderr = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(60_000)) throw new TimeoutException($"chromium {action} did not finish within 60 s");
            return output;
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { }
        }
    }

    public static HeadlessChromium Launch(int width = 1400, int height = 1600)
    {
        if (!File.Exists(Executable)) throw new InvalidOperationException($"{Executable} is missing: tests/run.sh installs the Debian package 'chromium'");
        var profile = Path.Combine(Path.GetTempPath(), "edgetwin-chromium-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(profile);
        var psi = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--disable-extensions", "--mute-audio",
            "--hide-scrollbars", $"--window-size={width},{height}", "--user-data-dir=" + profile, "--remote-debugging-port=0", "about:blank",
        })
        {
            psi.ArgumentList.Add(a);
        }
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + Executable);
        var browser = new HeadlessChromium(process, profile);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (browser._log) browser._log.AppendLine(e.Data); };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (browser._log) browser._log.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            browser.Attach();
            return browser;
        }
        catch
        {
            browser.Dispose();
            throw;
        }
    }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    private void Attach()
    {
        // Chromium writes the port it picked to DevToolsActivePort in the profile.
        var portFile = Path.Combine(_profile, "DevToolsActivePort");
        Wait.Until(() => _process.HasExited || (File.Exists(portFile) && File.ReadAllText(portFile).Contains('\n', StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "chromium's DevTools port");
        if (_process.HasExited) throw new InvalidOperationException("chromium exited at start:" + Environment.NewLine + Log);
        var port = int.Parse(File.ReadAllLines(portFile)[0], System.Globalization.CultureInfo.InvariantCulture);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string? pageSocket = null;
        Wait.Until(() =>
        {
            var targets = JsonNode.Parse(http.GetStringAsync($"http://127.0.0.1:{port}/json/list").GetAwaiter().GetResult())!.AsArray();
            pageSocket = targets.FirstOrDefault(t => (string?)t!["type"] == "page")?["webSocketDebuggerUrl"]?.GetValue<string>();
            return pageSocket is not null;
        }, TimeSpan.FromSeconds(20), "chromium's page target");
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
        _socket.ConnectAsync(new Uri(pageSocket!), CancellationToken.None).GetAwaiter().GetResult();
        _ = Task.Run(ReceiveLoop);
        Send("Runtime.enable");
        Send("Page.enable");
        Send("Log.enable");
    }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                var json = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                if (json["id"] is { } id && _pending.TryRemove(id.GetValue<int>(), out var waiter)) waiter.TrySetResult(json);
                else if ((string?)json["method"] == "Runtime.exceptionThrown") PageErrors.Enqueue(json["params"]!["exceptionDetails"]!.ToJsonString());
                else if ((string?)json["method"] == "Log.entryAdded" && (string?)json["params"]!["entry"]!["level"] == "error") PageErrors.Enqueue(json["params"]!["entry"]!.ToJsonString());
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // Closing.
        }
        foreach (var p in _pending.Values) p.TrySetException(new InvalidOperationException("the DevTools connection closed"));
    }

    /// <summary>Sends a DevTools command and returns its result (throws on a protocol error).</summary>
    public JsonObject Send(string method, JsonObject? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var waiter = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = waiter;
        var payload = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        lock (_socket)
        {
            _socket.SendAsync(Encoding.UTF8.GetBytes(payload.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None).GetAwaiter().GetResult();
        }
        if (!waiter.Task.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException($"chromium did not answer {method}");
        var response = waiter.Task.Result;
        if (response["error"] is { } error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
        return response["result"]!.AsObject();
    }

    public void Navigate(Uri url)
    {
        Send("Page.navigate", new JsonObject { ["url"] = url.ToString() });
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its JSON value (null for undefined).</summary>
    public JsonNode? Evaluate(string expression)
    {
        var result = Send("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result["exceptionDetails"] is { } ex) throw new InvalidOperationException($"page script failed: {ex.ToJsonString()}");
        return result["result"]!["value"]?.DeepClone();
    }

    /// <summary>Polls <paramref name="expression"/> until it evaluates to true (a script error, such as an element not there yet, counts as false).</summary>
    public void WaitFor(string expression, TimeSpan timeout, string what)
    {
        string? lastError = null;
        try
        {
            Wait.Until(() =>
            {
                try
                {
                    return Evaluate(expression) is JsonValue v && v.TryGetValue<bool>(out var b) && b;
                }
                catch (InvalidOperationException ex) when (ex.Message.StartsWith("page script failed", StringComparison.Ordinal))
                {
                    lastError = ex.Message;
                    return false;
                }
            }, timeout, what);
        }
        catch (TimeoutException ex) when (lastError is not null)
        {
            throw new TimeoutException(ex.Message + "; last script error: " + lastError, ex);
        }
    }

    /// <summary>A PNG of the whole page.</summary>
    public byte[] Screenshot()
    {
        var result = Send("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        return Convert.FromBase64String(result["data"]!.GetValue<string>());
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium's helpers may still hold files for a moment; /tmp is cleared eventually.
        }
    }
}
