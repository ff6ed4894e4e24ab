using Microsoft.Extensions.Hosting;

namespace EdgeTwin.Gateway.Hosting;

/// <summary>
/// A host lifetime that leaves SIGINT and SIGTERM to <c>edgetwin run</c>. The default console lifetime stops the
/// application on them at once, which cancels a start still in progress (Kestrel binding, say) and ends in the host's
/// start-up failure and exit 1 for what was a plain stop. <c>run</c> defers a stop until the host has started instead.
/// </summary>
internal sealed class SignalFreeLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
