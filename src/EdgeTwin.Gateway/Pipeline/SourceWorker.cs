using EdgeTwin.Core.Pipeline;
using EdgeTwin.Gateway.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Gateway.Pipeline;

/// <summary>
/// The head of the data flow: runs every source into the ingest channel. A source that throws is restarted with
/// exponential backoff (Polly; a flaky device never takes the daemon down); one that returns has finished (a
/// simulator's StopAfter). Stopping cancels the sources and then completes the channel so the pipeline can drain.
/// </summary>
public sealed class SourceWorker : BackgroundService
{
    private readonly IReadOnlyList<ISource> _sources;
    private readonly IngestChannel _channel;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly PipelineMetrics _metrics;

    public SourceWorker(IReadOnlyList<ISource> sources, IngestChannel channel, PipelineMetrics metrics, ILogger<SourceWorker> log, TimeProvider time)
    {
        _sources = sources;
        _metrics = metrics;
        _channel = channel;
        _log = log;
        _time = time;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(_sources.Select(s => RunOne(s, stoppingToken))).ConfigureAwait(false);
        }
        finally
        {
            if (stoppingToken.IsCancellationRequested) _channel.Complete();
        }
    }

    private async Task RunOne(ISource source, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var restart = Backoff.Forever(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60),
            (ex, _) => !(ex is OperationCanceledException && stoppingToken.IsCancellationRequested),
            (ex, _) =>
            {
                _metrics.SourceRuns[source.Name] = SourceRun.Restarting;
                Log.SourceFailed(_log, source.Name, ex.Message);
            },
            _time);
        try
        {
            await restart.ExecuteAsync(async ct =>
            {
                _metrics.SourceRuns[source.Name] = SourceRun.Running;
                await source.RunAsync(_channel, ct).ConfigureAwait(false);
                _metrics.SourceRuns[source.Name] = SourceRun.Returned;
                Log.SourceFinished(_log, source.Name, source.State);
            }, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the source was cancelled, or its restart was waiting.
        }
    }
}
