using System.Diagnostics;
using System.Globalization;

namespace EdgeTwin.Gateway.Cli;

/// <summary>
/// A memory cgroup for <c>edgetwin bench --memory-max</c>: each run's process is started in it, limited as
/// edgetwin.service's <c>MemoryMax=</c> limits the daemon, so a run sees what the service sees (the .NET runtime
/// sizes its heap limit from the cgroup's, 75 % of it). cgroup v2 (<c>memory.max</c>) or v1
/// (<c>memory.limit_in_bytes</c>); needs root and a writable cgroup file system, as systemd has.
/// </summary>
internal sealed class BenchMemoryCgroup : IDisposable
{
    private const string Root = "/sys/fs/cgroup";

    private BenchMemoryCgroup(string path) => Path = path;

    public string Path { get; }

    /// <summary>A new cgroup limited to <paramref name="bytes"/>; throws <see cref="InvalidOperationException"/> saying why it cannot be made.</summary>
    public static BenchMemoryCgroup Create(long bytes)
    {
        var name = "edgetwin-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var v2 = File.Exists(System.IO.Path.Combine(Root, "cgroup.controllers"));
        var parent = v2 ? Root : System.IO.Path.Combine(Root, "memory");
        var (limitFile, what) = v2 ? ("memory.max", "cgroup v2") : ("memory.limit_in_bytes", "cgroup v1 memory controller");
        if (!Directory.Exists(parent)) throw new InvalidOperationException($"--memory-max needs a cgroup file system: neither {Root}/cgroup.controllers (v2) nor {parent} (v1) exists");
        var path = System.IO.Path.Combine(parent, name);
        try
        {
            Directory.CreateDirectory(path);
            File.WriteAllText(System.IO.Path.Combine(path, limitFile), bytes.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryRemove(path);
            throw new InvalidOperationException($"--memory-max: cannot make the {what} cgroup {path} with {limitFile} = {bytes} ({ex.Message}); run as root on a writable cgroup file system, or leave --memory-max out", ex);
        }
        return new BenchMemoryCgroup(path);
    }

    /// <summary>Makes <paramref name="psi"/> start its program inside this cgroup (a shell joins it, then execs the program).</summary>
    public void Wrap(ProcessStartInfo psi)
    {
        var program = psi.FileName;
        var args = psi.ArgumentList.ToList();
        psi.FileName = "/bin/sh";
        psi.ArgumentList.Clear();
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("echo $$ > \"$0/cgroup.procs\" && exec \"$@\"");
        psi.ArgumentList.Add(Path);
        psi.ArgumentList.Add(program);
        foreach (var a in args) psi.ArgumentList.Add(a);
    }

    public void Dispose() => TryRemove(Path);

    private static void TryRemove(string path)
    {
        // A cgroup directory is removed with rmdir once its processes are gone; its files go with it.
        try { Directory.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
