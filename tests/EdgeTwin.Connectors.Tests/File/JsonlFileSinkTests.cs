using System.Text.Json;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using static EdgeTwin.Connectors.Tests.File.FileSinkTestKit;

namespace EdgeTwin.Connectors.Tests.File;

public sealed class JsonlFileSinkTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Send_WritesOneSchemaLinePerPoint_WithEveryWireField()
    {
        var tags = new[] { new KeyValuePair<string, string>("unit", "bar"), new KeyValuePair<string, string>("line", "1") };
        var stream = new StreamDescriptor("pump-1", "pressure", "sim:pump-1/pressure", tags);
        var flag = new StreamDescriptor("pump-1", "running", "sim:pump-1/running");
        var state = new StreamDescriptor("pump-1", "mode", "sim:pump-1/mode");
        var ts = new DateTime(2026, 11, 24, 3, 0, 0, DateTimeKind.Utc).Ticks + 1_234_567;
        var points = new List<TelemetryPoint>
        {
            new(stream, ts, PointValue.FromNumber(42.12), Quality.Good, 0),
            new(flag, ts, PointValue.FromBoolean(true), Quality.Uncertain, 0x40000000, replayed: true),
            new(state, ts, PointValue.FromString("auto \"eco\"\n"), Quality.Bad, 0x80000000),
        };
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);

        var result = await sink.SendAsync(new SinkBatch(1, 1, points), default);

        Assert.Empty(result.Rejected);
        var lines = Lines(_dir);
        Assert.Equal(3, lines.Count);
        using (var doc = JsonDocument.Parse(lines[0]))
        {
            var p = doc.RootElement;
            Assert.Equal("1.0", p.GetProperty("schema_version").GetString());
            Assert.Equal(GatewayId, p.GetProperty("gateway_id").GetString());
            Assert.Equal("pump-1", p.GetProperty("asset_id").GetString());
            Assert.Equal("pressure", p.GetProperty("metric").GetString());
            Assert.Equal("2026-11-24T03:00:00.1234567Z", p.GetProperty("ts").GetString());
            Assert.Equal(42.12, p.GetProperty("value").GetDouble());
            Assert.Equal("good", p.GetProperty("quality").GetString());
            Assert.Equal(0u, p.GetProperty("status_code").GetUInt32());
            Assert.Equal("sim:pump-1/pressure", p.GetProperty("source").GetString());
            Assert.Equal("bar", p.GetProperty("tags").GetProperty("unit").GetString());
            Assert.Equal("1", p.GetProperty("tags").GetProperty("line").GetString());
            Assert.False(p.TryGetProperty("replayed", out _));
        }
        using (var doc = JsonDocument.Parse(lines[1]))
        {
            var p = doc.RootElement;
            Assert.True(p.GetProperty("value").GetBoolean());
            Assert.Equal("uncertain", p.GetProperty("quality").GetString());
            Assert.Equal(0x40000000u, p.GetProperty("status_code").GetUInt32());
            Assert.True(p.GetProperty("replayed").GetBoolean());
            Assert.False(p.TryGetProperty("tags", out _));
        }
        using (var doc = JsonDocument.Parse(lines[2]))
        {
            var p = doc.RootElement;
            Assert.Equal("auto \"eco\"\n", p.GetProperty("value").GetString());
            Assert.Equal("bad", p.GetProperty("quality").GetString());
        }
    }

    [Fact]
    public async Task Send_RecordsSegmentFileAndLengthInPositionFile()
    {
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);

        await sink.SendAsync(Batch(1, 2), default);
        await sink.SendAsync(Batch(3, 3), default);

        var (segment, file, length) = ReadPosition(_dir);
        Assert.Equal(3, segment);
        Assert.Equal(Path.GetFileName(sink.ActiveFile), file);
        Assert.Equal(new FileInfo(sink.ActiveFile!).Length, length);
        Assert.Equal(3, sink.HeldSegment);
        Assert.False(System.IO.File.Exists(_dir.Combine("position.json.tmp")));
    }

    [Fact]
    public async Task Send_RetryOfAlreadyDurableBatch_WritesNothing()
    {
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);
        await sink.SendAsync(Batch(1, 2), default);
        await sink.SendAsync(Batch(3, 4), default);
        var bytes = System.IO.File.ReadAllBytes(sink.ActiveFile!);
        var points = sink.PointsWritten;

        var again = await sink.SendAsync(Batch(3, 4), default);
        var older = await sink.SendAsync(Batch(1, 1), default);

        Assert.Same(SinkResult.Delivered, again);
        Assert.Same(SinkResult.Delivered, older);
        Assert.Equal(bytes, System.IO.File.ReadAllBytes(sink.ActiveFile!));
        Assert.Equal(points, sink.PointsWritten);
        Assert.Equal(4, ReadPosition(_dir).Segment);
    }

    [Fact]
    public async Task Send_RetryOfDurableBatchAfterRestart_WritesNothing()
    {
        await using (var sink = Sink(Config(_dir)))
        {
            await sink.RecoverAsync(default);
            await sink.SendAsync(Batch(1, 2), default);
        }

        // The queue's cursor update was lost in the crash, so it sends segments 1..2 again.
        await using var restarted = Sink(Config(_dir));
        await restarted.RecoverAsync(default);
        await restarted.SendAsync(Batch(1, 2), default);
        await restarted.SendAsync(Batch(3, 3), default);

        Assert.Equal(ExpectedIdentities(1, 3), Values(_dir));
        Assert.Equal(3, restarted.PointsWritten);
    }

    [Fact]
    public async Task Send_BatchPartlyOverlappingHeldSegments_ThrowsAndWritesNothing()
    {
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);
        await sink.SendAsync(Batch(1, 5), default);
        var length = new FileInfo(sink.ActiveFile!).Length;

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => sink.SendAsync(Batch(4, 6), default).AsTask());

        Assert.Contains("overlaps", e.Message, StringComparison.Ordinal);
        Assert.Equal(length, new FileInfo(sink.ActiveFile!).Length);
        Assert.Equal(5, ReadPosition(_dir).Segment);
    }

    [Fact]
    public async Task Send_WithGapInSegments_WritesTheBatch()
    {
        // The queue's drop-oldest policy can delete segments a sink never saw; a gap is not an error.
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);
        await sink.SendAsync(Batch(1, 1), default);

        await sink.SendAsync(Batch(7, 8), default);

        Assert.Equal(ExpectedIdentities(1, 1).Concat(ExpectedIdentities(7, 8)), Values(_dir));
    }

    [Fact]
    public async Task Send_BeforeRecover_Throws()
    {
        await using var sink = Sink(Config(_dir));

        await Assert.ThrowsAsync<InvalidOperationException>(() => sink.SendAsync(Batch(1, 1), default).AsTask());
    }

    [Fact]
    public async Task Send_PointsJsonCannotCarry_AreRejectedAndTheRestWritten()
    {
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);
        var points = new List<TelemetryPoint>
        {
            Point(1, 0),
            new(Pressure, BaseTicks, PointValue.FromNumber(double.NaN), Quality.Good, 0),
            Point(1, 2),
            new(Pressure, BaseTicks, PointValue.None, Quality.Good, 0),
        };

        var result = await sink.SendAsync(new SinkBatch(1, 1, points), default);

        Assert.Equal([1, 3], result.Rejected.Select(r => r.Index));
        Assert.Equal([Identity(1, 0), Identity(1, 2)], Values(_dir));
        Assert.Equal(2, sink.PointsWritten);
    }

    [Fact]
    public async Task Send_EmptyBatch_RecordsItsSegment()
    {
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);

        await sink.SendAsync(new SinkBatch(1, 1, []), default);

        Assert.Equal(1, ReadPosition(_dir).Segment);
        Assert.Equal(0, ReadPosition(_dir).Length);
    }

    [Fact]
    public async Task Send_PointLargerThanTheWriteBuffer_IsWrittenWhole()
    {
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);
        var text = new string('x', 3 << 20);
        var points = new List<TelemetryPoint> { Point(1, 0), new(Pressure, BaseTicks + 1, PointValue.FromString(text), Quality.Good, 0), Point(1, 2) };

        await sink.SendAsync(new SinkBatch(1, 1, points), default);

        var lines = Lines(_dir);
        Assert.Equal(3, lines.Count);
        using var doc = JsonDocument.Parse(lines[1]);
        Assert.Equal(text, doc.RootElement.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Counters_CountPointsBytesAndRotations()
    {
        await using var sink = Sink(Config(_dir, maxFileBytes: 500, maxFiles: 0));
        await sink.RecoverAsync(default);

        await sink.SendAsync(Batch(1, 1), default);
        await sink.SendAsync(Batch(2, 3), default);
        await sink.SendAsync(Batch(2, 3), default);

        Assert.Equal(9, sink.PointsWritten);
        Assert.Equal(SinkFiles(_dir).Sum(f => new FileInfo(f).Length), sink.BytesWritten);
        Assert.Equal(1, sink.FilesRotated);
    }

    [Fact]
    public async Task Send_AcceptsAnyReadOnlyList()
    {
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);
        var batch = Batch(1, 2);

        await sink.SendAsync(new SinkBatch(1, 1, batch.Points.Take(3).ToArray()), default);
        await sink.SendAsync(new SinkBatch(2, 2, batch.Points.Skip(3).ToList().AsReadOnly()), default);

        Assert.Equal(ExpectedIdentities(1, 2), Values(_dir));
    }
}
