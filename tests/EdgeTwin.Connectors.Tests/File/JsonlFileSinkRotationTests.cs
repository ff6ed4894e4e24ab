using static EdgeTwin.Connectors.Tests.File.FileSinkTestKit;

namespace EdgeTwin.Connectors.Tests.File;

/// <summary>
/// Rotation at batch boundaries by size, pruning beyond the file count, file order by sequence, and files an
/// interrupted rotation leaves.
/// </summary>
public sealed class JsonlFileSinkRotationTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

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
}
