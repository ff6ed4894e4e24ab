using System.Diagnostics;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Gateway.Metrics;
using EdgeTwin.Gateway.Pipeline;
using EdgeTwin.Storage;
using LiteDB;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Gateway.Hosting;

/// <summary>
/// The pipeline thread: takes batches from the ingest channel, runs normalize/validate/dedup, and group-commits
/// them to the queue. A commit holds as many batches as arrived while the previous one was being written (up
/// to $.queue.maxSegmentPoints, or $.queue.maxCommitDelayMs after its first point), so throughput grows with
/// load while latency stays bounded. A batch's sources are told it is durable only after its commit.
/// On stop it drains the channel (the sources have stopped first), commits, and checkpoints the queue.
/// </summary>
public sealed class PipelineWorker : IHostedService
{
    private readonly IngestProcessor _processor;
    private readonly IngestChannel _channel;
    private readonly PipelineMetrics _metrics;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly int _maxPoints;
    private readonly TimeSpan _maxDelay;
    private readonly CancellationTokenSource _abort = new();
    private Thread? _thread;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastMaintainTicks;

    public PipelineWorker(IngestProcessor processor, IngestChannel channel, PipelineMetrics metrics, ILogger<PipelineWorker> log, TimeProvider time, int maxSegmentPoints, TimeSpan maxCommitDelay)
    {
        _processor = processor;
        _channel = channel;
        _metrics = metrics;
        _log = log;
        _time = time;
        _maxPoints = maxSegmentPoints;
        _maxDelay = maxCommitDelay;
    }

    public Task Completion => _finished.Task;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _thread = new Thread(Run) { Name = "edgetwin-pipeline", IsBackground = true };
        _thread.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Sources were stopped first and completed the channel; let the loop drain and commit what is left.
        _channel.Complete();
        using var reg = cancellationToken.Register(() => _abort.Cancel());
        await _finished.Task.ConfigureAwait(false);
    }

    private void Run()
    {
        var request = new CommitRequest();
        var pending = new List<IngestBatch>();
        var results = new List<IngestResult>();
        try
        {
            var reader = _channel.Reader;
            while (true)
            {
                _metrics.LastProgressTicks = _time.GetUtcNow().UtcTicks;
                long firstTicks = 0;
                while (request.Points.Count < _maxPoints)
                {
                    if (reader.TryRead(out var batch))
                    {
                        if (pending.Count == 0) firstTicks = Stopwatch.GetTimestamp();
                        pending.Add(batch);
                        results.Add(_processor.Process(batch, request));
                        if (Stopwatch.GetElapsedTime(firstTicks) >= _maxDelay) break;
                        continue;
                    }
                    if (pending.Count > 0) break; // nothing more waiting: commit now
                    if (reader.Completion.IsCompleted) goto drained;
                    MaintainIfDue(force: false);
                    WaitForData(reader, TimeSpan.FromMilliseconds(100));
                    _metrics.LastProgressTicks = _time.GetUtcNow().UtcTicks;
                }
                CommitPending(request, pending, results);
                MaintainIfDue(force: false);
            }
        drained:
            MaintainIfDue(force: true);
        }
        catch (OperationCanceledException)
        {
            // Shutdown timed out while blocked: the uncommitted batches were never acknowledged upstream.
        }
        catch (Exception ex)
        {
            Log.PipelineFailed(_log, ex);
            _finished.TrySetException(ex);
        }
        finally
        {
            if (pending.Count > 0)
            {
                Log.AbandonedBatches(_log, pending.Count);
                foreach (var b in pending) b.Fail(new OperationCanceledException("gateway stopping before the batch was committed"));
            }
            while (_channel.Reader.TryRead(out var left)) left.Fail(new OperationCanceledException("gateway stopping"));
            _finished.TrySetResult();
        }
    }

    private static void WaitForData(System.Threading.Channels.ChannelReader<IngestBatch> reader, TimeSpan timeout)
    {
        var wait = reader.WaitToReadAsync();
        if (wait.IsCompleted) return;
        wait.AsTask().Wait(timeout);
    }

    private void CommitPending(CommitRequest request, List<IngestBatch> pending, List<IngestResult> results)
    {
        var blockedSince = 0L;
        var failures = 0;
        while (true)
        {
            _abort.Token.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            try
            {
                var result = _processor.Queue.Commit(request);
                _metrics.AddCommit(Stopwatch.GetElapsedTime(start), result.DroppedPoints);
                break;
            }
            catch (QueueFullException ex)
            {
                if (blockedSince == 0)
                {
                    blockedSince = Stopwatch.GetTimestamp();
                    Log.QueueBlocked(_log, ex.Message);
                }
                MaintainIfDue(force: true);
                _abort.Token.WaitHandle.WaitOne(50);
            }
            catch (Exception ex) when (ex is IOException or LiteException or UnauthorizedAccessException or InvalidOperationException)
            {
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * (1 << Math.Min(failures, 7))));
                _metrics.StorageError = ex.Message;
                Log.CommitFailed(_log, ex.Message, (long)delay.TotalMilliseconds);
                _abort.Token.WaitHandle.WaitOne(delay);
                try
                {
                    _processor.Queue.Reopen();
                }
                catch (Exception reopen) when (reopen is IOException or LiteException or UnauthorizedAccessException)
                {
                    _metrics.StorageError = reopen.Message;
                }
            }
            // The failed commit rolled the dedup admissions back: run the same batches again from scratch.
            request.Clear();
            results.Clear();
            foreach (var b in pending) results.Add(_processor.Process(b, request));
        }
        if (blockedSince != 0)
        {
            var ms = (long)Stopwatch.GetElapsedTime(blockedSince).TotalMilliseconds;
            _metrics.AddBlocked(ms);
            Log.QueueUnblocked(_log, ms);
        }
        if (failures > 0)
        {
            _metrics.StorageError = null;
            Log.StorageRecovered(_log);
        }
        foreach (var q in request.Quarantine) _metrics.AddQuarantineReason(q.Reason);
        for (var i = 0; i < pending.Count; i++)
        {
            var r = results[i];
            _metrics.AddBatch(pending[i].SourceName, pending[i].Count, r.Accepted, r.Duplicates, r.LateUnverified, r.Quarantined);
            pending[i].Complete(r);
        }
        pending.Clear();
        results.Clear();
        request.Clear();
    }

    private void MaintainIfDue(bool force)
    {
        var now = Stopwatch.GetTimestamp();
        if (!force && Stopwatch.GetElapsedTime(_lastMaintainTicks, now) < TimeSpan.FromMilliseconds(100)) return;
        _lastMaintainTicks = now;
        try
        {
            _processor.Queue.Maintain(force);
        }
        catch (Exception ex) when (ex is IOException or LiteException or UnauthorizedAccessException)
        {
            Log.MaintenanceFailed(_log, ex.Message);
        }
    }
}
