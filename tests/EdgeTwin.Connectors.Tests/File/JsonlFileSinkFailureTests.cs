using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using static EdgeTwin.Connectors.Tests.File.FileSinkTestKit;

namespace EdgeTwin.Connectors.Tests.File;

/// <summary>
/// Writes that fail half-way (a full disk, a cancellation, a failing position write or file creation): the retry
/// writes each batch exactly once.
/// </summary>
public sealed class JsonlFileSinkFailureTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

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
