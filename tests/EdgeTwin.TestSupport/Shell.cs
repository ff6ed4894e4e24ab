using System.Diagnostics;

namespace EdgeTwin.TestSupport;

/// <summary>Runs a command (mount, fsfreeze, systemd-analyze, dpkg, docker-compose, pg_ctl, the gateway's verbs...) and returns its exit code and output.</summary>
public static class Shell
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    public static (int ExitCode, string Output) Run(string file, params string[] args) => RunWith(file, args);

    public static (int ExitCode, string Output) Run(string file, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        RunWith(file, args, environment: environment);

    /// <summary>
    /// Runs <paramref name="file"/> to completion (standard output, then standard error); past <paramref name="timeout"/>
    /// (five minutes unless given) it is killed with its children and a <see cref="TimeoutException"/> names it.
    /// </summary>
    public static (int ExitCode, string Output) RunWith(string file, IEnumerable<string> args, TimeSpan? timeout = null, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? DefaultTimeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {(timeout ?? DefaultTimeout).TotalSeconds:F0} s");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Runs a command that must succeed; throws with its output otherwise.</summary>
    public static string Check(string file, params string[] args) => CheckWith(file, args);

    /// <summary>As <see cref="RunWith"/>, for a command that must succeed: throws with its output otherwise.</summary>
    public static string CheckWith(string file, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var list = args.ToList();
        var (code, output) = RunWith(file, list, timeout);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', list)} exited {code}:{Environment.NewLine}{output}");
        return output;
    }
}
