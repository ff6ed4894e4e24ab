using System.Security.Cryptography;
using EdgeTwin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeTwin.Gateway.Tests.Install;

/// <summary>install.sh into a staging root: files, modes, owners, the user, idempotency, upgrades that keep the config and the queue, uninstall and purge.</summary>
public sealed class InstallScriptTests(ITestOutputHelper output)
{
    private static string Script => Path.Combine(RepoRoot.Path, "install.sh");

    private static string BinaryDir => Path.GetDirectoryName(GatewayBinary.Path)!;

    private (int Code, string Output) Install(params string[] args)
    {
        var (code, text) = Shell.Run("bash", [Script, .. args]);
        output.WriteLine($"$ install.sh {string.Join(' ', args)} -> {code}{Environment.NewLine}{text}");
        return (code, text);
    }

    /// <summary>Mode, owner, size and content hash of every path under the root: what "nothing changed" means.</summary>
    private static List<string> Snapshot(string root) =>
        [.. Shell.Check("find", root, "-printf", "%M %U:%G %s %P %l\n").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ') is var f && File.Exists(Path.Combine(root, f[3])) && f[0][0] == '-'
                ? l + " " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, f[3])))) : l)
            .Order(StringComparer.Ordinal)];

    private static string Mode(string path) => Shell.Check("stat", "-c", "%a %U:%G", path).Trim();

    private static TestDirectory NewRoot(out string root)
    {
        var dir = new TestDirectory("install");
        root = dir["root"];
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        File.WriteAllText(Path.Combine(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\nsomeone:x:999:999::/home/someone:/bin/sh\n");
        File.WriteAllText(Path.Combine(root, "etc/group"), "root:x:0:\nsomeone:x:999:\n");
        return dir;
    }

    [Fact]
    public void StagingRoot_InstallsFilesModesUserAndDirectories_Idempotently()
    {
        using var dir = NewRoot(out var root);
        var (code, text) = Install("--root", root, "--binary-dir", BinaryDir);
        Assert.True(code == 0, text);

        // The user: the first free system id of the root's own passwd/group files.
        Assert.Contains("edgetwin:x:998:998:EdgeTwin gateway:/var/lib/edgetwin:/usr/sbin/nologin", File.ReadAllText(Path.Combine(root, "etc/passwd")), StringComparison.Ordinal);
        Assert.Contains("edgetwin:x:998:", File.ReadAllText(Path.Combine(root, "etc/group")), StringComparison.Ordinal);

        Assert.Equal("755 root:root", Mode(Path.Combine(root, "usr/lib/edgetwin/edgetwin")));
        Assert.Equal("../lib/edgetwin/edgetwin", new FileInfo(Path.Combine(root, "usr/bin/edgetwin")).LinkTarget);
        Assert.Equal(File.ReadAllBytes(GatewayBinary.Path), File.ReadAllBytes(Path.Combine(root, "usr/lib/edgetwin/edgetwin")));
        Assert.Equal("644 root:root", Mode(Path.Combine(root, "etc/systemd/system/edgetwin.service")));
        Assert.Equal(File.ReadAllText(Path.Combine(RepoRoot.Path, "edgetwin.service")), File.ReadAllText(Path.Combine(root, "etc/systemd/system/edgetwin.service")));
        Assert.StartsWith("750 root:", Mode(Path.Combine(root, "etc/edgetwin")), StringComparison.Ordinal);
        Assert.StartsWith("640 root:", Mode(Path.Combine(root, "etc/edgetwin/edgetwin.json")), StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(Path.Combine(RepoRoot.Path, "config/edgetwin.json")), File.ReadAllText(Path.Combine(root, "etc/edgetwin/edgetwin.json")));
        // Owned by the root's edgetwin ids (998), not by whatever 998 means on this machine.
        Assert.Equal("750 998:998", Shell.Check("stat", "-c", "%a %u:%g", Path.Combine(root, "var/lib/edgetwin")).Trim());
        Assert.Equal("750 998:998", Shell.Check("stat", "-c", "%a %u:%g", Path.Combine(root, "var/log/edgetwin")).Trim());
        Assert.Equal("998", Shell.Check("stat", "-c", "%g", Path.Combine(root, "etc/edgetwin/edgetwin.json")).Trim());
        // The installed link runs the installed program.
        Assert.StartsWith("0.1.0", Shell.Check(Path.Combine(root, "usr/bin/edgetwin"), "--version"), StringComparison.Ordinal);
        Assert.Equal(0, Shell.Run(Path.Combine(root, "usr/bin/edgetwin"), "check-config", Path.Combine(root, "etc/edgetwin/edgetwin.json")).ExitCode);

        var first = Snapshot(root);
        (code, text) = Install("--root", root, "--binary-dir", BinaryDir);
        Assert.True(code == 0, text);
        Assert.Contains("user edgetwin exists", text, StringComparison.Ordinal);
        Assert.Equal(first, Snapshot(root));
    }

    [Fact]
    public void Upgrade_KeepsConfigAndQueue_UninstallKeepsData_PurgeRemovesIt()
    {
        using var dir = NewRoot(out var root);
        Assert.Equal(0, Install("--root", root, "--binary-dir", BinaryDir).Code);
        var conf = Path.Combine(root, "etc/edgetwin/edgetwin.json");
        var edited = File.ReadAllText(conf).Replace("gw-CHANGE-ME", "gw-site-42", StringComparison.Ordinal);
        File.WriteAllText(conf, edited);
        var queue = Path.Combine(root, "var/lib/edgetwin/queue.db");
        var queued = RandomNumberGenerator.GetBytes(4096);
        File.WriteAllBytes(queue, queued);

        // An upgrade: a new build of the program in a release-like folder.
        var newBuild = dir["newbuild"];
        Directory.CreateDirectory(newBuild);
        File.Copy(GatewayBinary.Path, Path.Combine(newBuild, "edgetwin"));
        File.WriteAllBytes(Path.Combine(newBuild, "libexample.so"), [0x7f, (byte)'E', (byte)'L', (byte)'F']);
        var (code, text) = Install("--root", root, "--binary-dir", newBuild);
        Assert.True(code == 0, text);
        Assert.Contains("kept the existing", text, StringComparison.Ordinal);
        Assert.Equal(edited, File.ReadAllText(conf));
        Assert.Equal(queued, File.ReadAllBytes(queue));
        Assert.True(File.Exists(Path.Combine(root, "usr/lib/edgetwin/libexample.so")), "native libraries go beside the program");

        (code, text) = Install("--root", root, "--uninstall");
        Assert.True(code == 0, text);
        Assert.False(File.Exists(Path.Combine(root, "usr/lib/edgetwin/edgetwin")));
        Assert.False(File.Exists(Path.Combine(root, "usr/bin/edgetwin")) || new FileInfo(Path.Combine(root, "usr/bin/edgetwin")).LinkTarget is not null);
        Assert.False(File.Exists(Path.Combine(root, "etc/systemd/system/edgetwin.service")));
        Assert.Equal(edited, File.ReadAllText(conf));
        Assert.Equal(queued, File.ReadAllBytes(queue));
        Assert.Contains("edgetwin:", File.ReadAllText(Path.Combine(root, "etc/passwd")), StringComparison.Ordinal);

        // Reinstalling after an uninstall finds everything as it was left.
        Assert.Equal(0, Install("--root", root, "--binary-dir", BinaryDir).Code);
        Assert.Equal(edited, File.ReadAllText(conf));

        (code, text) = Install("--root", root, "--uninstall", "--purge");
        Assert.True(code == 0, text);
        Assert.False(Directory.Exists(Path.Combine(root, "etc/edgetwin")));
        Assert.False(Directory.Exists(Path.Combine(root, "var/lib/edgetwin")));
        Assert.DoesNotContain("edgetwin:", File.ReadAllText(Path.Combine(root, "etc/passwd")), StringComparison.Ordinal);
        Assert.Contains("someone:", File.ReadAllText(Path.Combine(root, "etc/passwd")), StringComparison.Ordinal);
    }

    [Fact]
    public void ClearMessages_NotRoot_NoPasswdInStagingRoot_BadOption()
    {
        using var dir = new TestDirectory("install-msg");
        // Not root, on this machine: refused with the two ways forward.
        var (code, text) = Shell.Run("runuser", "-u", "nobody", "--", "bash", Script, "--binary-dir", BinaryDir);
        output.WriteLine(text);
        Assert.Equal(1, code);
        Assert.Contains("run as root", text, StringComparison.Ordinal);
        Assert.Contains("--root DIR", text, StringComparison.Ordinal);

        // A staging root without passwd/group files: no user, said plainly, everything else installed.
        var root = dir["bare"];
        (code, text) = Install("--root", root, "--binary-dir", BinaryDir);
        Assert.Equal(0, code);
        Assert.Contains("user edgetwin not created", text, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(root, "usr/lib/edgetwin/edgetwin")));

        (code, text) = Install("--bogus");
        Assert.Equal(64, code);
        Assert.Contains("unknown option --bogus", text, StringComparison.Ordinal);
    }
}
