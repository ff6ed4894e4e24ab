using Polly;
using Polly.Retry;

namespace EdgeTwin.Gateway.Pipeline;

/// <summary>The workers' one way to retry without end: exponential backoff (Polly) from a first delay up to a ceiling.</summary>
internal static class Backoff
{
    /// <param name="handles">Whether a failure is retried (given the execution's cancellation token); others propagate.</param>
    /// <param name="onRetry">Called with the failure and the delay before the next attempt, before waiting.</param>
    public static ResiliencePipeline Forever(TimeSpan first, TimeSpan max, Func<Exception, CancellationToken, bool> handles, Action<Exception, TimeSpan> onRetry, TimeProvider? time = null) =>
        new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && handles(ex, args.Context.CancellationToken)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = first,
                MaxDelay = max,
                OnRetry = args =>
                {
                    onRetry(args.Outcome.Exception!, args.RetryDelay);
                    return default;
                },
            })
            .Build();
}
