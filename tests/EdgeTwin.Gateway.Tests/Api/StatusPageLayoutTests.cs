using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Tests.Infrastructure;
using EdgeTwin.TestSupport.Chromium;

namespace EdgeTwin.Gateway.Tests.Api;

/// <summary>
/// The status page as a technician first sees it: every column of every table inside its card from 1,280 px wide
/// and on a tablet, and data on the first paint (the page carries its state; a browser that paints once shows it).
/// </summary>
[Collection("daemon")]
public sealed class StatusPageLayoutTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Per table header cell, whether its right edge lies inside its card's content box (and the card does not scroll
    /// sideways); returns the offenders as "card/column: right edge vs card".
    /// </summary>
    private const string ColumnsOutsideTheirCards = """
        (() => {
          const out = [];
          for (const card of document.querySelectorAll('section.card')) {
            const box = card.getBoundingClientRect();
            const inner = box.right - parseFloat(getComputedStyle(card).paddingRight) - parseFloat(getComputedStyle(card).borderRightWidth);
            if (card.scrollWidth > card.clientWidth + 1) out.push(card.id + ': scrolls sideways (' + card.scrollWidth + ' > ' + card.clientWidth + ')');
            for (const th of card.querySelectorAll('table:not([hidden]) thead th')) {
              const r = th.getBoundingClientRect();
              if (r.width === 0) out.push(card.id + '/' + th.textContent + ': not shown');
              else if (r.right > inner + 0.5) out.push(card.id + '/' + th.textContent + ': right edge ' + r.right.toFixed(1) + ' > ' + inner.toFixed(1));
            }
          }
          return out;
        })()
        """;

    [Theory]
    [InlineData(1280)]
    [InlineData(1400)]
    [InlineData(800)]
    public void EveryColumnOfEveryTable_IsInsideItsCard(int width)
    {
        using var dir = new TestDirectory("api-layout-" + width);
        var path = DemoConfig(dir);
        // A long reason in the quarantine table, as devices send them.
        File.WriteAllText(Path.Combine(Inbox(dir), "bad.jsonl"), "{\"source\":\"sim:pump-1/pressure\",\"ts\":\"not-a-time-at-all-" + new string('x', 120) + "\",\"value\":1}\n");
        using var daemon = ApiDaemon.Start(path, dir.Path);
        using var browser = HeadlessChromium.Launch(width, 1400);
        browser.Navigate(daemon.BaseUri);
        browser.WaitFor("document.querySelectorAll('#sources tbody tr').length === 2", Timeout, "two sources");
        browser.WaitFor("document.querySelectorAll('#quarantine tbody tr').length === 1", Timeout, "the quarantined line");
        browser.WaitFor("document.querySelectorAll('tr[data-metric]').length > 0", Timeout, "the shadow");

        var offenders = browser.Evaluate(ColumnsOutsideTheirCards)!.AsArray().Select(n => (string)n!).ToList();
        var png = browser.Screenshot();
        var artifacts = Path.Combine(RepoRoot.Path, "artifacts");
        Directory.CreateDirectory(artifacts);
        File.WriteAllBytes(Path.Combine(artifacts, $"status-page-{width}.png"), png);

        Assert.True(offenders.Count == 0, $"at {width} px: " + string.Join("; ", offenders));
        // Seven columns in Sources, every one of them laid out.
        Assert.Equal(7, (int)browser.Evaluate("[...document.querySelectorAll('#sources thead th')].filter(th => th.getBoundingClientRect().width > 0).length")!);
        Assert.Equal(0, daemon.Stop());
    }

    [Fact]
    public void ThePageServed_CarriesItsFirstState_SoItShowsDataBeforeAnyPoll()
    {
        using var dir = new TestDirectory("api-first-paint");
        var path = DemoConfig(dir);
        using var daemon = ApiDaemon.Start(path, dir.Path);
        Wait.Until(() => daemon.GetJson("/api/shadow").GetProperty("count").GetInt32() > 0, Timeout, "values in the shadow");

        // 1. The HTML itself holds the state: the same documents the page polls for.
        var (status, html, contentType) = daemon.Get("/");
        Assert.Equal(200, status);
        Assert.StartsWith("text/html", contentType, StringComparison.Ordinal);
        const string open = "<script type=\"application/json\" id=\"initial-state\">";
        var start = html.IndexOf(open, StringComparison.Ordinal);
        Assert.True(start > 0, "no embedded state in the page:" + Environment.NewLine + html);
        var end = html.IndexOf("</script>", start, StringComparison.Ordinal);
        var state = JsonNode.Parse(html[(start + open.Length)..end])!;
        Assert.Equal("demo-gw", (string?)state["status"]!["gatewayId"]);
        Assert.Equal(["inbox", "sim"], state["status"]!["sources"]!.AsArray().Select(s => (string)s!["name"]!).Order(StringComparer.Ordinal));
        Assert.True((int)state["shadow"]!["count"]! > 0);
        Assert.NotNull(state["quarantine"]!["entries"]);
        Assert.NotNull(state["anomalies"]!["series"]);

        // 2. A browser that cannot reach the API at all still shows the gateway, its sources and its values.
        using var browser = HeadlessChromium.Launch(1280, 1200);
        browser.Send("Network.enable");
        browser.Send("Network.setBlockedURLs", new JsonObject { ["urls"] = new JsonArray("*/api/*") });
        browser.Navigate(daemon.BaseUri);
        browser.WaitFor("document.getElementById('gateway-id').textContent === 'demo-gw'", Timeout, "the gateway id from the embedded state");
        Assert.Equal(2, (int)browser.Evaluate("document.querySelectorAll('#sources tbody tr').length")!);
        Assert.True((int)browser.Evaluate("document.querySelectorAll('tr[data-metric]').length")! > 0);
        Assert.NotEqual("connecting…", (string?)browser.Evaluate("document.getElementById('health').textContent"));

        // 3. The README's one-shot command: the DOM Chromium has once the page loaded already shows the data.
        var dom = HeadlessChromium.RunOnce("--dump-dom", daemon.BaseUri);
        Assert.Contains("<span id=\"gateway-id\" class=\"muted\">demo-gw</span>", dom, StringComparison.Ordinal);
        Assert.Contains("data-source=\"sim\"", dom, StringComparison.Ordinal);
        Assert.DoesNotContain(">connecting…<", dom, StringComparison.Ordinal);
        Assert.Equal(0, daemon.Stop());
    }

    private static string Inbox(TestDirectory dir)
    {
        var inbox = Path.Combine(dir.Path, "edgetwin-demo", "inbox");
        Directory.CreateDirectory(inbox);
        return inbox;
    }

    /// <summary>The shipped demo, as is, except for a port picked at run time (parallel runs on this machine).</summary>
    private static string DemoConfig(TestDirectory dir)
    {
        var demo = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "config", "demo.json")),
            documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        demo["api"]!["port"] = 0;
        var path = dir["demo.json"];
        File.WriteAllText(path, demo.ToJsonString());
        Inbox(dir);
        return path;
    }
}
