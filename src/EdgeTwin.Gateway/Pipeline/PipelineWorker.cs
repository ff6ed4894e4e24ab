using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Gateway.Metrics;
using EdgeTwin.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;

namespace EdgeTwin.Gateway.Pipeline;

/// <summary>
/// The pipeline thread, the middle of the data flow: ingest channel → <see cref="IngestProcessor"/> (normalize, map,
/// dedup) → group commit to the queue → each batch's <see cref="IngestBatch.Complete"/>, the back-flow that tells its
/// source the readings are durable (and only then). A commit groups what arrived while the previous one was written,
/// so throughput grows with load while latency stays bounded. Storage failures are retried with backoff (Polly).
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
    private volatile bool _stopping;

    private readonly DurableQueue _queue;
    private readonly ResiliencePipeline _storageRetry;

    /// <summary>Keeps the heartbeat going while a storage retry waits: a deliberate wait, not a stall.</summary>
    private readonly Timer _backoffHeartbeat;
    private bool _backoffHeartbeatArmed;
    private int _storageFailures;

    public PipelineWorker(IngestProcessor processor, IngestChannel channel, DurableQueue queue, PipelineMetrics metrics, ILogger<PipelineWorker> log, TimeProvider time, int maxSegmentPoints, TimeSpan maxCommitDelay, TimeSpan commitLinger)
    {
        _processor = processor;
        _queue = queue;
        _channel = channel;
        _metrics = metrics;
        _log = log;
        _time = time;
        _maxPoints = maxSegmentPoints;
        _maxDelay = maxCommitDelay;
        _linger = commitLinger;
        _backoffHeartbeat = new Timer(_ => Heartbeat());
        _storageRetry = Backoff.Forever(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), (ex, _) => ex is StorageException, (ex, delay) =>
        {
            _storageFailures++;
            _metrics.StorageError = ex.Message;
            Log.CommitFailed(_log, ex.Message, (long)delay.TotalMilliseconds);
            if (_stopping) throw new OperationCanceledException("stopping during a storage failure");
            _backoffHeartbeatArmed = true;
            _backoffHeartbeat.Change(TimeSpan.Zero, TimeSpan.FromSeconds(1));
        });
    }

    private readonly TimeSpan _linger;

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
        _stopping = true;
        _channel.Complete();
        using var reg = cancellationToken.Register(() => _abort.Cancel());
        // A failed pipeline was logged when it failed; RunCommand turns it into exit code 70.
        await ((Task)_finished.Task).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
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
                Heartbeat();
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
                    if (pending.Count > 0)
                    {
                        // Nothing more waiting: commit now, or linger a little for a larger group commit.
                        var waited = Stopwatch.GetElapsedTime(firstTicks);
                        if (waited >= _linger) break;
                        WaitForData(reader, _linger - waited);
                        if (!reader.TryPeek(out _)) break;
                        continue;
                    }
                    if (reader.Completion.IsCompleted) goto drained;
                    ReopenIfNeeded();
                    RunJobs();
                    MaintainIfDue(force: false);
                    WaitForData(reader, TimeSpan.FromMilliseconds(100));
                    Heartbeat();
                }
                Volatile.Write(ref _metrics.PendingBatches, pending.Count);
                CommitPending(request, pending, results);
                Volatile.Write(ref _metrics.PendingBatches, 0);
                RunJobs();
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
            FailJobs();
        }
    }

    /// <summary>
    /// Re-runs quarantined readings through the running pipeline: on the pipeline thread, which owns the dedup
    /// index, between group commits, and committed like any other group (cured entries leave the quarantine in
    /// the same transaction). The offline <c>quarantine replay</c> verb does the same on a stopped daemon.
    /// </summary>
    public Task<ReplayOutcome> ReplayAsync(QuarantineReason? reason, int limit)
    {
        var job = new ReplayJob(reason, limit);
        _jobs.Enqueue(job);
        // Enqueued after the thread's last look: nobody will run it.
        if (_finished.Task.IsCompleted) FailJobs();
        return job.Result.Task;
    }

    private readonly ConcurrentQueue<ReplayJob> _jobs = new();

    private sealed record ReplayJob(QuarantineReason? Reason, int Limit)
    {
        public TaskCompletionSource<ReplayOutcome> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Runs queued jobs; called only when no batch is pending, so the dedup index has no uncommitted admissions.</summary>
    private void RunJobs()
    {
        while (_jobs.TryDequeue(out var job))
        {
            var request = new CommitRequest();
            try
            {
                var records = _queue.ListQuarantine(job.Limit, job.Reason);
                var (cured, remaining, duplicates) = _processor.Replay(records, request);
                if (!request.IsEmpty)
                {
                    var start = Stopwatch.GetTimestamp();
                    var result = _queue.Commit(request);
                    _metrics.AddCommit(Stopwatch.GetElapsedTime(start), result.DroppedPoints);
                }
                _metrics.AddReplayed(cured);
                Log.QuarantineReplayed(_log, records.Count, cured, duplicates, remaining);
                job.Result.TrySetResult(new ReplayOutcome(records.Count, cured, duplicates, remaining));
            }
            catch (Exception ex) when (ex is QueueFullException or StorageException)
            {
                // Commit rolled the dedup admissions back; nothing left the quarantine.
                if (ex is StorageException) _needsReopen = true;
                job.Result.TrySetException(ex);
            }
        }
    }

    private void FailJobs()
    {
        while (_jobs.TryDequeue(out var job)) job.Result.TrySetException(new OperationCanceledException("the gateway is stopping"));
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
        _reprocess = false;
        _storageFailures = 0;
        while (true)
        {
            _abort.Token.ThrowIfCancellationRequested();
            Heartbeat();
            try
            {
                // A full disk or an I/O error: nothing was acknowledged. Back off, reopen, retry the same batches.
                _storageRetry.Execute(_ => CommitAttempt(request, pending, results), _abort.Token);
                break;
            }
            catch (QueueFullException ex)
            {
                // Stopping while full: no sink will make room now. The batches were never acknowledged
                // upstream, so giving them up loses nothing: their sources redeliver after the restart.
                if (_stopping) throw new OperationCanceledException("stopping while the queue is full");
                if (blockedSince == 0)
                {
                    blockedSince = Stopwatch.GetTimestamp();
                    Log.QueueBlocked(_log, ex.Message);
                }
                MaintainIfDue(force: true);
                Heartbeat();
                _abort.Token.WaitHandle.WaitOne(50);
            }
            finally
            {
                DisarmBackoffHeartbeat();
            }
            _reprocess = true;
        }
        if (blockedSince != 0)
        {
            var ms = (long)Stopwatch.GetElapsedTime(blockedSince).TotalMilliseconds;
            _metrics.AddBlocked(ms);
            Log.QueueUnblocked(_log, ms);
        }
        if (_storageFailures > 0)
        {
            _metrics.StorageError = null;
            Log.StorageRecovered(_log);
        }
        foreach (var q in request.Quarantine) _metrics.AddQuarantined(q.SourceName, q.Reason);
        // The back-flow: each batch's source learns its readings are durable, and may acknowledge them upstream.
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

    /// <summary>Stops the heartbeat a storage retry's wait started; a no-op on the commit path when no retry waited.</summary>
    private void DisarmBackoffHeartbeat()
    {
        if (!_backoffHeartbeatArmed) return;
        _backoffHeartbeatArmed = false;
        _backoffHeartbeat.Change(Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>One attempt at committing the pending batches, after reopening the queue if a storage failure faulted it.</summary>
    private void CommitAttempt(CommitRequest request, List<IngestBatch> pending, List<IngestResult> results)
    {
        DisarmBackoffHeartbeat();
        Heartbeat();
        if (_needsReopen)
        {
            // A faulted engine: reopen it, which replays its log and our recovery (the dedup index is rebuilt
            // from what is durable, so the batches are re-run below).
            _queue.Reopen();
            _needsReopen = false;
            _reprocess = true;
        }
        if (_reprocess)
        {
            // A failed commit rolled the dedup admissions back: run the same batches again from scratch.
            request.Clear();
            results.Clear();
            foreach (var b in pending) results.Add(_processor.Process(b, request));
            _reprocess = false;
        }
        var start = Stopwatch.GetTimestamp();
        try
        {
            var result = _queue.Commit(request);
            _metrics.AddCommit(Stopwatch.GetElapsedTime(start), result.DroppedPoints);
        }
        catch (StorageException)
        {
            _needsReopen = true;
            _reprocess = true;
            throw;
        }
    }

    private void Heartbeat() => Volatile.Write(ref _metrics.LastProgressTicks, _time.GetUtcNow().UtcTicks);

    private bool _needsReopen;

    /// <summary>The pending batches must be processed again before the next commit attempt (a failed one rolled their dedup admissions back).</summary>
    private bool _reprocess;
    private long _lastIdleReopenTicks;

    /// <summary>
    /// An idle pipeline still owns the queue: if maintenance faulted the engine, reopen it (at most every few
    /// seconds) so that sinks can go on draining the backlog without waiting for new readings.
    /// </summary>
    private void ReopenIfNeeded()
    {
        if (!_needsReopen || Stopwatch.GetElapsedTime(_lastIdleReopenTicks) < TimeSpan.FromSeconds(5)) return;
        _lastIdleReopenTicks = Stopwatch.GetTimestamp();
        try
        {
            _queue.Reopen();
            _needsReopen = false;
        }
        catch (StorageException ex)
        {
            _metrics.StorageError = ex.Message;
            Log.MaintenanceFailed(_log, ex.Message);
        }
    }

    private void MaintainIfDue(bool force)
    {
        var now = Stopwatch.GetTimestamp();
        // Not Polly: its retry waits inside the call, but this thread must keep committing between attempts; what is needed is a "not before T" gate.
        var interval = _maintenanceFailures == 0 ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(Math.Min(30, _maintenanceFailures));
        if ((!force || _maintenanceFailures > 0) && Stopwatch.GetElapsedTime(_lastMaintainTicks, now) < interval) return;
        _lastMaintainTicks = now;
        try
        {
            _queue.Maintain(force);
            _maintenanceFailures = 0;
        }
        catch (StorageException ex)
        {
            // Backed off like commits, so a full disk yields one line every few seconds, not twenty a second.
            _maintenanceFailures++;
            _needsReopen = true;
            Log.MaintenanceFailed(_log, ex.Message);
        }
    }

    private int _maintenanceFailures;
}
