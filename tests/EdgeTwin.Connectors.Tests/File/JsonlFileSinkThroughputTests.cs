using System.Diagnostics;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using Xunit.Abstractions;
using static EdgeTwin.Connectors.Tests.File.FileSinkTestKit;

namespace EdgeTwin.Connectors.Tests.File;

/// <summary>
/// Measures, never asserts, speed: a unit test on a shared machine is no benchmark. What it does assert is
/// that a million points arrive whole and that the hot path stays within an allocation budget, which does
/// not depend on the machine.
/// </summary>
public sealed class JsonlFileSinkThroughputTests(ITestOutputHelper output) : IDisposable
{
    private const int TotalPoints = 1_000_000;
    private const int BatchPoints = 65_536;
    private const int WarmUpBatches = 3;

    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Send_OneMillionPoints_ArriveWholeWithinTheAllocationBudget()
    {
        var streams = Enumerable.Range(0, 100)
            .Select(i => new StreamDescriptor(
                $"pump-{i}", "pressure", $"sim:pump-{i}/pressure",
                [new KeyValuePair<string, string>("unit", "bar"), new KeyValuePair<string, string>("site", "plant-north")]))
            .ToArray();
        var batches = new List<SinkBatch>();
        for (var segment = 1; segment * BatchPoints - BatchPoints < TotalPoints; segment++)
        {
            var count = Math.Min(BatchPoints, TotalPoints - ((segment - 1) * BatchPoints));
            var points = new TelemetryPoint[count];
            for (var i = 0; i < count; i++)
            {
                var n = ((segment - 1) * BatchPoints) + i;
                points[i] = new TelemetryPoint(streams[n % streams.Length], BaseTicks + (n * 10_000L), PointValue.FromNumber(3.2 + (n % 1000 * 0.001)), Quality.Good, 0);
            }
            // Segments 1..3 are the warm-up's; the measured batches follow them.
            batches.Add(new SinkBatch(WarmUpBatches + segment, WarmUpBatches + segment, points));
        }

        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);
        // Warm up outside the count (tiered JIT, the wire writer's per-stream cache, the pooled buffer), so the
        // figure is the steady state the native AOT binary starts in.
        for (var segment = 1; segment <= WarmUpBatches; segment++) await sink.SendAsync(new SinkBatch(segment, segment, batches[segment].Points), default);
        var warmPoints = sink.PointsWritten;
        var warmBytes = sink.BytesWritten;

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        foreach (var batch in batches) await sink.SendAsync(batch, default);
        clock.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        var written = sink.PointsWritten - warmPoints;
        var bytes = sink.BytesWritten - warmBytes;
        output.WriteLine(
            $"{written:N0} points, {bytes / 1e6:F1} MB in {clock.Elapsed.TotalSeconds:F3} s: {written / clock.Elapsed.TotalSeconds:N0} points/s, "
            + $"{bytes / 1e6 / clock.Elapsed.TotalSeconds:F1} MB/s, {batches.Count} batches (fsync + position each), "
            + $"{allocated:N0} bytes allocated ({(double)allocated / written:F3} per point)");

        Assert.Equal(TotalPoints, written);
        Assert.Equal(SinkFiles(_dir).Sum(f => new FileInfo(f).Length), sink.BytesWritten);
        Assert.Equal(TotalPoints + (WarmUpBatches * BatchPoints), CountLines(_dir));
        // Per batch the sink allocates a few handles and paths; per point nothing.
        Assert.True(allocated < batches.Count * 16 * 1024, $"{allocated} bytes allocated for {batches.Count} batches");
    }

    private static long CountLines(TestDirectory dir)
    {
        long lines = 0;
        var buffer = new byte[1 << 20];
        foreach (var file in SinkFiles(dir))
        {
            using var stream = System.IO.File.OpenRead(file);
            int n;
            while ((n = stream.Read(buffer)) > 0) lines += buffer.AsSpan(0, n).Count((byte)'\n');
        }
        return lines;
    }
}
