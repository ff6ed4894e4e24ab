using System.Diagnostics;
using System.Globalization;

namespace EdgeTwin.Gateway.Cli;

/// <summary>
/// A memory cgroup limited as edgetwin.service's <c>MemoryMax=</c> limits the daemon, for <c>edgetwin bench
/// --memory-max</c> and the tests that run the daemon as the service would: a process started in it sees what the
/// service sees (the .NET runtime sizes its heap limit from the cgroup's, 75 % of it). cgroup v2 (<c>memory.max</c>)
/// or v1 (<c>memory.limit_in_bytes</c>); needs root and a writable cgroup file system, as systemd has.
/// </summary>
public sealed class MemoryCgroup : IDisposable
{
    private const string Root = "/sys/fs/cgroup";

    private readonly bool _v2;

    private MemoryCgroup(string path, bool v2)
    {
        Path = path;
        _v2 = v2;
    }

    public string Path { get; }

    /// <summary>
    /// A new cgroup <paramref name="name"/> (with this process's id appended) limited to <paramref name="bytes"/>;
    /// throws <see cref="InvalidOperationException"/> saying why it cannot be made.
    /// </summary>
    public static MemoryCgroup Create(string name, long bytes)
    {
        name += "-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
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
        return new MemoryCgroup(path, v2);
    }

    /// <summary>Processes of this cgroup the kernel killed for want of memory (its OOM killer's count).</summary>
    public long OomKills
    {
        get
        {
            // v2: memory.events; v1: memory.oom_control. Both have a line "oom_kill N".
            var file = System.IO.Path.Combine(Path, _v2 ? "memory.events" : "memory.oom_control");
            var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("oom_kill ", StringComparison.Ordinal));
            return line is null ? throw new InvalidOperationException($"{file} has no oom_kill count") : long.Parse(line["oom_kill ".Length..], CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The command line that runs <paramref name="program"/> with <paramref name="args"/> inside this cgroup.</summary>
    public IReadOnlyList<string> CommandFor(string program, IEnumerable<string> args) =>
        ["/bin/sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", Path, program, .. args];

    /// <summary>Makes <paramref name="psi"/> start its program inside this cgroup (a shell joins it, then execs the program).</summary>
    public void Wrap(ProcessStartInfo psi)
    {
        var command = CommandFor(psi.FileName, psi.ArgumentList.ToList());
        psi.FileName = command[0];
        psi.ArgumentList.Clear();
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
    }

    public void Dispose() => TryRemove(Path);

    private static void TryRemove(string path)
    {
        // A cgroup directory is removed with rmdir once its processes are gone; its files go with it.
        try { Directory.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
