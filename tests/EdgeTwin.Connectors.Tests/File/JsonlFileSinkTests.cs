using System.Text.Json;
using EdgeTwin.Connectors.File;
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
    public async Task Recover_WithoutPositionFile_ReturnsNullAndStartsAnEmptyFileItRecords()
    {
        var nested = _dir.Combine("a/b");
        var config = Config(_dir);
        config.Directory = nested;
        await using var sink = Sink(config);

        var held = await sink.RecoverAsync(default);

        Assert.Null(held);
        Assert.Null(sink.HeldSegment);
        var file = Assert.Single(Directory.GetFiles(nested, "*.jsonl"));
        Assert.Equal("edgetwin-20261124T030000Z-000001.jsonl", Path.GetFileName(file));
        Assert.Equal(file, sink.ActiveFile);
        Assert.Equal(0, new FileInfo(file).Length);
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllBytes(Path.Combine(nested, "position.json")));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("segment").ValueKind);
        Assert.Equal(Path.GetFileName(file), doc.RootElement.GetProperty("file").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("length").GetInt64());
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
    public async Task Send_ThenRecover_ReturnsLastSegmentAndTruncatesPartialTail()
    {
        string active;
        long recordedLength;
        await using (var sink = Sink(Config(_dir)))
        {
            await sink.RecoverAsync(default);
            await sink.SendAsync(Batch(1, 4), default);
            active = sink.ActiveFile!;
            recordedLength = new FileInfo(active).Length;
        }
        // A crash while the next batch was being written: half a line that was never fsync'd or recorded.
        Append(active, "{\"schema_version\":\"1.0\",\"gateway_id\":\"gw-7\",\"asset_id\":\"pu");

        await using var recovered = Sink(Config(_dir));
        var held = await recovered.RecoverAsync(default);

        Assert.Equal(4, held);
        Assert.Equal(active, recovered.ActiveFile);
        Assert.Equal(recordedLength, new FileInfo(active).Length);
        await recovered.SendAsync(Batch(5, 5), default);
        Assert.Equal(ExpectedIdentities(1, 5), Values(_dir));
    }

    [Fact]
    public async Task Recover_AfterCrashBetweenDataFsyncAndPositionRename_DropsTheUnrecordedBatch()
    {
        await using (var sink = Sink(Config(_dir)))
        {
            await sink.RecoverAsync(default);
            await sink.SendAsync(Batch(1, 1), default);
        }
        // What a kill between the data fsync and the rename leaves: whole lines of segment 2 past the recorded
        // length, and a finished temp position file that was never renamed.
        var position = ReadPosition(_dir);
        var complete = System.IO.File.ReadAllText(_dir.Combine(position.File));
        Append(_dir.Combine(position.File), complete.Replace("\"value\":1000000", "\"value\":2000000", StringComparison.Ordinal));
        System.IO.File.WriteAllText(_dir.Combine("position.json.tmp"), $"{{\"segment\":2,\"file\":\"{position.File}\",\"length\":{complete.Length * 2}}}");

        await using var recovered = Sink(Config(_dir));
        var held = await recovered.RecoverAsync(default);

        Assert.Equal(1, held);
        Assert.False(System.IO.File.Exists(_dir.Combine("position.json.tmp")));
        await recovered.SendAsync(Batch(2, 2), default);
        Assert.Equal(ExpectedIdentities(1, 2), Values(_dir));
    }

    [Fact]
    public async Task Recover_AfterRestart_AppendsToTheSameFile()
    {
        await using (var sink = Sink(Config(_dir)))
        {
            await sink.RecoverAsync(default);
            await sink.SendAsync(Batch(1, 1), default);
        }

        await using var restarted = Sink(Config(_dir));
        await restarted.RecoverAsync(default);
        await restarted.SendAsync(Batch(2, 3), default);

        Assert.Single(SinkFiles(_dir));
        Assert.Equal(ExpectedIdentities(1, 3), Values(_dir));
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
    public async Task Send_WhenActiveFileReachesMaxFileBytes_RotatesAtBatchBoundary()
    {
        // One batch of three points is about 700 bytes: every file is full after one batch.
        await using var sink = Sink(Config(_dir, maxFileBytes: 500, maxFiles: 0));
        await sink.RecoverAsync(default);

        for (var s = 1; s <= 4; s++) await sink.SendAsync(Batch(s, s), default);

        var files = SinkFiles(_dir);
        Assert.Equal(4, files.Count);
        Assert.Equal(3, sink.FilesRotated);
        for (var i = 0; i < files.Count; i++)
        {
            Assert.EndsWith($"-{i + 1:D6}.jsonl", files[i], StringComparison.Ordinal);
            var lines = System.IO.File.ReadAllText(files[i]).TrimEnd('\n').Split('\n');
            Assert.Equal(3, lines.Length);
        }
        Assert.Equal(ExpectedIdentities(1, 4), Values(_dir));
        var position = ReadPosition(_dir);
        Assert.Equal(Path.GetFileName(files[^1]), position.File);
        Assert.Equal(4, position.Segment);
    }

    [Fact]
    public async Task Send_BelowMaxFileBytes_KeepsWritingTheSameFile()
    {
        await using var sink = Sink(Config(_dir, maxFileBytes: 1 << 20));
        await sink.RecoverAsync(default);

        for (var s = 1; s <= 10; s++) await sink.SendAsync(Batch(s, s), default);

        Assert.Single(SinkFiles(_dir));
        Assert.Equal(0, sink.FilesRotated);
    }

    [Fact]
    public async Task Send_BeyondMaxFiles_DeletesTheOldestCompletedFiles()
    {
        await using var sink = Sink(Config(_dir, maxFileBytes: 500, maxFiles: 2));
        await sink.RecoverAsync(default);

        for (var s = 1; s <= 6; s++) await sink.SendAsync(Batch(s, s), default);

        var names = SinkFiles(_dir).Select(Path.GetFileName).ToList();
        Assert.Equal(
            ["edgetwin-20261124T030000Z-000004.jsonl", "edgetwin-20261124T030000Z-000005.jsonl", "edgetwin-20261124T030000Z-000006.jsonl"],
            names);
        Assert.Equal(ExpectedIdentities(4, 6), Values(_dir));
    }

    [Fact]
    public async Task Rotation_OrdersFilesBySequence_EvenWhenTheClockStepsBack()
    {
        var time = Clock();
        await using var sink = Sink(Config(_dir, maxFileBytes: 500, maxFiles: 1), time);
        await sink.RecoverAsync(default);
        await sink.SendAsync(Batch(1, 1), default);
        time.AdjustTime(time.GetUtcNow().AddDays(-1));

        await sink.SendAsync(Batch(2, 2), default);
        await sink.SendAsync(Batch(3, 3), default);

        var names = Directory.GetFiles(_dir.Path, "*.jsonl").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["edgetwin-20261123T030000Z-000002.jsonl", "edgetwin-20261123T030000Z-000003.jsonl"], names);
    }

    [Fact]
    public async Task Recover_AfterInterruptedRotation_RemovesTheEmptyFileThePositionDoesNotName()
    {
        await using (var sink = Sink(Config(_dir)))
        {
            await sink.RecoverAsync(default);
            await sink.SendAsync(Batch(1, 1), default);
        }
        // Killed after creating the next file, before the position moved to it.
        System.IO.File.WriteAllBytes(_dir.Combine("edgetwin-20261124T030000Z-000002.jsonl"), []);

        await using var recovered = Sink(Config(_dir));
        await recovered.RecoverAsync(default);

        var file = Assert.Single(SinkFiles(_dir));
        Assert.EndsWith("-000001.jsonl", file, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recover_WithoutPositionFile_LeavesFilesWithContentAndStartsAfterThem()
    {
        System.IO.File.WriteAllText(_dir.Combine("edgetwin-20261101T000000Z-000007.jsonl"), "{}\n");
        System.IO.File.WriteAllBytes(_dir.Combine("edgetwin-20261101T000000Z-000008.jsonl"), []);
        await using var sink = Sink(Config(_dir));

        Assert.Null(await sink.RecoverAsync(default));

        Assert.Equal(
            ["edgetwin-20261101T000000Z-000007.jsonl", "edgetwin-20261124T030000Z-000009.jsonl"],
            SinkFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Recover_WhenPositionNamesAMissingFile_ThrowsInvalidDataExceptionNamingBothPaths()
    {
        await using (var sink = Sink(Config(_dir)))
        {
            await sink.RecoverAsync(default);
            await sink.SendAsync(Batch(1, 1), default);
        }
        var active = SinkFiles(_dir).Single();
        System.IO.File.Delete(active);

        await using var recovered = Sink(Config(_dir));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => recovered.RecoverAsync(default).AsTask());

        Assert.Contains(_dir.Combine("position.json"), e.Message, StringComparison.Ordinal);
        Assert.Contains(active, e.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recover_WhenActiveFileIsShorterThanRecorded_ThrowsInvalidDataException()
    {
        await using (var sink = Sink(Config(_dir)))
        {
            await sink.RecoverAsync(default);
            await sink.SendAsync(Batch(1, 1), default);
        }
        var active = SinkFiles(_dir).Single();
        using (var stream = new FileStream(active, FileMode.Open)) stream.SetLength(stream.Length - 10);

        await using var recovered = Sink(Config(_dir));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => recovered.RecoverAsync(default).AsTask());

        Assert.Contains(active, e.Message, StringComparison.Ordinal);
        Assert.Contains("confirmed data is missing", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"segment\":1,\"file\":\"edgetwin-20261124T030000Z-000001.jsonl\"}")]
    [InlineData("{\"segment\":1,\"length\":0}")]
    [InlineData("{\"file\":\"edgetwin-20261124T030000Z-000001.jsonl\",\"length\":0}")]
    [InlineData("{\"segment\":\"1\",\"file\":\"edgetwin-20261124T030000Z-000001.jsonl\",\"length\":0}")]
    [InlineData("{\"segment\":1.5,\"file\":\"edgetwin-20261124T030000Z-000001.jsonl\",\"length\":0}")]
    [InlineData("{\"segment\":1,\"file\":\"edgetwin-20261124T030000Z-000001.jsonl\",\"length\":-1}")]
    [InlineData("{\"segment\":1,\"file\":\"../../etc/passwd\",\"length\":0}")]
    [InlineData("{\"segment\":1,\"file\":\"other.jsonl\",\"length\":0}")]
    [InlineData("{\"segment\":1,\"file\":\"edgetwin-20261124T030000Z-000001.jsonl\",\"length\":0,\"extra\":1}")]
    [InlineData("{\"segment\":1,\"segment\":2,\"file\":\"edgetwin-20261124T030000Z-000001.jsonl\",\"length\":0}")]
    [InlineData("{\"segment\":1,\"file\":\"edgetwin-20261124T030000Z-000001.jsonl\",\"length\":0}garbage")]
    [InlineData("{\"segment\":1,\"file\":\"edgetwin-20261124T030000Z-000001.jsonl\",\"length\":0")]
    public async Task Recover_WithCorruptPositionFile_ThrowsInvalidDataExceptionWithThePath(string content)
    {
        System.IO.File.WriteAllText(_dir.Combine("edgetwin-20261124T030000Z-000001.jsonl"), "");
        System.IO.File.WriteAllText(_dir.Combine("position.json"), content);
        await using var sink = Sink(Config(_dir));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => sink.RecoverAsync(default).AsTask());

        Assert.Contains(_dir.Combine("position.json"), e.Message, StringComparison.Ordinal);
        Assert.Contains("damaged", e.Message, StringComparison.Ordinal);
        // Nothing was started over: no new file, the damaged position file is left for a person to look at.
        Assert.Single(SinkFiles(_dir));
        Assert.Equal(content, System.IO.File.ReadAllText(_dir.Combine("position.json")));
    }

    [Fact]
    public async Task Send_AfterFailedHalfWrite_TruncatesAndWritesTheBatchExactlyOnce()
    {
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);
        await sink.SendAsync(Batch(1, 1), default);
        var recorded = ReadPosition(_dir).Length;
        // 20 000 points are several write chunks: the failure at point 15 000 comes after some reached the file.
        var batch = Batch(2, 2, pointsPerSegment: 20_000);
        var failing = new FailingList(batch.Points, failAt: 15_000, new IOException("No space left on device"));

        var e = await Assert.ThrowsAsync<IOException>(() => sink.SendAsync(new SinkBatch(2, 2, failing), default).AsTask());

        Assert.Equal("No space left on device", e.Message);
        Assert.True(new FileInfo(sink.ActiveFile!).Length > recorded, "the failure should leave a partial batch behind");
        Assert.Equal(1, ReadPosition(_dir).Segment);
        Assert.Equal(recorded, ReadPosition(_dir).Length);

        await sink.SendAsync(batch, default);

        Assert.Equal(ExpectedIdentities(1, 1).Concat(ExpectedIdentities(2, 2, 20_000)), Values(_dir));
        Assert.Equal(new FileInfo(sink.ActiveFile!).Length, ReadPosition(_dir).Length);
    }

    [Fact]
    public async Task Send_AfterFailedHalfWrite_ADifferentSmallerBatchLeavesNoStaleTail()
    {
        // The queue may drop segments between attempts (drop-oldest); what the failed attempt left must not
        // survive behind a shorter batch.
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);
        var big = Batch(1, 1, pointsPerSegment: 20_000);
        var failing = new FailingList(big.Points, failAt: 19_999, new IOException("No space left on device"));
        await Assert.ThrowsAsync<IOException>(() => sink.SendAsync(new SinkBatch(1, 1, failing), default).AsTask());

        await sink.SendAsync(Batch(2, 2), default);

        Assert.Equal(ExpectedIdentities(2, 2), Values(_dir));
    }

    [Fact]
    public async Task Send_CancelledBetweenChunks_RetryWritesTheBatchExactlyOnce()
    {
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);
        using var cts = new CancellationTokenSource();
        var batch = Batch(1, 1, pointsPerSegment: 20_000);
        var cancelling = new FailingList(batch.Points, failAt: 10_000, onFail: cts.Cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sink.SendAsync(new SinkBatch(1, 1, cancelling), cts.Token).AsTask());
        await sink.SendAsync(batch, default);

        Assert.Equal(ExpectedIdentities(1, 1, 20_000), Values(_dir));
    }

    [Fact]
    public async Task Send_WhenPositionWriteFails_RetryCutsTheDurableButUnrecordedBatch()
    {
        await using var sink = Sink(Config(_dir));
        await sink.RecoverAsync(default);
        await sink.SendAsync(Batch(1, 1), default);
        // A directory where the temp position file goes makes the position write fail after the data fsync.
        Directory.CreateDirectory(_dir.Combine("position.json.tmp"));

        await Assert.ThrowsAnyAsync<Exception>(() => sink.SendAsync(Batch(2, 2), default).AsTask());

        Assert.Equal(1, ReadPosition(_dir).Segment);
        Directory.Delete(_dir.Combine("position.json.tmp"));
        await sink.SendAsync(Batch(2, 2), default);
        Assert.Equal(ExpectedIdentities(1, 2), Values(_dir));
    }

    [Fact]
    public async Task Send_WhenRotationCannotCreateTheNextFile_FailsAndRotatesOnRetry()
    {
        await using var sink = Sink(Config(_dir, maxFileBytes: 500));
        await sink.RecoverAsync(default);
        await sink.SendAsync(Batch(1, 1), default);
        var next = _dir.Combine("edgetwin-20261124T030000Z-000002.jsonl");
        Directory.CreateDirectory(next);

        await Assert.ThrowsAnyAsync<IOException>(() => sink.SendAsync(Batch(2, 2), default).AsTask());

        Assert.EndsWith("-000001.jsonl", ReadPosition(_dir).File, StringComparison.Ordinal);
        Directory.Delete(next);
        await sink.SendAsync(Batch(2, 2), default);
        Assert.Equal(2, SinkFiles(_dir).Count);
        Assert.Equal(ExpectedIdentities(1, 2), Values(_dir));
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

    /// <summary>A batch's points that fail once, at one index, the way a disk error or a cancellation interrupts a write.</summary>
    internal sealed class FailingList(IReadOnlyList<TelemetryPoint> points, int failAt, Exception? error = null, Action? onFail = null)
        : IReadOnlyList<TelemetryPoint>
    {
        private bool _failed;

        public int Count => points.Count;

        public TelemetryPoint this[int index]
        {
            get
            {
                if (index == failAt && !_failed)
                {
                    _failed = true;
                    onFail?.Invoke();
                    if (error is not null) throw error;
                }
                return points[index];
            }
        }

        public IEnumerator<TelemetryPoint> GetEnumerator() => points.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
