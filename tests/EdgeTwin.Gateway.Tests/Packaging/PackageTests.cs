using EdgeTwin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeTwin.Gateway.Tests.Packaging;

/// <summary>
/// packaging/build.sh: the .deb (its control data, its contents, lintian, and a real dpkg install, upgrade, remove
/// and purge on this machine) and the release tarball (its install.sh installs from it).
/// </summary>
[Collection("daemon")]
public sealed class PackageTests(ITestOutputHelper output)
{
    private (string Deb, string Tarball) Build(TestDirectory dir)
    {
        var text = Shell.Check("bash", Path.Combine(RepoRoot.Path, "packaging/build.sh"), "--binary-dir", Path.GetDirectoryName(GatewayBinary.Path)!, "--out", dir["out"]);
        output.WriteLine(text);
        var files = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (files.Single(f => f.EndsWith(".deb", StringComparison.Ordinal)), files.Single(f => f.EndsWith(".tar.gz", StringComparison.Ordinal)));
    }

    [Fact]
    public void Deb_InfoContentsAndLintian_AreRight()
    {
        using var dir = new TestDirectory("deb");
        var (deb, _) = Build(dir);
        Assert.EndsWith("edgetwin_0.1.0-1_amd64.deb", deb, StringComparison.Ordinal);
        var info = Shell.Check("dpkg-deb", "--info", deb);
        Assert.Contains("Package: edgetwin", info, StringComparison.Ordinal);
        Assert.Contains("Version: 0.1.0-1", info, StringComparison.Ordinal);
        Assert.Contains("Architecture: amd64", info, StringComparison.Ordinal);
        Assert.Contains("Depends: libc6 (>= 2.34), zlib1g (>= 1:1.2.11), libssl3 | libssl3t64, adduser", info, StringComparison.Ordinal);
        foreach (var script in new[] { "postinst", "prerm", "postrm" }) Assert.Matches($@"\* +{script} +#!/bin/sh", info);
        Assert.Equal("/etc/edgetwin/edgetwin.json", Shell.Check("dpkg-deb", "--info", deb, "conffiles").Trim());

        var contents = Shell.Check("dpkg-deb", "--contents", deb).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToDictionary(f => f[5], f => (Mode: f[0], Owner: f[1], Link: f.Length > 7 ? f[7] : null));
        Assert.Equal(("-rwxr-xr-x", "root/root"), (contents["./usr/lib/edgetwin/edgetwin"].Mode, contents["./usr/lib/edgetwin/edgetwin"].Owner));
        Assert.Equal("../lib/edgetwin/edgetwin", contents["./usr/bin/edgetwin"].Link);
        Assert.Equal("-rw-r--r--", contents["./lib/systemd/system/edgetwin.service"].Mode);
        Assert.Equal("-rw-r--r--", contents["./etc/edgetwin/edgetwin.json"].Mode);
        Assert.Contains("./usr/share/doc/edgetwin/copyright", contents.Keys);
        Assert.Contains("./usr/share/doc/edgetwin/changelog.Debian.gz", contents.Keys);
        Assert.DoesNotContain(contents.Keys, k => k.EndsWith(".dbg", StringComparison.Ordinal) || k.EndsWith(".pdb", StringComparison.Ordinal));

        var (code, lintian) = Shell.Run("lintian", "--allow-root", deb);
        output.WriteLine($"lintian exit {code}:{Environment.NewLine}{lintian}");
        Assert.DoesNotContain(lintian.Split('\n'), l => l.StartsWith("E:", StringComparison.Ordinal));
        Assert.Equal(0, code);
    }

