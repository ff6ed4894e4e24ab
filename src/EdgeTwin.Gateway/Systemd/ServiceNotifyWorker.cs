using System.Globalization;
using EdgeTwin.Gateway.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Gateway.Systemd;

/// <summary>
/// Talks to systemd (Type=notify): READY=1 once every hosted service has started (queue open and recovered,
/// pipeline thread running, sinks and sources started), STATUS= lines with the queue depth and each sink's
/// state, WATCHDOG=1 at half the watchdog interval while the pipeline is healthy, and STOPPING=1 at shutdown.
/// Health is read from <see cref="Metrics.PipelineMetrics"/> and the last status snapshot only, never from the
/// queue: a notifier that waited on a stuck disk would hide the very stall it must report by staying silent.
/// </summary>
public sealed class ServiceNotifyWorker : BackgroundService
{
    private readonly GatewayRuntime _runtime;
    private readonly ServiceNotifier _notifier;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger _log;
    private readonly TimeSpan? _watchdog;
    private readonly Func<bool> _reloading;
    private readonly ReloadWatchdog? _reloadWatchdog;
    private bool _wasStalled;

    public ServiceNotifyWorker(GatewayRuntime runtime, ServiceNotifier notifier, IHostApplicationLifetime lifetime, ILogger<ServiceNotifyWorker> log, Func<bool> reloading, ReloadWatchdog? reloadWatchdog = null)
    {
        _reloadWatchdog = reloadWatchdog;
        _reloading = reloading;
        _runtime = runtime;
        _notifier = notifier;
        _lifetime = lifetime;
        _log = log;
        _watchdog = ServiceNotifier.WatchdogInterval();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_notifier.Enabled) return;
        // ExecuteAsync runs once StartAsync of every service registered before this one returned.
        await WaitStartedAsync(stoppingToken).ConfigureAwait(false);
        if (stoppingToken.IsCancellationRequested) return;
        // From here this worker pings; the pings that bridged a reload stop.
        _reloadWatchdog?.End();
        _notifier.Send("READY=1\nMAINPID=" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\nSTATUS=" + StatusLine());
        // A stop for a reload is not a service stop: RELOADING=1 was sent instead, READY=1 follows the restart.
        using var stopping = _lifetime.ApplicationStopping.Register(() =>
        {
            if (!_reloading()) _notifier.Send("STOPPING=1\nSTATUS=stopping: committing and flushing");
        });
        // Ping at half the interval (sd_watchdog_enabled's advice); without a watchdog, refresh STATUS every 2 s.
        var period = _watchdog is { } w ? TimeSpan.FromTicks(Math.Max(w.Ticks / 2, TimeSpan.TicksPerMillisecond * 50)) : TimeSpan.FromSeconds(2);
        using var timer = new PeriodicTimer(period, _runtime.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false)) Tick();
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task WaitStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var a = _lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var b = stoppingToken.Register(() => started.TrySetResult());
        await started.Task.ConfigureAwait(false);
    }

    private void Tick()
    {
        var stalledFor = StalledFor();
        var state = "STATUS=" + StatusLine();
        if (_watchdog is { } w)
        {
            var stalled = stalledFor > w || _runtime.Pipeline?.Completion.IsFaulted == true;
            if (stalled && !_wasStalled) Log.WatchdogWithheld(_log, (long)stalledFor.TotalSeconds, _runtime.Channel.Backlog);
            if (!stalled && _wasStalled) Log.WatchdogResumed(_log);
            _wasStalled = stalled;
            if (!stalled) state = "WATCHDOG=1\n" + state;
        }
        _notifier.Send(state);
    }

    /// <summary>How long batches have been waiting without the pipeline thread coming back from the storage (zero when idle or moving).</summary>
    private TimeSpan StalledFor()
    {
        if (_runtime.Metrics.PendingBatches == 0 && _runtime.Channel.Backlog == 0) return TimeSpan.Zero;
        var last = Volatile.Read(ref _runtime.Metrics.LastProgressTicks);
        var now = _runtime.Time.GetUtcNow().UtcTicks;
        return last == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max(0, now - last));
    }

    /// <summary>One line for `systemctl status`: queue depth and each sink's state, from the last snapshot the status writer took.</summary>
    private string StatusLine()
    {
        var s = _runtime.LastStatus;
        var m = _runtime.Metrics;
        var text = new System.Text.StringBuilder();
        if (s is null)
        {
            text.Append("running");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"queue {s.Queue.Points} points ({s.Queue.Bytes / 1024} KiB of {s.Queue.MaxBytes / 1024} KiB)");
            if (s.Queue.Full) text.Append(", FULL");
        }
        foreach (var sink in _runtime.Sinks) text.Append(CultureInfo.InvariantCulture, $"; sink {sink.Name}: {m.SinkStates.GetValueOrDefault(sink.Name, "starting")}");
        if (m.StorageError is { } err) text.Append("; storage error: ").Append(err);
        if (_wasStalled) text.Append("; PIPELINE STALLED");
        return text.Replace('\n', ' ').ToString();
    }

}
