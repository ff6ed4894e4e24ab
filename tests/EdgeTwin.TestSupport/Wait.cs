using System.Diagnostics;

namespace EdgeTwin.TestSupport;

public static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds; throws with <paramref name="what"/> on timeout.</summary>
    public static void Until(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout) throw new TimeoutException($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}");
            Thread.Sleep(50);
        }
    }

    /// <summary>As <see cref="Until(Func{bool}, TimeSpan, string)"/>, with <paramref name="what"/> read at the timeout (the last state seen).</summary>
    public static void Until(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout) throw new TimeoutException($"timed out after {timeout.TotalSeconds:F0} s waiting for {what()}");
            Thread.Sleep(50);
        }
    }
}
