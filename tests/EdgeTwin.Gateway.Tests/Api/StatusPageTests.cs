using System.Globalization;
using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Tests.Infrastructure;
using EdgeTwin.TestSupport.Chromium;

namespace EdgeTwin.Gateway.Tests.Api;

/// <summary>The status page in a real headless Chromium (Debian's), driven over the DevTools protocol.</summary>
[Collection("daemon")]
public sealed class StatusPageTests
{
    [Fact]
    public void StatusPage_RendersTheDemosAssetsAndValues_UpdatesLive_AndIsScreenshotted()
    {
        using var dir = new TestDirectory("api-page");
        // The shipped demo, as is, except for a port picked at run time (parallel runs on this machine).
        var demo = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "config", "demo.json")),
            documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        demo["api"]!["port"] = 0;
        var path = dir["demo.json"];
        File.WriteAllText(path, demo.ToJsonString());
        var inbox = Path.Combine(dir.Path, "edgetwin-demo", "inbox");
        Directory.CreateDirectory(inbox);
        File.WriteAllText(Path.Combine(inbox, "bad.jsonl"), "<script>alert('not json')</script>\n");

        // Started in the test's folder: the demo's relative paths (./edgetwin-demo/…) resolve against the working directory.
        using var daemon = ApiDaemon.Start(path, dir.Path);
        using var browser = HeadlessChromium.Launch();
        browser.Navigate(daemon.BaseUri);
        var timeout = TimeSpan.FromSeconds(30);

        // Sources, uplink, version and config hash, as the API reports them.
        var status = daemon.GetJson("/api/status");
        browser.WaitFor("document.getElementById('config-hash').textContent === " + Js(status.GetProperty("configHash").GetString()!), timeout, "the config hash");
        Assert.Equal(status.GetProperty("version").GetString(), Text(browser, "document.getElementById('version').textContent"));
        Assert.Equal("demo-gw", Text(browser, "document.getElementById('gateway-id').textContent"));
        browser.WaitFor("document.querySelectorAll('#sources tbody tr').length === 2", timeout, "two sources");
        Assert.Equal("connected", Text(browser, "document.querySelector('#sources tr[data-source=\"sim\"] .badge').textContent"));
        Assert.Equal("connected", Text(browser, "document.querySelector('#sources tr[data-source=\"inbox\"] .badge').textContent"));
        browser.WaitFor("document.querySelector('#sinks tr[data-sink=\"local\"] .badge')?.textContent === 'up'", timeout, "the local uplink up");

        // The digital shadow: one table per demo asset, every series of /api/shadow with a numeric value.
        browser.WaitFor("document.querySelectorAll('[data-asset-block]').length === 2", timeout, "the pump and the oven");
        Assert.Contains("Feed pump", Text(browser, "document.querySelector('[data-asset-block=\"pump-1\"] h3').textContent"), StringComparison.Ordinal);
        Assert.Contains("Shrink oven", Text(browser, "document.querySelector('[data-asset-block=\"oven-1\"] h3').textContent"), StringComparison.Ordinal);
        // The demo simulates nine channels: six of the pump, three of the oven.
        Wait.Until(() => daemon.GetJson("/api/shadow").GetProperty("count").GetInt32() == 9, timeout, "the demo's nine series in the shadow");
        var apiSeries = daemon.GetJson("/api/shadow").GetProperty("series").EnumerateArray()
            .Select(e => e.GetProperty("assetId").GetString() + "/" + e.GetProperty("metric").GetString()).Order(StringComparer.Ordinal).ToList();
        browser.WaitFor($"document.querySelectorAll('tr[data-metric]').length === {apiSeries.Count}", timeout, "every series on the page");
        var pageSeries = browser.Evaluate("[...document.querySelectorAll('tr[data-metric]')].map(r => r.dataset.asset + '/' + r.dataset.metric)")!
            .AsArray().Select(n => (string)n!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(apiSeries, pageSeries);
        Assert.Contains("pump-1/pressure", pageSeries);
        Assert.Contains("pump-1/temperature_k", pageSeries);
        Assert.Contains(pageSeries, s => s.StartsWith("oven-1/", StringComparison.Ordinal));
        var values = browser.Evaluate("[...document.querySelectorAll('tr[data-metric]')].map(r => r.dataset.value)")!.AsArray().Select(n => (string)n!).ToList();
        Assert.All(values, v => Assert.True(double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d), v));
        var pressure = "document.querySelector('tr[data-asset=\"pump-1\"][data-metric=\"pressure\"]')";
        Assert.Equal("bar", Text(browser, pressure + ".children[2].textContent"));

        // Live: the value shown changes by itself, with no reload. Vibration, not pressure: the simulated pump stands
        // still in some of its three-minute setpoint segments, and a stopped pump reads exactly 0 bar throughout.
        var vibration = "document.querySelector('tr[data-asset=\"pump-1\"][data-metric=\"vibration\"]')";
        var first = Text(browser, vibration + ".dataset.value");
        browser.WaitFor($"{vibration}.dataset.value !== {Js(first)}", timeout, "the pump vibration to change on the page");

        // The bad line from the inbox shows as recent quarantine, as text (the markup it carries is not run).
        browser.WaitFor("document.querySelectorAll('#quarantine tbody tr').length === 1", timeout, "the quarantined line");
        Assert.Equal("invalid_payload", Text(browser, "document.querySelector('#quarantine tbody tr').children[2].textContent"));
        Assert.Equal(0, (int)browser.Evaluate("document.querySelectorAll('#quarantine script').length")!);
        // No anomaly model runs in the demo: the empty state says so.
        browser.WaitFor("!document.getElementById('anomalies-empty').hidden", timeout, "the anomalies empty state");

        // The queue chart has drawn a line (at least two samples, two seconds apart).
        browser.WaitFor("(() => { const c = document.getElementById('queue-chart'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; " +
            "let blue = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 150 && d[i] < 100 && d[i + 3] > 200) blue++; return blue > 50; })()", timeout, "the queue chart line");
        browser.WaitFor("document.getElementById('health').textContent === 'ready'", timeout, "the readiness badge");

        var png = browser.Screenshot();
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);
        Assert.True(png.Length > 20_000, $"screenshot of {png.Length} bytes");
        var artifacts = Path.Combine(RepoRoot.Path, "artifacts");
        Directory.CreateDirectory(artifacts);
        File.WriteAllBytes(Path.Combine(artifacts, "status-page.png"), png);

        Assert.True(browser.PageErrors.IsEmpty, "the page reported errors: " + string.Join(Environment.NewLine, browser.PageErrors));
        Assert.Equal(0, daemon.Stop());
    }

    private static string Text(HeadlessChromium browser, string expression) => (string?)browser.Evaluate(expression) ?? "";

    private static string Js(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
