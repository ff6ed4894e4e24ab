using EdgeTwin.Core.Pipeline;
using EdgeTwin.Gateway.Metrics;
using EdgeTwin.Gateway.Pipeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Gateway.Hosting;

/// <summary>
/// Runs every source. A source that throws is restarted with exponential backoff (a flaky device never takes
/// the daemon down); one that returns has finished (a simulator's StopAfter). Stopping cancels the sources
/// and then completes the ingest channel so the pipeline can drain.
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
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _metrics.SourceRuns[source.Name] = SourceRun.Running;
                await source.RunAsync(_channel, stoppingToken).ConfigureAwait(false);
                _metrics.SourceRuns[source.Name] = SourceRun.Returned;
                Log.SourceFinished(_log, source.Name, source.State);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                _metrics.SourceRuns[source.Name] = SourceRun.Restarting;
                Log.SourceFailed(_log, source.Name, ex.Message);
                var delay = TimeSpan.FromMilliseconds(Math.Min(60_000, 500 * (1 << Math.Min(failures, 7))));
                try
                {
                    await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
