using System.Text;
using System.Text.Json;
using EdgeTwin.Cloud.Tests.Infrastructure;

namespace EdgeTwin.Cloud.Tests;

/// <summary>
/// The service as a process, librdkafka's mock cluster and a private PostgreSQL 15: every point lands once through
/// crashes, rebalances and a database outage; poison messages become dead letters and their partitions go on.
/// </summary>
[Collection("postgres")]
public sealed class IngestTests(PostgresFixture pg)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    /// <summary>A new database with the schema in place (the service would migrate it at start; the test counts before).</summary>
    private string NewDatabase(string prefix)
    {
        var db = pg.Server.CreateDatabase(prefix);
        EdgeTwin.Cloud.Data.Migrator.MigrateAsync(db, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None).GetAwaiter().GetResult();
        return db;
    }

    private long Count(string db, string sql = "SELECT count(*) FROM telemetry") => pg.Server.Scalar(db, sql);

    private static void ProduceSeries(KafkaMock kafka, int from, int count, int assets = 8)
    {
        for (var i = from; i < from + count; i++)
        {
            var asset = $"asset-{i % assets}";
            kafka.Produce(KafkaMock.Telemetry, asset, Wire.Point(asset, "pressure", Wire.TimeOf(i / assets), i));
        }
    }

    /// <summary>Every produced point is a row, once: no key twice, none missing, and the values are the ones sent.</summary>
    private void AssertExactlyOnce(string db, int points, int assets = 8)
    {
        Assert.Equal(points, Count(db));
        Assert.Equal(points, Count(db, "SELECT count(DISTINCT (asset_id, metric, time, time_frac)) FROM telemetry"));
        Assert.Equal((long)points * (points - 1) / 2, Count(db, "SELECT sum(value)::bigint FROM telemetry"));
        Assert.Equal(0, Count(db, $"SELECT count(*) FROM telemetry WHERE value::bigint % {assets} <> substr(asset_id, 7)::int"));
    }

    [Fact]
    public void PoisonMessages_BecomeDeadLetters_AndTheirPartitionGoesOn()
    {
        var db = NewDatabase("poison");
        using var kafka = new KafkaMock(partitions: 1);
        ProduceSeries(kafka, 0, 100, assets: 1);
        var poison = new (string Value, string Reason)[]
        {
            ("{\"schema_version\":\"1.0\",", "not valid JSON"),
            (Wire.Point("asset-0", "pressure", Wire.TimeOf(500), 1).Replace("\"1.0\"", "\"2.0\"", StringComparison.Ordinal), "unknown schema version '2.0'"),
            (Wire.Point("asset-0", "pressure", Wire.TimeOf(501), 1).Replace("\"value\":1", "\"value\":[1]", StringComparison.Ordinal), "$.value: expected a number, boolean or string, found an array"),
        };
        foreach (var (value, _) in poison) kafka.Produce(KafkaMock.Telemetry, "asset-0", value);
        kafka.Produce(KafkaMock.Telemetry, "asset-0", new byte[] { 0xff, 0xfe, 0x00 });
        ProduceSeries(kafka, 100, 100, assets: 1);
        kafka.Flush();

        using var cloud = CloudProcess.Start(CloudProcess.WriteConfig(pg.Scratch, kafka.BootstrapServers, db));
        Wait.Until(() => Count(db) == 200 && Count(db, "SELECT count(*) FROM dead_letters") == 4, Long,
            () => $"200 rows and 4 dead letters; have {Count(db)} and {Count(db, "SELECT count(*) FROM dead_letters")}:{Environment.NewLine}{cloud.Output}");
        AssertExactlyOnce(db, 200, assets: 1);

        var letters = pg.Server.Rows(db, "SELECT topic, partition, \"offset\", reason, payload, key FROM dead_letters ORDER BY \"offset\"");
        Assert.Equal([100L, 101L, 102L, 103L], letters.Select(r => (long)r[2]!));
        for (var i = 0; i < poison.Length; i++)
        {
            Assert.Equal(KafkaMock.Telemetry, letters[i][0]);
            Assert.Contains(poison[i].Reason, (string)letters[i][3]!, StringComparison.Ordinal);
            Assert.Equal(poison[i].Value, Encoding.UTF8.GetString((byte[])letters[i][4]!));
            Assert.Equal("asset-0", Encoding.UTF8.GetString((byte[])letters[i][5]!));
        }
        Assert.Equal(new byte[] { 0xff, 0xfe, 0x00 }, (byte[])letters[3][4]!);

        // The API lists them, payload as base64.
        var listed = JsonDocument.Parse(cloud.Get("dead-letters")).RootElement;
        Assert.Equal(4, listed.GetArrayLength());
        Assert.Equal(poison[1].Value, Encoding.UTF8.GetString(listed[1].GetProperty("payload").GetBytesFromBase64()));
    }

    [Fact]
    public void Version11Points_ArraysMatricesAndStructures_LandAsJsonBesideScalars()
    {
        var db = NewDatabase("v11");
        using var kafka = new KafkaMock(partitions: 1);
        string V11(string metric, int second, string valueAndMore) =>
            Wire.Point("drive-1", metric, Wire.TimeOf(second), 0).Replace("\"1.0\"", "\"1.1\"", StringComparison.Ordinal)
                .Replace("\"value\":0", "\"value\":" + valueAndMore, StringComparison.Ordinal);
        kafka.Produce(KafkaMock.Telemetry, "drive-1", Wire.Point("drive-1", "speed", Wire.TimeOf(0), 1480.5));
        kafka.Produce(KafkaMock.Telemetry, "drive-1", V11("waveform", 1, "[0.5,-0.25,1E+300]"));
        kafka.Produce(KafkaMock.Telemetry, "drive-1", V11("grid", 2, "[1,2,3,4,5,6],\"dimensions\":[2,3]"));
        kafka.Produce(KafkaMock.Telemetry, "drive-1", V11("status", 3, "{\"Status\":{\"Speed\":1480.5,\"Running\":true}}"));
        kafka.Flush();

        using var cloud = CloudProcess.Start(CloudProcess.WriteConfig(pg.Scratch, kafka.BootstrapServers, db));
        Wait.Until(() => Count(db) == 4, Long, () => $"4 rows; have {Count(db)}:{Environment.NewLine}{cloud.Output}");

        var rows = pg.Server.Rows(db, "SELECT metric, value, value_json::text, array_to_string(dimensions, 'x') FROM telemetry ORDER BY time");
        Assert.Equal(["speed", "waveform", "grid", "status"], rows.Select(r => (string)r[0]!));
        Assert.Equal(1480.5, rows[0][1]);
        Assert.Null(rows[0][2]);
        // jsonb keeps numbers as exact numerics (its text writes 1E+300 in full): compared as jsonb.
        Assert.Equal(1, Count(db, "SELECT count(*) FROM telemetry WHERE metric = 'waveform' AND value_json = '[0.5,-0.25,1E+300]'::jsonb AND value IS NULL"));
        Assert.Equal("2x3", rows[2][3]);
        Assert.Equal("{\"Status\": {\"Speed\": 1480.5, \"Running\": true}}", rows[3][2]);
        Assert.Equal(0, Count(db, "SELECT count(*) FROM dead_letters"));

        var latest = JsonDocument.Parse(cloud.Get("latest")).RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("metric").GetString()!);
        Assert.Equal(6, latest["grid"].GetProperty("value_json").GetArrayLength());
        Assert.Equal([2, 3], latest["grid"].GetProperty("dimensions").EnumerateArray().Select(d => d.GetInt32()));
    }

    [Fact]
    public void KilledWithMinus9MidRun_TheRestartedServiceLosesAndDoublesNothing()
    {
        var db = NewDatabase("kill9");
        using var kafka = new KafkaMock();
        const int Points = 40_000;
        ProduceSeries(kafka, 0, Points);
        kafka.Flush();
        var config = CloudProcess.WriteConfig(pg.Scratch, kafka.BootstrapServers, db, batchMessages: 500);

        using (var first = CloudProcess.Start(config))
        {
            Wait.Until(() => Count(db) >= 5000, Long, () => $"the first rows; have {Count(db)}:{Environment.NewLine}{first.Output}");
            first.Kill9();
        }
        var atKill = Count(db);
        Assert.True(atKill < Points, $"the service had written everything ({atKill}) before it was killed: the test proves nothing");
        using var second = CloudProcess.Start(config);
        Wait.Until(() => Count(db) == Points, Long, () => $"{Points} rows; have {Count(db)}:{Environment.NewLine}{second.Output}");
        // A last look after the service has read everything it will ever be given: still exactly once.
        Thread.Sleep(1000);
        AssertExactlyOnce(db, Points);
    }

    [Fact]
    public void TwoInstances_ShareThePartitions_AndARebalanceMidRunLosesAndDoublesNothing()
    {
        var db = NewDatabase("rebalance");
        using var kafka = new KafkaMock();
        const int Points = 30_000;
        var config = CloudProcess.WriteConfig(pg.Scratch, kafka.BootstrapServers, db, batchMessages: 500);
        using var a = CloudProcess.Start(config);
        using var b = CloudProcess.Start(CloudProcess.WriteConfig(pg.Scratch, kafka.BootstrapServers, db, batchMessages: 500));
        // Produced while the instances join and work: the rebalances fall in the middle of the stream.
        for (var chunk = 0; chunk < 10; chunk++)
        {
            ProduceSeries(kafka, chunk * (Points / 10), Points / 10);
            kafka.Flush();
            if (chunk == 5)
            {
                Wait.Until(() => a.Output.Contains("Partitions assigned", StringComparison.Ordinal) && b.Output.Contains("Partitions assigned", StringComparison.Ordinal),
                    Long, () => "both instances to own partitions:" + Environment.NewLine + a.Output + b.Output);
                // One leaves gracefully mid-run: its partitions move to the other.
                a.Terminate(TimeSpan.FromSeconds(30));
            }
            Thread.Sleep(200);
        }
        Wait.Until(() => Count(db) == Points, Long, () => $"{Points} rows; have {Count(db)}:{Environment.NewLine}{a.Output}{b.Output}");
        Thread.Sleep(1000);
        AssertExactlyOnce(db, Points);
        Assert.Contains("Partitions revoked", b.Output, StringComparison.Ordinal);
        Assert.Equal(0, a.ExitCode);
    }

    [Fact]
    public void PostgresStoppedMidRun_TheServiceWaitsWithBackoff_AndLandsEveryPointOnce()
    {
        var db = NewDatabase("outage");
        using var kafka = new KafkaMock();
        const int Points = 20_000;
        using var cloud = CloudProcess.Start(CloudProcess.WriteConfig(pg.Scratch, kafka.BootstrapServers, db, batchMessages: 500));
        ProduceSeries(kafka, 0, Points / 2);
        kafka.Flush();
        Wait.Until(() => Count(db) > 0, Long, () => "the first rows:" + Environment.NewLine + cloud.Output);
        pg.Server.Stop();
        try
        {
            ProduceSeries(kafka, Points / 2, Points / 2);
            kafka.Flush();
            Wait.Until(() => cloud.Output.Contains("Database unavailable", StringComparison.Ordinal), Long, () => "the service to notice the outage:" + Environment.NewLine + cloud.Output);
            Thread.Sleep(2000);
            Assert.False(cloud.HasExited, "the service stopped while the database was down:" + Environment.NewLine + cloud.Output);
        }
        finally
        {
            pg.Server.Start();
        }
        Wait.Until(() => Count(db) == Points, Long, () => $"{Points} rows; have {Count(db)}:{Environment.NewLine}{cloud.Output}");
        Thread.Sleep(1000);
        AssertExactlyOnce(db, Points);
    }
}
