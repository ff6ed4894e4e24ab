using System.Diagnostics;
using System.Text;

namespace EdgeTwin.TestSupport.OpcUa;

/// <summary>
/// The node-opcua server of tests/peers/opcua-server, started on a free loopback port. It fails loudly when
/// node, the installed packages or the server itself are missing; tests/run.sh installs them.
/// </summary>
public sealed class OpcUaTestServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private OpcUaTestServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The URL to connect to (loopback; the server announces its host name instead).</summary>
    public string EndpointUrl => $"opc.tcp://127.0.0.1:{Port}/UA/EdgeTwinTest";

    /// <summary>The server's NamespaceArray as it printed it at start.</summary>
    public IReadOnlyList<string> Namespaces { get; private set; } = [];

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string PeerDirectory => RepoRoot.Combine("tests", "peers", "opcua-server");

    public static Task<OpcUaTestServer> StartAsync(params string[] arguments) => StartOnPortAsync(FreePort.Pick(), arguments);

    /// <summary>Starts on a given port: a restart of a killed server where the client expects it.</summary>
    public static async Task<OpcUaTestServer> StartOnPortAsync(int port, params string[] arguments)
    {
        var peer = PeerDirectory;
        if (!Directory.Exists(Path.Combine(peer, "node_modules", "node-opcua")))
        {
            throw new InvalidOperationException($"node-opcua is not installed in {peer}: run tests/run.sh (or `npm ci` there)");
        }

        var pki = Path.Combine(Path.GetTempPath(), "edgetwin-opcua-pki");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = peer,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "server.js", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--pki", pki }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var server = new OpcUaTestServer(process, port);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var ready = await Task.WhenAny(server._listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(90))).ConfigureAwait(false);
        if (ready != server._listening.Task)
        {
            var output = server.Output;
            await server.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"the node-opcua test server did not start listening on port {port}:\n{output}");
        }

        return server;
    }

    /// <summary>Kills the server at once, as a crash would.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync().ConfigureAwait(false);
        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("NAMESPACES ", StringComparison.Ordinal))
        {
            Namespaces = line["NAMESPACES ".Length..].Trim('[', ']').Split(',').Select(s => s.Trim('"')).ToArray();
        }
        else if (line.StartsWith("LISTENING ", StringComparison.Ordinal))
        {
            _listening.TrySetResult(line["LISTENING ".Length..]);
        }
    }
}