    [Fact]
    public void Deb_InstallsUpgradesKeepingConfigAndQueue_RemovesAndPurges_WithDpkg()
    {
        using var dir = new TestDirectory("dpkg");
        var (deb, _) = Build(dir);
        var env = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        try
        {
            var (code, text) = Shell.Run("dpkg", env, "-i", deb);
            output.WriteLine(text);
            Assert.True(code == 0, text);
            Assert.Contains("EdgeTwin gateway", Shell.Check("getent", "passwd", "edgetwin"), StringComparison.Ordinal);
            Assert.Equal("750 root:edgetwin", Shell.Check("stat", "-c", "%a %U:%G", "/etc/edgetwin").Trim());
            Assert.Equal("640 root:edgetwin", Shell.Check("stat", "-c", "%a %U:%G", "/etc/edgetwin/edgetwin.json").Trim());
            Assert.Equal("750 edgetwin:edgetwin", Shell.Check("stat", "-c", "%a %U:%G", "/var/lib/edgetwin").Trim());
            Assert.StartsWith("0.1.0", Shell.Check("/usr/bin/edgetwin", "--version"), StringComparison.Ordinal);
            Assert.Equal(0, Shell.Run("/usr/bin/edgetwin", "check-config", "/etc/edgetwin/edgetwin.json").ExitCode);
            Assert.True(File.Exists("/etc/systemd/system/multi-user.target.wants/edgetwin.service"), "the unit is enabled");

            // Upgrade (a reinstall over an edited config and a queue): both stay as they are.
            var edited = File.ReadAllText("/etc/edgetwin/edgetwin.json").Replace("gw-CHANGE-ME", "gw-site-7", StringComparison.Ordinal);
            File.WriteAllText("/etc/edgetwin/edgetwin.json", edited);
            File.WriteAllText("/var/lib/edgetwin/queue.db", "queued data");
            (code, text) = Shell.Run("dpkg", env, "--force-confold", "-i", deb);
            Assert.True(code == 0, text);
            Assert.Equal(edited, File.ReadAllText("/etc/edgetwin/edgetwin.json"));
            Assert.Equal("queued data", File.ReadAllText("/var/lib/edgetwin/queue.db"));

            // Remove: the program goes, the configuration and the queue stay.
            (code, text) = Shell.Run("dpkg", env, "-r", "edgetwin");
            Assert.True(code == 0, text);
            Assert.False(File.Exists("/usr/lib/edgetwin/edgetwin"));
            Assert.False(File.Exists("/lib/systemd/system/edgetwin.service"));
            Assert.Equal(edited, File.ReadAllText("/etc/edgetwin/edgetwin.json"));
            Assert.Equal("queued data", File.ReadAllText("/var/lib/edgetwin/queue.db"));

            // Purge: both go.
            (code, text) = Shell.Run("dpkg", env, "-P", "edgetwin");
            Assert.True(code == 0, text);
            Assert.False(Directory.Exists("/etc/edgetwin"));
            Assert.False(Directory.Exists("/var/lib/edgetwin"));
            Assert.NotEqual(0, Shell.Run("dpkg", "-s", "edgetwin").ExitCode);
        }
        finally
        {
            Shell.Run("dpkg", env, "-P", "edgetwin");
        }
    }

    [Fact]
    public void Tarball_HoldsTheRelease_AndItsInstallShInstallsFromIt()
    {
        using var dir = new TestDirectory("tarball");
        var (_, tarball) = Build(dir);
        var listing = Shell.Check("tar", "-tvzf", tarball);
        output.WriteLine(listing);
        foreach (var f in new[] { "install.sh", "edgetwin.service", "README.md", "bin/edgetwin", "config/edgetwin.json" })
            Assert.Contains($"edgetwin-0.1.0-linux-x64/{f}", listing, StringComparison.Ordinal);
        Assert.Matches(@"-rwxr-xr-x 0/0 .* edgetwin-0\.1\.0-linux-x64/bin/edgetwin", listing);

        var unpacked = dir["unpacked"];
        Directory.CreateDirectory(unpacked);
        Shell.Check("tar", "-C", unpacked, "-xzf", tarball);
        var root = dir["root"];
        var text = Shell.Check("bash", Path.Combine(unpacked, "edgetwin-0.1.0-linux-x64/install.sh"), "--root", root);
        output.WriteLine(text);
        Assert.Equal(File.ReadAllBytes(GatewayBinary.Path), File.ReadAllBytes(Path.Combine(root, "usr/lib/edgetwin/edgetwin")));
        Assert.True(File.Exists(Path.Combine(root, "etc/edgetwin/edgetwin.json")));
    }
}
