namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>Waiting on a daemon's MQTT source, and stopping a daemon the way systemd does.</summary>
internal static class MqttDaemon
{
    /// <summary>Waits for the <paramref name="times"/>-th "connected" log line of MQTT source <paramref name="source"/>.</summary>
    public static void WaitConnected(this GatewayProcess daemon, string source, int times = 1)
    {
        var line = $"MQTT source {source}: connected";
        Wait.Until(() => Count(daemon.Output, line) >= times || daemon.HasExited, TimeSpan.FromSeconds(30), $"connection #{times} of MQTT source {source}:{Environment.NewLine}{daemon.Output}");
        if (daemon.HasExited) Assert.Fail($"the daemon exited ({daemon.ExitCode}):{Environment.NewLine}{daemon.Output}");
    }

    /// <summary>SIGTERM, then a clean exit (0) within a minute.</summary>
    public static void StopGracefully(this GatewayProcess daemon)
    {
        daemon.Terminate();
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(60)), "no exit after SIGTERM:" + Environment.NewLine + daemon.Output);
        Assert.True(daemon.ExitCode == 0, $"exit {daemon.ExitCode}:{Environment.NewLine}{daemon.Output}");
    }

    public static int Count(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
