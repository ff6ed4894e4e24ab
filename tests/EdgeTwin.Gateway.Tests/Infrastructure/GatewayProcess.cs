using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>A running <c>edgetwin</c> process with its output captured, that tests can SIGTERM or kill -9.</summary>
public sealed partial class GatewayProcess : IDisposable
{
    private readonly Process _process;
    // Each line with when it arrived; Output is their text.
    private readonly List<(DateTime At, string Line)> _lines = [];

    private GatewayProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Received(e.Data);
        _process.ErrorDataReceived += (_, e) => Received(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static GatewayProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Starts the binary inside <paramref name="cgroup"/>, as edgetwin.service's MemoryMax= runs it.</summary>
    public static GatewayProcess StartInCgroup(Cli.MemoryCgroup cgroup, params string[] args) =>
        Launch(new Dictionary<string, string>(), [.. cgroup.CommandFor(GatewayBinary.Path, args)]);

    /// <summary>Starts the binary with extra environment variables (NOTIFY_SOCKET, WATCHDOG_USEC...).</summary>
    public static GatewayProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Launch(environment, [GatewayBinary.Path, .. args]);

    /// <summary>
    /// Starts the binary with SIGHUP, SIGINT and SIGTERM blocked, as a parent thread that blocks signals would
    /// leave them: python3 blocks them and execs the gateway in the same process (same pid).
    /// </summary>
    public static GatewayProcess StartWithSignalsBlocked(params string[] args) =>
        StartAfter("signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP, signal.SIGINT, signal.SIGTERM})", args);

    /// <summary>Starts the binary with SIGHUP ignored, as nohup leaves it (python3 ignores it and execs the gateway).</summary>
    public static GatewayProcess StartWithHangupIgnored(params string[] args) =>
        StartAfter("signal.signal(signal.SIGHUP, signal.SIG_IGN)", args);

    /// <summary>
    /// Starts the binary with SIGINT ignored, as a shell leaves a background job (<c>edgetwin run &amp;</c> in a
    /// script): python3 ignores it and execs the gateway.
    /// </summary>
    public static GatewayProcess StartWithInterruptIgnored(params string[] args) =>
        StartAfter("signal.signal(signal.SIGINT, signal.SIG_IGN)", args);

    private static GatewayProcess StartAfter(string pythonStatement, string[] args) =>
        Launch(new Dictionary<string, string>(),
            ["python3", "-c", $"import os, signal, sys; {pythonStatement}; os.execv(sys.argv[1], sys.argv[1:])", GatewayBinary.Path, .. args]);

    /// <summary>Starts the binary in <paramref name="workingDirectory"/>, with no $EDGETWIN_CONFIG (so a verb without --config takes the embedded demo).</summary>
    public static GatewayProcess StartIn(string workingDirectory, params string[] args) =>
        Launch(new Dictionary<string, string>(), [GatewayBinary.Path, .. args], workingDirectory);

    /// <summary>Runs the binary to completion in <paramref name="workingDirectory"/> (see <see cref="StartIn"/>).</summary>
    public static (int ExitCode, string Output) RunIn(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        using var p = StartIn(workingDirectory, args);
        if (!p.WaitForExit(timeout))
        {
            p.Kill();
            throw new TimeoutException($"edgetwin {string.Join(' ', args)} did not finish within {timeout}:{Environment.NewLine}{p.Output}");
        }
        return (p.ExitCode, p.Output);
    }

    private static GatewayProcess Launch(IReadOnlyDictionary<string, string> environment, string[] command, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
            psi.Environment.Remove("EDGETWIN_CONFIG");
        }
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment.Remove("JOURNAL_STREAM");
        psi.Environment.Remove("INVOCATION_ID");
        psi.Environment.Remove("NOTIFY_SOCKET");
        psi.Environment.Remove("WATCHDOG_USEC");
        psi.Environment.Remove("WATCHDOG_PID");
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        return new GatewayProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start " + command[0]));
    }

    /// <summary>Runs the binary to completion and returns its exit code and combined output.</summary>
    public static (int ExitCode, string Output) Run(TimeSpan timeout, params string[] args)
    {
        using var p = Start(args);
        if (!p.WaitForExit(timeout))
        {
            p.Kill();
            throw new TimeoutException($"edgetwin {string.Join(' ', args)} did not finish within {timeout}:{Environment.NewLine}{p.Output}");
        }
        return (p.ExitCode, p.Output);
    }

    public int Pid => _process.Id;

    /// <summary>The kernel's view of the process's signals (SigPnd, ShdPnd, SigBlk, SigIgn, SigCgt), for failure messages.</summary>
    public string SignalState
    {
        get
        {
            try
            {
                return string.Join(' ', File.ReadLines($"/proc/{Pid}/status").Where(l => l.StartsWith("Sig", StringComparison.Ordinal) || l.StartsWith("ShdPnd", StringComparison.Ordinal)).Select(l => l.Replace('\t', ' ')));
            }
            catch (IOException ex)
            {
                return "signal state unavailable: " + ex.Message;
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_lines)
            {
                var text = new StringBuilder();
                foreach (var (_, line) in _lines) text.AppendLine(line);
                return text.ToString();
            }
        }
    }

    /// <summary>
    /// When the first output line containing <paramref name="text"/> after <paramref name="after"/> reached the test
    /// (UTC, as read from the pipe: a few milliseconds after the daemon wrote it), or null if none did.
    /// </summary>
    public DateTime? FirstLineAt(string text, DateTime after)
    {
        lock (_lines)
        {
            foreach (var (at, line) in _lines)
            {
                if (at > after && line.Contains(text, StringComparison.Ordinal)) return at;
            }
        }
        return null;
    }

    private void Received(string? line)
    {
        if (line is null) return;
        var at = DateTime.UtcNow;
        lock (_lines) _lines.Add((at, line));
        if (_terminateOn is { } text && line.Contains(text, StringComparison.Ordinal) && Interlocked.Exchange(ref _terminateOn, null) is not null) Terminate();
    }

    private string? _terminateOn;

    /// <summary>
    /// SIGTERM the moment a line containing <paramref name="text"/> is read (or at once if one already was): for
    /// windows a few milliseconds wide, which polling the output would miss.
    /// </summary>
    public void TerminateOnLine(string text)
    {
        Volatile.Write(ref _terminateOn, text);
        if (Output.Contains(text, StringComparison.Ordinal) && Interlocked.Exchange(ref _terminateOn, null) is not null) Terminate();
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit(); // flush the asynchronous output readers
        return true;
    }

    /// <summary>kill -9: no chance to flush anything.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM: what systemd sends on stop.</summary>
    public void Terminate()
    {
        if (_process.HasExited) return;
        if (SendSignal(_process.Id, 15) != 0) throw new InvalidOperationException($"kill(-TERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>SIGINT: what Ctrl-C sends.</summary>
    public void Interrupt()
    {
        if (_process.HasExited) return;
        if (SendSignal(_process.Id, 2) != 0) throw new InvalidOperationException($"kill(-INT) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
