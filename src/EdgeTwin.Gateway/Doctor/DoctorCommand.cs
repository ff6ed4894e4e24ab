using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using EdgeTwin.Connectors.Simulator;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Gateway.Cli;
using EdgeTwin.Gateway.Config;

namespace EdgeTwin.Gateway.Doctor;

/// <summary>
/// <c>edgetwin doctor</c>: what a technician runs on site before (or instead of) reading logs. Checks the
/// configuration, the state directory (exists, writable, free disk against the queue's budget), the clock
/// (timestamps are primary keys), the folders of the file sinks and spool sources, every network endpoint
/// the configuration names, and each OPC UA source at the protocol level (identity, namespaces, nodes). Exit codes: 0 all passed; 1 warnings only; 2 a check failed; 78 invalid config.
/// "Unknown" (a check this machine cannot make) is reported but changes no exit code.
/// </summary>
public static class DoctorCommand
{
    public const int Warnings = 1;
    public const int Failures = 2;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan OpcUaTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string? configPath, CancellationToken cancellationToken)
    {
        var checks = new List<DoctorCheck>();
        EdgeTwinConfig config;
        string source;
        try
        {
            (config, source) = ConfigSource.Resolve(configPath);
        }
        catch (ConfigException ex)
        {
            Console.WriteLine("EdgeTwin doctor");
            Print(new DoctorCheck("config", configPath ?? "(default)", DoctorOutcome.Failed, ex.Message));
            Console.WriteLine($"result: configuration invalid (exit {ExitCodes.Config}); fix the errors above, then run `edgetwin doctor` again");
            return ExitCodes.Config;
        }
        try
        {
            checks.Add(new DoctorCheck("config", source, DoctorOutcome.Ok,
                $"valid: gateway '{config.Gateway.Id}', {ConfigSummary.Of(config)}; state in {config.Gateway.StateDirectory}; hash {ConfigLoader.Hash(config)}"));
        }
        catch (ArgumentException ex)
        {
            // A simulator that refuses its settings: the daemon would not start either.
            Console.WriteLine("EdgeTwin doctor");
            Print(new DoctorCheck("config", source, DoctorOutcome.Failed, ex.Message));
            Console.WriteLine($"result: configuration invalid (exit {ExitCodes.Config}); fix the errors above, then run `edgetwin doctor` again");
            return ExitCodes.Config;
        }
        if (File.Exists(source))
        {
            foreach (var note in OfflineCommands.RelativePathNotes(config)) checks.Add(new DoctorCheck("config", "relative path", DoctorOutcome.Warning, note));
        }
        checks.AddRange(CheckStateDirectory(config));
        checks.Add(CheckSeriesBudget(config));
        checks.AddRange(CheckClock());
        foreach (var spool in config.Sources.Spool) checks.Add(CheckFolder("spool source " + spool.Name, spool.Directory));
        foreach (var sink in config.Sinks.File) checks.Add(CheckFolder("file sink " + sink.Name, sink.Directory));
        var opcua = config.Sources.OpcUa.Select((s, i) => OpcUaDoctor.CheckAsync(i, s, config.Gateway.StateDirectory, OpcUaTimeout, cancellationToken)).ToList();
        checks.AddRange(await Task.WhenAll(opcua).ConfigureAwait(false));
        checks.AddRange(config.Sources.OpcUa.Select((s, i) => OpcUaDoctor.CheckCertificate(i, s, config.Gateway.StateDirectory, DateTime.UtcNow)).OfType<DoctorCheck>());
        if (File.Exists(source))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(source), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var endpoints = EndpointFinder.Find(doc.RootElement);
            var probes = endpoints.Select(e => ProbeAsync(e, cancellationToken)).ToList();
            checks.AddRange(await Task.WhenAll(probes).ConfigureAwait(false));
            if (endpoints.Count == 0) checks.Add(new DoctorCheck("network", "endpoints", DoctorOutcome.Ok, "none configured (no OPC UA, MQTT or Kafka endpoint in this configuration)"));
        }

        Console.WriteLine($"EdgeTwin doctor — {GatewayRuntimeVersion()} on {Environment.MachineName}");
        foreach (var c in checks) Print(c);
        var worst = checks.Max(c => c.Outcome);
        var counts = $"{checks.Count(c => c.Outcome == DoctorOutcome.Ok)} ok, {checks.Count(c => c.Outcome == DoctorOutcome.Warning)} warning(s), " +
            $"{checks.Count(c => c.Outcome == DoctorOutcome.Failed)} failed, {checks.Count(c => c.Outcome == DoctorOutcome.Unknown)} unknown";
        var code = worst switch { DoctorOutcome.Failed => Failures, DoctorOutcome.Warning => Warnings, _ => ExitCodes.Ok };
        Console.WriteLine($"result: {counts} (exit {code})");
        return code;
    }

    private static string GatewayRuntimeVersion() => "edgetwin " + Hosting.GatewayRuntime.Version;

    private static void Print(DoctorCheck c)
    {
        var tag = c.Outcome switch { DoctorOutcome.Ok => "  ok  ", DoctorOutcome.Unknown => " ???? ", DoctorOutcome.Warning => " WARN ", _ => " FAIL " };
        var lines = c.Detail.Split('\n');
        Console.WriteLine($"[{tag}] {c.Area}: {c.Subject}: {lines[0]}");
        foreach (var l in lines.Skip(1)) Console.WriteLine("         " + l);
    }

    private static IEnumerable<DoctorCheck> CheckStateDirectory(EdgeTwinConfig config)
    {
        var dir = config.Gateway.StateDirectory;
        const string area = "state";
        if (!Directory.Exists(dir))
        {
            yield return new DoctorCheck(area, dir, DoctorOutcome.Failed, "does not exist (systemd creates it through StateDirectory=edgetwin; install.sh creates it otherwise)");
            yield break;
        }
        var mode = OperatingSystem.IsWindows() ? UnixFileMode.None : File.GetUnixFileMode(dir);
        var probe = Path.Combine(dir, $".doctor-{Environment.ProcessId}");
        string? writeError = null;
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            writeError = ex.Message;
        }
        var others = mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        if (writeError is not null)
            yield return new DoctorCheck(area, dir, DoctorOutcome.Failed, $"not writable by {Environment.UserName}: {writeError}");
        else if (others != 0)
            yield return new DoctorCheck(area, dir, DoctorOutcome.Warning, $"writable, but mode {ModeText(mode)} lets other users read queued data (0750 expected)");
        else
            yield return new DoctorCheck(area, dir, DoctorOutcome.Ok, $"writable by {Environment.UserName}, mode {ModeText(mode)}");

        var free = new DriveInfo(Path.GetFullPath(dir)).AvailableFreeSpace;
        var q = config.Queue;
        var detail = $"{Mib(free)} free; the queue keeps {Mib(q.MinFreeDiskBytes)} free and may use up to {Mib(q.MaxBytes)}";
        if (free <= q.MinFreeDiskBytes)
            yield return new DoctorCheck(area, "free disk", DoctorOutcome.Failed, detail + ": below the floor, the queue accepts nothing");
        else if (free < q.MinFreeDiskBytes + q.MaxBytes)
            yield return new DoctorCheck(area, "free disk", DoctorOutcome.Warning, detail + $": the disk fills before the queue's budget ({Mib(free - q.MinFreeDiskBytes)} usable)");
        else
            yield return new DoctorCheck(area, "free disk", DoctorOutcome.Ok, detail);
    }

    private static string ModeText(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024.0):F0} MiB";

    /// <summary>Whether $.dedup.memoryBytes holds the state of every mapped series (topic templates may add more).</summary>
    internal static DoctorCheck CheckSeriesBudget(EdgeTwinConfig config)
    {
        var registry = new AssetRegistry(config.Assets, config.Mappings);
        foreach (var sim in config.Sources.Simulator) SimulatorSource.Register(sim, registry);
        var mapped = (long)registry.MappingCount;
        var need = mapped * DedupIndex.StateBytes;
        var budget = config.Dedup.MemoryBytes;
        var detail = $"{mapped:N0} mapped series need about {Mib(need)} in memory (with evenly spaced timestamps; {DedupIndex.StateBytes + DedupIndex.RingBytesFor(config.Dedup.HistoryPerSeries)} B each otherwise), budget $.dedup.memoryBytes = {Mib(budget)}";
        return need > budget
            ? new DoctorCheck("memory", "series state", DoctorOutcome.Warning,
                detail + ": series without a recent point will be kept on disk, and each one that returns costs a database write and read; raise $.dedup.memoryBytes (edgetwin.service allows MemoryMax=512M in all)")
            : new DoctorCheck("memory", "series state", DoctorOutcome.Ok, detail);
    }

    private static IEnumerable<DoctorCheck> CheckClock()
    {
        const string area = "clock";
        var now = DateTime.UtcNow;
        if (now.Year < 2024)
            yield return new DoctorCheck(area, "system time", DoctorOutcome.Failed, $"{now:O} is in the past: the clock was never set; timestamps would be quarantined");
        else
            yield return new DoctorCheck(area, "system time", DoctorOutcome.Ok, $"{now:yyyy-MM-dd HH:mm:ss}Z");

        // systemd-timesyncd/chrony through timedated, when systemd runs; else the kernel's own flag.
        var (ntp, synced, how) = TimedatectlStatus();
        if (synced is null)
        {
            var buffer = new byte[ClockNativeMethods.TimexBufferBytes];
            var state = ClockNativeMethods.AdjTimex(buffer);
            synced = state < 0 ? null : state != ClockNativeMethods.TimeError;
            how = state < 0 ? how : $"kernel clock state {state} (adjtimex){(how is null ? "" : "; " + how)}";
        }
        if (synced is null)
            yield return new DoctorCheck(area, "NTP", DoctorOutcome.Unknown, "synchronization status unknown: " + (how ?? "no timedatectl and no kernel status"));
        else if (synced == true)
            yield return new DoctorCheck(area, "NTP", DoctorOutcome.Ok, $"synchronized ({how})");
        else
            yield return new DoctorCheck(area, "NTP", DoctorOutcome.Warning,
                $"NOT synchronized ({how}{(ntp == false ? "; NTP is disabled: timedatectl set-ntp true" : "")}). Timestamps are primary keys: a drifting clock creates wrong keys and skew quarantines");
    }

    private static (bool? Ntp, bool? Synced, string? How) TimedatectlStatus()
    {
        try
        {
            var psi = new ProcessStartInfo("timedatectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "show", "--property=NTP", "--property=NTPSynchronized" }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(5000)) { p.Kill(); return (null, null, "timedatectl did not answer"); }
            if (p.ExitCode != 0) return (null, null, "timedatectl failed: " + err.Result.Trim().Split('\n')[0]);
            var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1] == "yes");
            return (values.GetValueOrDefault("NTP"), values.TryGetValue("NTPSynchronized", out var s) ? s : null, "timedatectl NTPSynchronized=" + (s ? "yes" : "no"));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, null, "timedatectl is not installed");
        }
    }

    private static DoctorCheck CheckFolder(string subject, string directory)
    {
        if (Directory.Exists(directory))
        {
            var probe = Path.Combine(directory, $".doctor-{Environment.ProcessId}");
            try
            {
                File.WriteAllText(probe, "");
                File.Delete(probe);
                return new DoctorCheck("folders", subject, DoctorOutcome.Ok, $"{directory} exists and is writable");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new DoctorCheck("folders", subject, DoctorOutcome.Failed, $"{directory} is not writable: {ex.Message}");
            }
        }
        if (File.Exists(directory)) return new DoctorCheck("folders", subject, DoctorOutcome.Failed, $"{directory} is a file, not a folder");
        var parent = Path.GetDirectoryName(Path.GetFullPath(directory));
        while (parent is not null && !Directory.Exists(parent)) parent = Path.GetDirectoryName(parent);
        return new DoctorCheck("folders", subject, DoctorOutcome.Warning, $"{directory} does not exist yet; the daemon creates it (nearest existing parent: {parent ?? "none"})");
    }

    private static async Task<DoctorCheck> ProbeAsync(ConfiguredEndpoint e, CancellationToken cancellationToken)
    {
        var subject = $"{e.Scheme}://{e.Host}:{e.Port} ({e.JsonPath})";
        var watch = Stopwatch.StartNew();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            using var client = new TcpClient();
            await client.ConnectAsync(e.Host, e.Port, timeout.Token).ConfigureAwait(false);
            return new DoctorCheck("network", subject, DoctorOutcome.Ok, $"TCP connect in {watch.Elapsed.TotalMilliseconds:F0} ms");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DoctorCheck("network", subject, DoctorOutcome.Failed, $"unreachable: no answer within {ConnectTimeout.TotalSeconds:F0} s (firewall, routing, or host down)");
        }
        catch (SocketException ex)
        {
            return new DoctorCheck("network", subject, DoctorOutcome.Failed, $"unreachable: {ex.SocketErrorCode} ({ex.Message})");
        }
    }
}
