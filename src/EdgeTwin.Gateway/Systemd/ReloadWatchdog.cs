namespace EdgeTwin.Gateway.Systemd;

/// <summary>
/// Keeps the systemd watchdog fed while a reload swaps hosts. The host's <see cref="ServiceNotifyWorker"/> pings
/// only while a host runs; between RELOADING=1 and the next READY=1 the old host flushes and stops and the new
/// one opens the queue and its connections, which can take longer than WatchdogSec. Pinging is bounded by
/// <c>limit</c>, so a reload that hangs still ends in a watchdog restart.
/// </summary>
public sealed class ReloadWatchdog : IDisposable
{
    private readonly ServiceNotifier _notifier;
    private readonly TimeSpan? _interval;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private long _until;

    public ReloadWatchdog(ServiceNotifier notifier, TimeSpan? interval, TimeProvider time)
    {
        _notifier = notifier;
        _interval = interval;
        _time = time;
    }

    /// <summary>Whether pings are being sent for a reload in progress.</summary>
    public bool Active
    {
        get { lock (_gate) return _timer is not null; }
    }

    /// <summary>Starts pinging at half the watchdog interval, for at most <paramref name="limit"/>.</summary>
    public void Begin(TimeSpan limit)
    {
        if (_interval is not { } interval || !_notifier.Enabled) return;
        lock (_gate)
        {
            _until = _time.GetTimestamp() + (long)(limit.TotalSeconds * _time.TimestampFrequency);
            if (_timer is not null) return;
            var period = TimeSpan.FromTicks(Math.Max(interval.Ticks / 2, TimeSpan.TicksPerMillisecond * 50));
            _timer = _time.CreateTimer(_ => Ping(), null, period, period);
        }
        // The first ping at once: the host's own worker may have pinged up to half an interval ago.
        Ping();
    }

    /// <summary>Stops pinging: the new host is ready (its own worker pings now) or the process is exiting.</summary>
    public void End()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Ping()
    {
        lock (_gate)
        {
            if (_timer is null) return;
            if (_time.GetTimestamp() > _until)
            {
                // The reload overran its budget: let systemd's watchdog act on it.
                _timer.Dispose();
                _timer = null;
                return;
            }
        }
        _notifier.Send("WATCHDOG=1\nSTATUS=reloading the configuration");
    }

    public void Dispose() => End();
}
