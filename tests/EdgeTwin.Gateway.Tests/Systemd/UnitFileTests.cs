using EdgeTwin.Gateway.Cli;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests.Systemd;

/// <summary>
/// edgetwin.service as shipped. systemd-analyze verify checks that the commands it names exist, so the unit is
/// verified unchanged inside a scratch root that holds what an installed box holds: the published binary at
/// /usr/bin/edgetwin, /bin/kill for ExecReload, and this machine's systemd unit library.
/// </summary>
public sealed class UnitFileTests
{
    private static string UnitPath => Path.Combine(RepoRoot.Path, "edgetwin.service");

    [Fact]
    public void SystemdAnalyzeVerify_IsClean()
    {
        using var dir = new TestDirectory("unit");
        var root = dir["root"];
        Directory.CreateDirectory(Path.Combine(root, "usr/bin"));
        Directory.CreateDirectory(Path.Combine(root, "usr/lib/systemd"));
        Directory.CreateDirectory(Path.Combine(root, "etc/systemd/system"));
        File.Copy(GatewayBinary.Path, Path.Combine(root, "usr/bin/edgetwin"));
        File.Copy("/usr/bin/kill", Path.Combine(root, "usr/bin/kill"));
        File.CreateSymbolicLink(Path.Combine(root, "bin"), "usr/bin");
        Shell.Check("cp", "-a", "/usr/lib/systemd/system", Path.Combine(root, "usr/lib/systemd/"));
        File.Copy(UnitPath, Path.Combine(root, "etc/systemd/system/edgetwin.service"));

        var (code, output) = Shell.Run("systemd-analyze", "verify", "--root=" + root, "edgetwin.service");
        Assert.True(code == 0 && output.Trim().Length == 0, $"systemd-analyze verify exited {code}:{Environment.NewLine}{output}");

        // The check can fail: the same root without the binary is reported.
        File.Delete(Path.Combine(root, "usr/bin/edgetwin"));
        (code, output) = Shell.Run("systemd-analyze", "verify", "--root=" + root, "edgetwin.service");
        Assert.NotEqual(0, code);
        Assert.Contains("/usr/bin/edgetwin", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Unit_NotifiesWatchesAndDoesNotRestartOnConfigErrors()
    {
        var lines = File.ReadAllLines(UnitPath).Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#').ToHashSet();
        Assert.Contains("Type=notify", lines);
        Assert.Contains("ExecStart=/usr/bin/edgetwin run --config /etc/edgetwin/edgetwin.json", lines);
        Assert.Contains("ExecReload=/bin/kill -HUP $MAINPID", lines);
        Assert.Contains("Restart=on-failure", lines);
        Assert.Contains($"RestartPreventExitStatus={ExitCodes.Config}", lines);
        Assert.Contains("StateDirectory=edgetwin", lines);
        Assert.Contains("ConfigurationDirectory=edgetwin", lines);
        Assert.Contains("User=edgetwin", lines);
        Assert.Contains("CapabilityBoundingSet=", lines);
        Assert.Contains("ProtectSystem=strict", lines);
        Assert.Contains(lines, l => l.StartsWith("WatchdogSec=", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("MemoryMax=", StringComparison.Ordinal));
    }
}
