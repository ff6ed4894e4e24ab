using System.Diagnostics;
using System.Text;

namespace EdgeTwin.TestSupport.Postgres;

/// <summary>
/// A real TimescaleDB for the tests (Debian ships no timescaledb package): PGlite, PostgreSQL compiled to WASM, with the
/// timescaledb extension, served over the PostgreSQL wire protocol by tests/peers/timescale-pglite (npm ci there, as
/// tests/run.sh does). PGlite is one session shared by every connection, so connections go without pooling (a pooled
/// connection's reset would discard the writer's temporary tables) and the test does not interleave transactions.
/// </summary>
public sealed class TimescalePglite : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public TimescalePglite()
    {
        var dir = RepoRoot.Combine("tests", "peers", "timescale-pglite");
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "@unni-craftsman", "pglite")))
            throw new InvalidOperationException($"{dir}: node_modules is missing; run `npm ci` there (tests/run.sh does)");
        Port = FreePort.Pick();
        var psi = new ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("server.mjs");
        psi.ArgumentList.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Wait.Until(() => Output.Contains("ready ", StringComparison.Ordinal) || _process.HasExited, TimeSpan.FromSeconds(120), () => "PGlite with timescaledb to start: " + Output);
        if (_process.HasExited) throw new InvalidOperationException("the PGlite server exited: " + Output);
        Version = Output[(Output.IndexOf("ready ", StringComparison.Ordinal) + 6)..].Split('\n')[0].Trim();
    }

    public int Port { get; }

    /// <summary>The timescaledb version the server offers.</summary>
    public string Version { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Password=postgres;Database=postgres;Pooling=false;SSL Mode=Disable;Timeout=30;Command Timeout=120";

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }
}
