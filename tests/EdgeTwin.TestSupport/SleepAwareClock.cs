namespace EdgeTwin.TestSupport;

/// <summary>
/// A clock that moves only when told to. Timers fire during <see cref="Advance"/>, on the caller's thread
/// and outside the lock; <see cref="WaitForScheduledTimerAsync"/> tells a test that the code under test has
/// gone to sleep, so tests synchronise on that instead of on wall time.
/// </summary>
public sealed class SleepAwareClock : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<SleepAwareTimer> _armed = [];
    private DateTimeOffset _now;
    private TaskCompletionSource? _scheduled;

    public SleepAwareClock(DateTimeOffset start) => _now = start;

    public int TimersCreated { get; private set; }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SleepAwareTimer(this, callback, state);
        lock (_gate) TimersCreated++;
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock forward and fires, in due order, every timer that comes due.</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_gate)
        {
            target = _now + by;
        }
        while (true)
        {
            SleepAwareTimer? next = null;
            lock (_gate)
            {
                foreach (var t in _armed)
                {
                    if (t.DueAt <= target && (next is null || t.DueAt < next.DueAt)) next = t;
                }
                if (next is null)
                {
                    _now = target;
                    return;
                }
                _now = next.DueAt;
                _armed.Remove(next);
                if (next.Period > TimeSpan.Zero)
                {
                    next.DueAt += next.Period;
                    _armed.Add(next);
                }
            }
            next.Fire();
        }
    }

    /// <summary>Completes once some timer is armed: the code under test is waiting for the clock.</summary>
    public Task WaitForScheduledTimerAsync()
    {
        lock (_gate)
        {
            if (_armed.Count > 0) return Task.CompletedTask;
            _scheduled ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _scheduled.Task;
        }
    }

    private void Arm(SleepAwareTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        TaskCompletionSource? scheduled = null;
        lock (_gate)
        {
            _armed.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan) return;
            timer.DueAt = _now + dueTime;
            timer.Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
            _armed.Add(timer);
            (scheduled, _scheduled) = (_scheduled, null);
        }
        scheduled?.TrySetResult();
    }

    private void Disarm(SleepAwareTimer timer)
    {
        lock (_gate) _armed.Remove(timer);
    }

    private sealed class SleepAwareTimer(SleepAwareClock owner, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public DateTimeOffset DueAt { get; set; }

        public TimeSpan Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed) return false;
            owner.Arm(this, dueTime, period);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            _disposed = true;
            owner.Disarm(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
