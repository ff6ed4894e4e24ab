using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Dedup;

// The per-series history: admission, and its undo until the commit is durable.
public sealed partial class DedupIndex
{
    private readonly List<Undo> _undo = new(1024);
    private int _rings;

    /// <summary>
    /// Checks <paramref name="ticks"/> against the series and, unless it is a duplicate, remembers it. The
    /// history holds the <see cref="HistoryPerSeries"/> most recent timestamps by time (not by arrival), so a
    /// late point never pushes newer ones out of the window; while the timestamps are evenly spaced it holds their
    /// whole unbroken run (<see cref="MaxRun"/>).
    /// </summary>
    public DedupOutcome Admit(SeriesState state, long ticks)
    {
        var outcome = AdmitToHistory(state, ticks);
        // Below the window: one of the last points committed for a ring is still known (RecentPoints).
        return outcome == DedupOutcome.LateUnverified && Recent is { } recent && recent.Contains(state.Key, ticks) ? DedupOutcome.Duplicate : outcome;
    }

    /// <summary>
    /// Remembers a committed point's key among the recent ones when its series keeps a ring (an evenly spaced run
    /// recognises its own redeliveries). Called after the commit, and by the replay.
    /// </summary>
    public void Committed(SeriesState state, in TelemetryPoint point)
    {
        if (state.Ring is not null) Recent?.Add(point.Stream, point.TimestampTicks);
    }

    private DedupOutcome AdmitToHistory(SeriesState state, long ticks)
    {
        var hwm = state.HighWaterMark;
        state.Referenced = true;
        if (ticks == hwm) return DedupOutcome.Duplicate;
        if (state.Ring is null)
        {
            if (AdmitProgression(state, ticks, hwm) is { } outcome) return outcome;
            // Not on the progression: the window becomes explicit.
            _undo.Add(new Undo(state, UndoKind.Materialize, hwm, state.First, state.Step, state.Count, 0, null, false));
            // The ring takes the run's newest timestamps; older ones of the run are below its window from now on.
            var ring = new long[HistoryPerSeries];
            var keep = Math.Min(state.Count, HistoryPerSeries);
            var from = state.Count - keep;
            for (var i = 0; i < keep; i++) ring[i] = state.First + ((from + i) * state.Step);
            state.Ring = ring;
            _rings++;
            state.Count = keep;
            state.Head = 0;
            state.Regular = keep;
        }
        return AdmitRing(state, ticks, hwm);
    }

    /// <summary>Admits into a progression; null when <paramref name="ticks"/> does not fit it (the caller makes it a ring).</summary>
    private DedupOutcome? AdmitProgression(SeriesState s, long ticks, long hwm)
    {
        if (s.Count == 0)
        {
            _undo.Add(new Undo(s, UndoKind.Progression, hwm, s.First, s.Step, 0, 0, null, false));
            s.First = ticks;
            s.Step = 0;
            s.Count = 1;
            s.HighWaterMark = ticks;
            return DedupOutcome.New;
        }
        var last = s.First + ((s.Count - 1) * s.Step);
        if (ticks > hwm)
        {
            var step = ticks - last; // positive: last <= hwm < ticks (unless it overflows, which the ring handles)
            if (step <= 0 || (s.Count > 1 && step != s.Step)) return null;
            _undo.Add(new Undo(s, UndoKind.Progression, hwm, s.First, s.Step, s.Count, 0, null, false));
            s.Step = step;
            if (s.Count == MaxRun) s.First += step;
            else s.Count++;
            s.HighWaterMark = ticks;
            return DedupOutcome.New;
        }
        if (ticks >= s.First && ticks <= last)
        {
            var onGrid = s.Count == 1 ? ticks == s.First : (ticks - s.First) % s.Step == 0;
            if (onGrid) return DedupOutcome.Duplicate;
            // Off the grid and below the run's newest HistoryPerSeries: a ring would not hold it either, and the run
            // stays whole rather than give way to a point it would not remember.
            if (s.Count >= HistoryPerSeries && ticks < last - ((HistoryPerSeries - 1) * s.Step)) return DedupOutcome.LateUnverified;
            return null;
        }
        // Older than everything remembered, with the window full: see AdmitRing.
        return ticks < s.First && s.Count >= HistoryPerSeries ? DedupOutcome.LateUnverified : null;
    }

    /// <summary>
    /// The longest run a progression remembers. A run costs the same three fields at any length, so an evenly spaced
    /// series recognises a redelivery from anywhere in its unbroken run, far beyond <see cref="HistoryPerSeries"/>
    /// (a broker that lost the acknowledgements of thousands of messages redelivers them all).
    /// </summary>
    internal const int MaxRun = int.MaxValue;

