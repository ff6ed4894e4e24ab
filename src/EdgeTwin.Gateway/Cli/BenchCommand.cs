using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeTwin.Core.Config;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Gateway.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Gateway.Cli;

/// <summary>
/// <c>edgetwin bench</c>: runs the real pipeline — simulator → validate → dedup → durable queue →
/// JSONL file sink — in a fresh process per series count (so peak RSS is that run's own), and measures the
/// disk's fsync'd write limit with dd in the same run, for comparison.
/// </summary>
public static class BenchCommand
{
    private const double WarmupSeconds = 3;

    /// <summary>
    /// "Unbounded" offers more than the pipeline can take, so back-pressure sets the pace; 2 M/s keeps one
    /// series' timestamps 5 ticks apart (a faster clock would make many readings exact duplicates).
    /// </summary>
    private const double UnboundedRate = 2_000_000;

    public static async Task<int> RunAsync(int[] seriesCounts, double seconds, double rate, double lingerMs, long seriesMemory, long memoryMax, string dir, bool child, CancellationToken ct)
    {
        if (seriesMemory < 0) seriesMemory = 0;
        if (child) return await RunChildAsync(seriesCounts[0], seconds, rate, lingerMs, seriesMemory, dir, ct).ConfigureAwait(false);
        if (memoryMax > 0)
        {
            // Made once here to fail early with the reason; each run then gets a cgroup of its own, since the page cache
            // of the files a run wrote stays charged to its cgroup and would crowd the next run.
            try
            {
                MemoryCgroup.Create("edgetwin-bench", memoryMax).Dispose();
            }
            catch (InvalidOperationException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return ExitCodes.Config;
            }
        }
        return await RunAllAsync(seriesCounts, seconds, rate, lingerMs, seriesMemory, memoryMax, dir, ct).ConfigureAwait(false);
    }

