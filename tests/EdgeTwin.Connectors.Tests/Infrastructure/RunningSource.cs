using EdgeTwin.Core.Pipeline;

namespace EdgeTwin.Connectors.Tests.Infrastructure;

/// <summary>A source running against a writer until disposed; disposing stops it and expects it to end cancelled.</summary>
internal sealed class RunningSource<TSource> : IAsyncDisposable
    where TSource : ISource
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public RunningSource(TSource source, IIngestWriter writer)
    {
        Source = source;
        _run = Task.Run(() => source.RunAsync(writer, _stop.Token));
    }

    public TSource Source { get; }

    public bool Stopped => _run.IsCompleted;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _run.WaitAsync(TimeSpan.FromSeconds(30)));
        _stop.Dispose();
    }
}
