using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EdgeTwin.Cloud.Data;
using EdgeTwin.Cloud.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeTwin.Cloud.Tests;

/// <summary>The twin API over what the service ingested: tree, latest, history buckets, model versions, loss ledger, the token.</summary>
[Collection("postgres")]
public sealed class TwinApiTests(PostgresFixture pg)
{
    private const string Token = "a-token-of-32-characters-exactly";

    [Fact]
    public async Task Api_ServesTheTwinFromKafka_ReadOnly_WithATokenForChanges()
    {
        var db = pg.Server.CreateDatabase("api");
        await Migrator.MigrateAsync(db, NullLogger.Instance, CancellationToken.None);
        using var kafka = new KafkaMock();
        foreach (var (id, parent) in new[] { ("site", (string?)null), ("line-1", "site"), ("pump-1", "line-1"), ("oven-1", "line-1"), ("line-2", "site") })
            kafka.Produce(KafkaMock.TwinMetadata, id, Wire.Asset(id, id.ToUpperInvariant(), parent, id == "pump-1" ? "pump-v2" : null));
        // A renamed asset: the later record wins.
        kafka.Produce(KafkaMock.TwinMetadata, "oven-1", Wire.Asset("oven-1", "Oven One", "line-1"));
        // Two minutes of pressure, one point a second, and a wear estimate by two model versions over the same seconds.
        for (var s = 0; s < 120; s++)
        {
            var t = Wire.Epoch.AddSeconds(s);
            kafka.Produce(KafkaMock.Telemetry, "pump-1", Wire.Point("pump-1", "pressure", t, (double)s, tags: new() { ["unit"] = "bar" }));
            kafka.Produce(KafkaMock.Telemetry, "pump-1", Wire.Point("pump-1", "wear", t, s * 0.01, model: "pump", version: "v1"));
            kafka.Produce(KafkaMock.Telemetry, "pump-1", Wire.Point("pump-1", "wear", t, s * 0.02, model: "pump", version: "v2"));
        }
        kafka.Produce(KafkaMock.Telemetry, "oven-1", Wire.Point("oven-1", "door", Wire.Epoch, "open"));
        kafka.Produce(KafkaMock.Telemetry, "oven-1", Wire.Point("oven-1", "door", Wire.Epoch.AddSeconds(5), "closed"));
        kafka.Produce(KafkaMock.Events, "pump-1", Wire.Point("pump-1", "_loss/pressure", Wire.Epoch.AddSeconds(200), 250, evt: "loss",
            tsEnd: Wire.Epoch.AddSeconds(225), tags: new() { ["lost_metric"] = "pressure" }, replayed: true));
        kafka.Produce(KafkaMock.Events, "pump-1", Wire.Point("pump-1", "_loss/pressure", Wire.Epoch.AddSeconds(300), 1, evt: "loss", gateway: "gw-other"));
        kafka.Produce(KafkaMock.Telemetry, "pump-1", "{\"broken\":");
        kafka.Flush();

        using var cloud = CloudProcess.Start(CloudProcess.WriteConfig(pg.Scratch, kafka.BootstrapServers, db, token: Token));
        Wait.Until(() => pg.Server.Scalar(db, "SELECT count(*) FROM telemetry") == 362 && pg.Server.Scalar(db, "SELECT count(*) FROM events") == 2
            && pg.Server.Scalar(db, "SELECT count(*) FROM assets") == 5 && pg.Server.Scalar(db, "SELECT count(*) FROM dead_letters") == 1,
            TimeSpan.FromSeconds(60), () => "everything ingested:" + Environment.NewLine + cloud.Output);

        var tree = Json(cloud.Get("assets"));
        Assert.Equal(["site", "site/line-1", "site/line-1/oven-1", "site/line-1/pump-1", "site/line-2"], tree.EnumerateArray().Select(a => a.GetProperty("path").GetString()));
        Assert.Equal("Oven One", tree[2].GetProperty("name").GetString());
        Assert.Equal("pump-v2", tree[3].GetProperty("model_version").GetString());
        var subtree = Json(cloud.Get("assets/line-1/subtree"));
        Assert.Equal(["line-1", "oven-1", "pump-1"], subtree.EnumerateArray().Select(a => a.GetProperty("id").GetString()));

        var latest = Json(cloud.Get("assets/pump-1/latest")).EnumerateArray().ToList();
        var pressure = Assert.Single(latest, l => l.GetProperty("metric").GetString() == "pressure");
        Assert.Equal(119, pressure.GetProperty("value").GetDouble());
        Assert.Equal(Wire.Ts(Wire.Epoch.AddSeconds(119)), pressure.GetProperty("ts").GetString());
        Assert.Equal("bar", pressure.GetProperty("unit").GetString());
        Assert.Equal(2, latest.Count(l => l.GetProperty("metric").GetString() == "wear"));
        Assert.Equal("closed", Assert.Single(Json(cloud.Get("assets/oven-1/latest")).EnumerateArray()).GetProperty("value_text").GetString());

        var raw = Json(cloud.Get($"assets/pump-1/history?metric=pressure&from={Wire.Ts(Wire.Epoch.AddSeconds(10))}&to={Wire.Ts(Wire.Epoch.AddSeconds(20))}"));
        Assert.Equal(Enumerable.Range(10, 10).Select(i => (double)i), raw.EnumerateArray().Select(r => r.GetProperty("value").GetDouble()));
        var minutes = Json(cloud.Get("assets/pump-1/history?metric=pressure&bucket=minute")).EnumerateArray().ToList();
        Assert.Equal(2, minutes.Count);
        Assert.Equal((29.5, 60L), (minutes[0].GetProperty("avg").GetDouble(), minutes[0].GetProperty("count").GetInt64()));
        Assert.Equal(119, minutes[1].GetProperty("max").GetDouble());
        var hour = Assert.Single(Json(cloud.Get("assets/pump-1/history?metric=pressure&bucket=hour")).EnumerateArray());
        Assert.Equal(120, hour.GetProperty("count").GetInt64());

        var models = Json(cloud.Get("assets/pump-1/models?metric=wear")).EnumerateArray().ToList();
        Assert.Equal(120, models.Count);
        Assert.Equal((0.5, 1.0), (models[50].GetProperty("versions").GetProperty("v1").GetDouble(), models[50].GetProperty("versions").GetProperty("v2").GetDouble()));

        var loss = Assert.Single(Json(cloud.Get("gateways/gw-test/loss")).EnumerateArray());
        Assert.Equal(("pressure", 250.0, true), (loss.GetProperty("lost_metric").GetString(), loss.GetProperty("points_lost").GetDouble(), loss.GetProperty("replayed").GetBoolean()));
        Assert.Equal("2026-11-24T03:03:45.000000Z", loss.GetProperty("ts_end").GetString());
        Assert.Single(Json(cloud.Get("gateways/gw-other/loss")).EnumerateArray());

        var letter = Assert.Single(Json(cloud.Get("dead-letters")).EnumerateArray());
        var letterId = letter.GetProperty("id").GetInt64();
        using var http = new HttpClient { BaseAddress = cloud.Api };
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync(new Uri("assets/pump-1/history?metric=pressure&bucket=week", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync(new Uri("assets", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.DeleteAsync(new Uri($"dead-letters/{letterId}", UriKind.Relative))).StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token-not-the-token-1234");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.DeleteAsync(new Uri($"dead-letters/{letterId}", UriKind.Relative))).StatusCode);
        Assert.Equal(1, pg.Server.Scalar(db, "SELECT count(*) FROM dead_letters"));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync(new Uri($"dead-letters/{letterId}", UriKind.Relative))).StatusCode);
        Assert.Equal(0, pg.Server.Scalar(db, "SELECT count(*) FROM dead_letters"));

        var stats = Json(cloud.Get("stats"));
        Assert.Equal(362, stats.GetProperty("telemetry_rows").GetInt64());
        Assert.True(stats.GetProperty("delay_p99_ms").GetDouble() > 0);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;
}