    private DedupOutcome AdmitRing(SeriesState state, long ticks, long hwm)
    {
        var ring = state.Ring!;
        var evicted = false;
        long evictedValue = 0;
        var regular = state.Regular;
        if (ticks > hwm)
        {
            // In order (the common case): append as the newest, evicting the oldest when full.
            var count = state.Count;
            var last = count > 0 ? state.HistoryAt(count - 1) : 0;
            var evenlySpaced = count >= 2 && ticks - last == last - state.HistoryAt(count - 2);
            if (count == ring.Length)
            {
                evicted = true;
                evictedValue = ring[state.Head];
                state.Head = (state.Head + 1) % ring.Length;
                state.Count--;
            }
            state.HistorySet(state.Count++, ticks);
            state.HighWaterMark = ticks;
            state.Regular = Math.Min(state.Count, evenlySpaced ? Math.Max(regular, 2) + 1 : Math.Min(count, 1) + 1);
            _undo.Add(new Undo(state, UndoKind.Append, hwm, evictedValue, 0, 0, regular, null, evicted));
            if (state.Regular >= state.Count) Fold(state, hwm);
            return DedupOutcome.New;
        }

        // Out of order: binary search the sorted history.
        int lo = 0, hi = state.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var seen = state.HistoryAt(mid);
            if (seen == ticks) return DedupOutcome.Duplicate;
            if (seen < ticks) lo = mid + 1;
            else hi = mid - 1;
        }
        if (lo == 0 && state.Count == ring.Length)
        {
            // Older than everything remembered: kept (and counted), but not remembered, so it cannot evict
            // the newer timestamps that recognise the duplicates that matter (a reconnect's republish).
            return DedupOutcome.LateUnverified;
        }
        if (state.Count == ring.Length)
        {
            evicted = true;
            evictedValue = ring[state.Head];
            state.Head = (state.Head + 1) % ring.Length;
            state.Count--;
            lo--;
        }
        for (var i = state.Count; i > lo; i--) state.HistorySet(i, state.HistoryAt(i - 1));
        state.HistorySet(lo, ticks);
        state.Count++;
        // The elements after the inserted one are still evenly spaced among themselves.
        state.Regular = Math.Min(regular, state.Count - lo - 1);
        _undo.Add(new Undo(state, UndoKind.Insert, hwm, evictedValue, 0, lo, regular, null, evicted));
        return DedupOutcome.New;
    }

    /// <summary>The ring holds evenly spaced timestamps only: keep them as a progression and let the array go.</summary>
    private void Fold(SeriesState s, long hwm)
    {
        _undo.Add(new Undo(s, UndoKind.Fold, hwm, 0, 0, s.Head, s.Regular, s.Ring, false));
        var first = s.HistoryAt(0);
        var step = s.Count >= 2 ? s.HistoryAt(1) - first : 0;
        // Head and Regular share First's and Step's fields: the ring goes before they are overwritten.
        s.Ring = null;
        _rings--;
        s.First = first;
        s.Step = step;
    }

    /// <summary>The tentative admissions since the last <see cref="Accept"/> are now durable.</summary>
    public void Accept()
    {
        _undo.Clear();
        // A batch far larger than a commit's (a replay, a test) leaves no large list behind.
        if (_undo.Capacity > UndoCapacityKept) _undo.Capacity = UndoCapacityKept;
    }

    private const int UndoCapacityKept = 1 << 16;

    /// <summary>Undoes every admission since the last <see cref="Accept"/>, newest first.</summary>
    public void Rollback()
    {
        for (var i = _undo.Count - 1; i >= 0; i--)
        {
            var u = _undo[i];
            var s = u.State;
            switch (u.Kind)
            {
                case UndoKind.Progression:
                case UndoKind.Materialize:
                    if (u.Kind == UndoKind.Materialize) _rings--;
                    s.Ring = null;
                    s.First = u.A;
                    s.Step = u.B;
                    s.Count = u.C;
                    break;
                case UndoKind.Fold:
                    _rings++;
                    s.Ring = u.Ring;
                    s.Head = u.C;
                    s.Regular = u.D;
                    break;
                case UndoKind.Append:
                case UndoKind.Insert:
                    var ring = s.Ring!;
                    if (u.Kind == UndoKind.Insert)
                    {
                        for (var j = u.C; j < s.Count - 1; j++) s.HistorySet(j, s.HistoryAt(j + 1));
                    }
                    s.Count--;
                    if (u.Evicted)
                    {
                        s.Head = (s.Head - 1 + ring.Length) % ring.Length;
                        ring[s.Head] = u.A;
                        s.Count++;
                    }
                    s.Regular = u.D;
                    break;
            }
            s.HighWaterMark = u.HighWaterMark;
        }
        _undo.Clear();
    }

    public int PendingAdmissions => _undo.Count;

    private enum UndoKind : byte { Progression, Materialize, Fold, Append, Insert }

    /// <summary>
    /// One admission to undo. Progression and Materialize: A, B, C are the progression's First, Step and Count
    /// before it. Fold: the ring with its Head C and Regular D (which share the progression's fields). Append and
    /// Insert: A the evicted timestamp when <see cref="Evicted"/>, C the inserted position, D the Regular before.
    /// </summary>
    private readonly record struct Undo(SeriesState State, UndoKind Kind, long HighWaterMark, long A, long B, int C, int D, long[]? Ring, bool Evicted);
}
