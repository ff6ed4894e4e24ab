using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Tests.Infrastructure;
using EdgeTwin.TestSupport.Chromium;
using Xunit.Abstractions;

namespace EdgeTwin.Gateway.Tests.Api;

/// <summary>
/// A Kafka broker address typed wrong (nothing listens there): the uplink must show down with the address and the
/// error within seconds, in /api/status and on the page, not "starting" until librdkafka's message timeout ends.
/// </summary>
[Collection("daemon")]
public sealed class UplinkNeverReachedTests(ITestOutputHelper output)
{
    [Fact]
    public void KafkaSinkWhoseBrokerRefusesConnections_IsShownDownWithTheAddressAndTheError()
    {
        using var dir = new TestDirectory("api-uplink-never");
        var port = FreePort.Pick();
        var config = new TestConfig(dir) { SimulatorRate = 200, SimulatorStopAfter = 0, Epoch = DateTime.UtcNow };
        config.KafkaSinks.Add(new JsonObject { ["name"] = "cloud", ["bootstrapServers"] = $"127.0.0.1:{port}" });
        var started = Stopwatch.StartNew();
        using var daemon = ApiDaemon.Start(config.Write());

        JsonElement Cloud() => daemon.GetJson("/api/status").GetProperty("sinks").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "cloud");
        Wait.Until(() => Cloud().GetProperty("state").GetString() == "down", TimeSpan.FromSeconds(15),
            "the uplink shown down (last: " + Cloud().GetRawText() + "):" + Environment.NewLine + daemon.Process.Output);
        output.WriteLine($"shown down {started.Elapsed.TotalSeconds:F1} s after the start");
        var detail = Cloud().GetProperty("detail").GetString()!;
        output.WriteLine(detail);
        Assert.Contains($"127.0.0.1:{port}", detail, StringComparison.Ordinal);
        Assert.Contains("Connection refused", detail, StringComparison.Ordinal);
        // The file sink beside it is not affected.
        Assert.Contains(daemon.GetJson("/api/status").GetProperty("sinks").EnumerateArray(), s => s.GetProperty("name").GetString() != "cloud" && s.GetProperty("state").GetString() == "up");
        Assert.Contains("state=\"down\"", daemon.GetText("/metrics"), StringComparison.Ordinal);

        // It stays down (a failed send adds its own error, it does not hide the reason).
        Thread.Sleep(3_000);
        Assert.Equal("down", Cloud().GetProperty("state").GetString());
        Assert.Contains($"127.0.0.1:{port}", Cloud().GetProperty("detail").GetString()!, StringComparison.Ordinal);

        using var browser = HeadlessChromium.Launch(1280, 1000);
        browser.Navigate(daemon.BaseUri);
        var row = "document.querySelector('#sinks tr[data-sink=\"cloud\"]')";
        browser.WaitFor(row + "?.querySelector('.badge').textContent === 'down'", TimeSpan.FromSeconds(30), "the down badge");
        Assert.Equal("badge badge-bad", (string?)browser.Evaluate(row + ".querySelector('.badge').className"));
        Assert.Contains($"127.0.0.1:{port}", (string?)browser.Evaluate(row + ".querySelector('.detail').textContent") ?? "", StringComparison.Ordinal);
        Assert.Equal(0, daemon.Stop());
    }
}