    private static async Task<int> RunAllAsync(int[] seriesCounts, double seconds, double rate, double lingerMs, long seriesMemory, long memoryMax, string dir, CancellationToken ct)
    {

        Directory.CreateDirectory(dir);
        Console.WriteLine($"EdgeTwin {GatewayRuntime.Version} pipeline benchmark on {Environment.ProcessorCount} cores, scratch {dir}");
        Console.WriteLine($"  {WarmupSeconds} s warm-up, {seconds} s measured per run; offered rate {(rate > 0 ? rate.ToString("N0", CultureInfo.InvariantCulture) + " points/s" : "unbounded (back-pressure)")}, commit linger {lingerMs} ms, "
            + $"series memory budget {(seriesMemory > 0 ? seriesMemory : DedupConfig.DefaultMemoryBytes).ToString("N0", CultureInfo.InvariantCulture)} bytes{(seriesMemory > 0 ? "" : " (the default)")}");
        if (memoryMax > 0)
        {
            Console.WriteLine($"  each run in a memory cgroup of its own (edgetwin-bench-<series>-<pid>), limited to {memoryMax.ToString("N0", CultureInfo.InvariantCulture)} bytes as the unit's MemoryMax= limits the daemon (the runtime's heap limit is a share of it)");
        }
        var results = new List<BenchResult>();
        foreach (var n in seriesCounts)
        {
            var psi = new ProcessStartInfo(Environment.ProcessPath!)
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "bench", "--child", "--series", n.ToString(CultureInfo.InvariantCulture), "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--rate", rate.ToString(CultureInfo.InvariantCulture), "--linger-ms", lingerMs.ToString(CultureInfo.InvariantCulture), "--series-memory", seriesMemory.ToString(CultureInfo.InvariantCulture), "--dir", dir })
            {
                psi.ArgumentList.Add(a);
            }
            using var cgroup = memoryMax > 0 ? MemoryCgroup.Create($"edgetwin-bench-{n.ToString(CultureInfo.InvariantCulture)}", memoryMax) : null;
            cgroup?.Wrap(psi);
            using var p = Process.Start(psi)!;
            var output = await p.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
            await p.WaitForExitAsync(ct).ConfigureAwait(false);
            var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
            if (p.ExitCode != 0 || line is null)
            {
                await Console.Error.WriteLineAsync($"bench run for {n} series failed (exit {p.ExitCode}):{Environment.NewLine}{output}").ConfigureAwait(false);
                return ExitCodes.Software;
            }
            results.Add(JsonSerializer.Deserialize(line, BenchJsonContext.Default.BenchResult)!);
        }

        var (smallBlock, largeBlock) = MeasureDisk(dir);
        Console.WriteLine();
        Console.WriteLine("| series | committed points/s | forwarded points/s | commit p50 | commit p99 | commits/s | peak RSS | GC heap (committed) | managed B/series | in memory | CPU s / s | bytes/point |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            Console.WriteLine(FormattableString.Invariant(
                $"| {r.Series:N0} | {r.CommittedPerSecond:N0} | {r.ForwardedPerSecond:N0} | {r.CommitP50Micros / 1000.0:F1} ms | {r.CommitP99Micros / 1000.0:F1} ms | {r.CommitsPerSecond:F0} | {r.PeakRssBytes / 1048576.0:F1} MiB | {r.GcHeapBytes / 1048576.0:F1} ({r.GcCommittedBytes / 1048576.0:F1}) MiB | {r.ManagedBytesPerSeries:N0} | {r.SeriesInMemory:N0} | {r.CpuSeconds / r.Seconds:F2} | {r.QueueBytesPerPoint:F1} |"));
        }
        if (results.Count > 1)
        {
            var least = results.MinBy(r => r.Series)!;
            var most = results.MaxBy(r => r.Series)!;
            Console.WriteLine();
            Console.WriteLine(FormattableString.Invariant(
                $"Committed points/s at {most.Series:N0} series: {most.CommittedPerSecond / least.CommittedPerSecond:F2} × the {least.Series:N0}-series figure of this run; peak RSS {most.PeakRssBytes / 1048576.0:F1} MiB, {most.ManagedBytesPerSeries:N0} managed bytes per series"));
        }
        Console.WriteLine();
        Console.WriteLine("managed B/series: the managed heap after a full compacting collection at the end of the run, over the series count (everything the process holds, the pipeline's fixed buffers too); in memory: series whose dedup state is in memory (the rest are in the queue's database)");
        Console.WriteLine();
        Console.WriteLine($"Disk fsync'd write limit (dd oflag=dsync in {dir}): {smallBlock}; {largeBlock}");
        foreach (var r in results)
        {
            Console.WriteLine(FormattableString.Invariant(
                $"  {r.Series:N0} series: the queue wrote {r.QueueBytesPerSecond / 1048576.0:F1} MiB/s of segments in {r.CommitsPerSecond:F0} fsync'd commits/s"));
        }
        return ExitCodes.Ok;
    }

    private static (string Small, string Large) MeasureDisk(string dir)
    {
        var target = Path.Combine(dir, "dd-probe");
        try
        {
            return (Dd(target, "4k", 2000, "4 KiB blocks"), Dd(target, "1M", 256, "1 MiB blocks"));
        }
        finally
        {
            File.Delete(target);
        }
    }

    private static string Dd(string target, string bs, int count, string label)
    {
        var psi = new ProcessStartInfo("dd") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "if=/dev/zero", "of=" + target, "bs=" + bs, "count=" + count.ToString(CultureInfo.InvariantCulture), "oflag=dsync" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var summary = err.Split('\n').LastOrDefault(l => l.Contains("copied", StringComparison.Ordinal)) ?? err.Trim();
        var elapsed = summary.Split(',').Select(s => s.Trim()).FirstOrDefault(s => s.EndsWith(" s", StringComparison.Ordinal));
        var writesPerSecond = elapsed is not null && double.TryParse(elapsed[..^2], CultureInfo.InvariantCulture, out var secs) && secs > 0
            ? FormattableString.Invariant($"{count / secs:N0} fsync'd writes/s, ")
            : "";
        return $"{label}: {writesPerSecond}{summary.Split(',').LastOrDefault()?.Trim()}";
    }

    private static async Task<int> RunChildAsync(int series, double seconds, double rate, double lingerMs, long seriesMemory, string dir, CancellationToken ct)
    {
        var root = Path.Combine(dir, $"run-{series}");
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        var config = BenchConfig(series, rate, lingerMs, seriesMemory, root);
        using var loggers = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        using var runtime = GatewayRuntime.Open(config, "bench", loggers, TimeProvider.System);
        runtime.CreateEndpoints(loggers);
        var services = runtime.HostedServices(loggers).ToList();
        foreach (var s in services) await s.StartAsync(ct).ConfigureAwait(false);

        await Task.Delay(TimeSpan.FromSeconds(WarmupSeconds), ct).ConfigureAwait(false);
        var m = runtime.Metrics;
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var committed0 = m.Accepted;
        var forwarded0 = m.ForwardedPerSink.Values.Sum();
        var commits0 = m.Commits;
        var bytes0 = runtime.Queue.GetStats().Bytes;
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds), ct).ConfigureAwait(false);
        var elapsed = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        var committed = m.Accepted - committed0;
        var forwarded = m.ForwardedPerSink.Values.Sum() - forwarded0;
        var commits = m.Commits - commits0;
        var stats = runtime.Queue.GetStats();
        var result = new BenchResult
        {
            Series = series,
            Seconds = elapsed,
            CommittedPerSecond = committed / elapsed,
            ForwardedPerSecond = forwarded / elapsed,
            CommitsPerSecond = commits / elapsed,
            CommitP50Micros = m.CommitLatency.PercentileMicros(0.50),
            CommitP99Micros = m.CommitLatency.PercentileMicros(0.99),
            PeakRssBytes = PeakRss(),
            GcHeapBytes = GC.GetGCMemoryInfo().HeapSizeBytes,
            GcCommittedBytes = GC.GetGCMemoryInfo().TotalCommittedBytes,
            CpuSeconds = cpu,
            QueueBytesPerPoint = stats.Points > 0 ? (double)stats.Bytes / stats.Points : 0,
            QueueBytesPerSecond = committed / elapsed * (stats.Points > 0 ? (double)stats.Bytes / stats.Points : 0),
        };
        if (Environment.GetEnvironmentVariable("EDGETWIN_BENCH_GCINFO") is not null)
        {
            var info = GC.GetGCMemoryInfo(GCKind.Any);
            var gens = string.Join(", ", Enumerable.Range(0, info.GenerationInfo.Length).Select(g => $"gen{g} {info.GenerationInfo[g].SizeAfterBytes / 1048576.0:F1}/{info.GenerationInfo[g].FragmentationAfterBytes / 1048576.0:F1} MiB"));
            await Console.Error.WriteLineAsync($"GC after last collection (size/fragmentation): {gens}; promoted {info.PromotedBytes / 1048576.0:F1} MiB; pinned objects {info.PinnedObjectsCount}").ConfigureAwait(false);
            var knobs = GC.GetConfigurationVariables().Where(kv => kv.Key is "GCgen0size" or "GCRegionSize" or "GCConserveMem" or "ConcurrentGC" or "GCHeapHardLimit");
            await Console.Error.WriteLineAsync("GC settings: " + string.Join(", ", knobs.Select(kv => $"{kv.Key}={kv.Value}"))).ConfigureAwait(false);
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            await Console.Error.WriteLineAsync($"after a full compacting GC: heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0:F1} MiB, total memory {GC.GetTotalMemory(false) / 1048576.0:F1} MiB").ConfigureAwait(false);
        }
        // Everything still reachable, after the figures above: a full compacting collection is not free.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        result.ManagedBytesPerSeries = GC.GetTotalMemory(forceFullCollection: false) / (double)series;
        result.SeriesInMemory = runtime.Queue.Dedup.SeriesCount;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (var i = services.Count - 1; i >= 0; i--) await services[i].StopAsync(stop.Token).ConfigureAwait(false);
        Console.WriteLine(JsonSerializer.Serialize(result, BenchJsonContext.Default.BenchResult));
        return ExitCodes.Ok;
    }

    /// <summary>Generated pumps (5 channels each) for the series count; one channel for a single series.</summary>
    private static EdgeTwinConfig BenchConfig(int series, double rate, double lingerMs, long seriesMemory, string root)
    {
        var dedup = seriesMemory > 0 ? $" \"dedup\": {{ \"memoryBytes\": {seriesMemory.ToString(CultureInfo.InvariantCulture)} }}," : "";
        var channels = series == 1 ? new List<string> { "pressure" } : ["speed", "flow", "pressure", "power", "vibration"];
        var pumps = Math.Max(1, series / channels.Count);
        var json = $$"""
        {
          "gateway": { "id": "bench", "stateDirectory": "{{root}}/state", "logLevel": "Warning" },{{dedup}}
          "queue": { "maxBytes": 8589934592, "minFreeDiskBytes": 268435456, "fullPolicy": "block", "commitLingerMs": {{lingerMs.ToString(CultureInfo.InvariantCulture)}} },
          "sources": { "simulator": [ {
              "name": "bench", "seed": 7, "pointsPerSecond": {{(rate > 0 ? rate : UnboundedRate).ToString(CultureInfo.InvariantCulture)}},
              "generatedPumps": {{pumps}}, "channels": [{{string.Join(",", channels.Select(c => "\"" + c + "\""))}}], "batchSize": 1024 } ] },
          "sinks": { "file": [ { "name": "out", "directory": "{{root}}/out", "maxFileBytes": 268435456, "maxFiles": 3 } ] }
        }
        """;
        return ConfigLoader.Load(json, "bench", root);
    }

    internal static long PeakRss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }
}

public sealed class BenchResult
{
    public int Series { get; set; }
    public double Seconds { get; set; }
    public double CommittedPerSecond { get; set; }
    public double ForwardedPerSecond { get; set; }
    public double CommitsPerSecond { get; set; }
    public long CommitP50Micros { get; set; }
    public long CommitP99Micros { get; set; }
    public long PeakRssBytes { get; set; }
    public long GcHeapBytes { get; set; }
    public long GcCommittedBytes { get; set; }
    public double CpuSeconds { get; set; }
    public double QueueBytesPerPoint { get; set; }
    public double QueueBytesPerSecond { get; set; }
    public double ManagedBytesPerSeries { get; set; }
    public int SeriesInMemory { get; set; }
}

[JsonSerializable(typeof(BenchResult))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
