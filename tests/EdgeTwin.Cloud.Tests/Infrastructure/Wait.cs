namespace EdgeTwin.Cloud.Tests.Infrastructure;

public static class Wait
{
    /// <summary>Polls until the condition holds; fails with what was awaited and the last state otherwise.</summary>
    public static void Until(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var end = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > end) throw new TimeoutException($"waited {timeout.TotalSeconds:F0} s for: {what()}");
            Thread.Sleep(100);
        }
    }
}
