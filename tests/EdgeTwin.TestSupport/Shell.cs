using System.Diagnostics;

namespace EdgeTwin.TestSupport;

/// <summary>Runs a system command (mount, fsfreeze, systemd-analyze, dpkg...) and returns its exit code and output.</summary>
public static class Shell
{
    public static (int ExitCode, string Output) Run(string file, params string[] args) => Run(file, null, args);

    public static (int ExitCode, string Output) Run(string file, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(); throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish"); }
        return (p.ExitCode, stdout + stderr.Result);
    }

    /// <summary>Runs a command that must succeed; throws with its output otherwise.</summary>
    public static string Check(string file, params string[] args)
    {
        var (code, output) = Run(file, args);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}:{Environment.NewLine}{output}");
        return output;
    }
}
