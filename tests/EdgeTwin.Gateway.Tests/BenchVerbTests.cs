using System.Globalization;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests;

/// <summary>
/// <c>edgetwin bench</c> through the published binary: a short run in a memory cgroup limited as the unit's
/// MemoryMax= limits the daemon, with a series budget of its own.
/// </summary>
[Collection("daemon")]
public sealed class BenchVerbTests
{
    [Fact]
    public void Bench_InAMemoryCgroup_WithItsOwnSeriesBudget_MeasuresAndRemovesTheCgroup()
    {
        using var dir = new TestDirectory("bench");

        var (code, output) = GatewayProcess.Run(TimeSpan.FromMinutes(3), "bench", "--series", "2000", "--seconds", "1",
            "--memory-max", "536870912", "--series-memory", "33554432", "--dir", dir.Path);

        Assert.True(code == 0, output);
        Assert.Contains("series memory budget 33,554,432 bytes", output, StringComparison.Ordinal);
        Assert.Contains("each run in a memory cgroup of its own", output, StringComparison.Ordinal);
        Assert.Contains("limited to 536,870,912 bytes", output, StringComparison.Ordinal);
        // The row of the run: its committed points/s is a positive figure, and every series was in memory.
        var row = output.Split('\n').Single(l => l.StartsWith("| 2,000 |", StringComparison.Ordinal));
        var cells = row.Split('|', StringSplitOptions.TrimEntries);
        Assert.True(double.Parse(cells[2], NumberStyles.Number, CultureInfo.InvariantCulture) > 0, row);
        Assert.Equal("2,000", cells[10]);
        // Each run's cgroup (edgetwin-bench-<series>-<pid>) and the early check's are gone.
        var left = new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/memory" }.Where(Directory.Exists)
            .SelectMany(root => Directory.GetDirectories(root, "edgetwin-bench-*")).ToList();
        Assert.True(left.Count == 0, "left behind: " + string.Join(", ", left));
    }
}
