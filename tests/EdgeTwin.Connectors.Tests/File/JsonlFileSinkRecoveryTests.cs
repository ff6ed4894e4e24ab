using System.Text.Json;
using static EdgeTwin.Connectors.Tests.File.FileSinkTestKit;

namespace EdgeTwin.Connectors.Tests.File;

/// <summary>
/// Recovery from position.json: the recorded segment and length, a crash between the data fsync and the position, a
/// restart, and damaged or lying position files.
/// </summary>
public sealed class JsonlFileSinkRecoveryTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

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
}
