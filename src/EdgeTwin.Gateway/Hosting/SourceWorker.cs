using EdgeTwin.Core.Pipeline;
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

    public SourceWorker(IReadOnlyList<ISource> sources, IngestChannel channel, ILogger<SourceWorker> log, TimeProvider time)
    {
        _sources = sources;
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
                await source.RunAsync(_channel, stoppingToken).ConfigureAwait(false);
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
