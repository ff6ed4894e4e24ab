using EdgeTwin.Gateway.Systemd;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests.Systemd;

/// <summary>The pings that bridge a reload, sent to a real NOTIFY_SOCKET listener.</summary>
public sealed class ReloadWatchdogTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    [Fact]
    public void Begin_PingsUntilEnd_ThenStops()
    {
        using var dir = new TestDirectory("reload-wd");
        using var listener = new NotifyListener(dir["notify.sock"]);
        using var notifier = new ServiceNotifier(listener.Path);
        using var bridge = new ReloadWatchdog(notifier, Interval, TimeProvider.System);

        bridge.Begin(TimeSpan.FromMinutes(1));
        Wait.Until(() => Pings(listener) >= 4, TimeSpan.FromSeconds(30), "four WATCHDOG=1 pings while reloading");
        Assert.True(bridge.Active);
        Assert.Contains(listener.Lines(), l => l.Line == "STATUS=reloading the configuration");
        bridge.End();
        var ended = listener.Now;
        Thread.Sleep(Interval * 3);

        Assert.False(bridge.Active);
        Assert.DoesNotContain(listener.Lines(ended + TimeSpan.FromMilliseconds(50)), l => l.Line == "WATCHDOG=1");
    }

    [Fact]
    public void Begin_ReloadOverrunsItsLimit_PingsStopSoSystemdCanRestartUs()
    {
        using var dir = new TestDirectory("reload-wd-limit");
        using var listener = new NotifyListener(dir["notify.sock"]);
        using var notifier = new ServiceNotifier(listener.Path);
        using var bridge = new ReloadWatchdog(notifier, Interval, TimeProvider.System);

        bridge.Begin(TimeSpan.FromMilliseconds(600));
        Wait.Until(() => !bridge.Active, TimeSpan.FromSeconds(30), "the bridge to give up after its limit");
        var gaveUp = listener.Now;
        Thread.Sleep(Interval * 3);

        Assert.InRange(Pings(listener), 1, 20);
        Assert.DoesNotContain(listener.Lines(gaveUp + TimeSpan.FromMilliseconds(50)), l => l.Line == "WATCHDOG=1");
    }

    [Fact]
    public void Begin_WithoutWatchdogOrSocket_SendsNothing()
    {
        using var dir = new TestDirectory("reload-wd-off");
        using var listener = new NotifyListener(dir["notify.sock"]);
        using var notifier = new ServiceNotifier(listener.Path);
        using var noWatchdog = new ReloadWatchdog(notifier, null, TimeProvider.System);
        using var noSocket = new ReloadWatchdog(new ServiceNotifier(null), Interval, TimeProvider.System);

        noWatchdog.Begin(TimeSpan.FromMinutes(1));
        noSocket.Begin(TimeSpan.FromMinutes(1));
        Thread.Sleep(Interval * 2);

        Assert.False(noWatchdog.Active);
        Assert.False(noSocket.Active);
        Assert.Equal(0, Pings(listener));
    }

    private static int Pings(NotifyListener listener) => listener.Lines().Count(l => l.Line == "WATCHDOG=1");
}
