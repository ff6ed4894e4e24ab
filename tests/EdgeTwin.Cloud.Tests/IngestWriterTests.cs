using System.Text;
using EdgeTwin.Cloud.Data;
using EdgeTwin.Cloud.Ingest;
using EdgeTwin.Cloud.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeTwin.Cloud.Tests;

/// <summary>
/// The writer against a private PostgreSQL 15: a batch goes by direct COPY into telemetry; a batch that meets points
/// already written (a redelivery) or holds a point twice is absorbed through the staging table instead, without
/// losing its new points, and the writer returns to the direct COPY after the first batch that meets none.
/// </summary>
[Collection("postgres")]
public sealed class IngestWriterTests(PostgresFixture pg)
{
    private static IngestBatch Batch(int from, int count, string model = "", string version = "")
    {
        var batch = new IngestBatch();
        for (var i = from; i < from + count; i++)
        {
            batch.Telemetry.Add(WireDecoder.DecodePoint(Encoding.UTF8.GetBytes(
                Wire.Point($"asset-{i % 4}", "pressure", Wire.TimeOf(i), i, model: model.Length > 0 ? model : null, version: version.Length > 0 ? version : null))));
        }
        return batch;
    }

    private async Task<string> NewDatabaseAsync(string prefix)
    {
        var db = pg.Server.CreateDatabase(prefix);
        await Migrator.MigrateAsync(db, NullLogger.Instance, CancellationToken.None);
        return db;
    }

    [Fact]
    public async Task Redelivery_FallsBackToTheAbsorbingWay_KeepsTheNewPoints_AndGoesDirectAgain()
    {
        var db = await NewDatabaseAsync("writer");
        await using var writer = new IngestWriter(db);
        var stats = new IngestStats();

        Assert.Equal(1000, (await writer.WriteAsync(Batch(0, 1000), CancellationToken.None, stats)).Telemetry);
        Assert.True(writer.Direct);
        Assert.Equal(1, stats.DirectBatches);

        // Half of it was written before: only the other half is new, and nothing doubles.
        Assert.Equal(500, (await writer.WriteAsync(Batch(500, 1000), CancellationToken.None, stats)).Telemetry);
        Assert.False(writer.Direct);
        Assert.Equal(1, stats.StagedBatches);
        Assert.Equal(1500, pg.Server.Scalar(db, "SELECT count(*) FROM telemetry"));

        // Everything known: still absorbing.
        Assert.Equal(0, (await writer.WriteAsync(Batch(0, 1500), CancellationToken.None, stats)).Telemetry);
        Assert.False(writer.Direct);

        // A batch of new points only: written through staging, after which the writer goes direct again.
        Assert.Equal(100, (await writer.WriteAsync(Batch(1500, 100), CancellationToken.None, stats)).Telemetry);
        Assert.True(writer.Direct);
        Assert.Equal(200, (await writer.WriteAsync(Batch(1600, 200), CancellationToken.None, stats)).Telemetry);
        Assert.Equal(2, stats.DirectBatches);
        Assert.Equal(3, stats.StagedBatches);

        Assert.Equal(1800, pg.Server.Scalar(db, "SELECT count(*) FROM telemetry"));
        Assert.Equal(1800, pg.Server.Scalar(db, "SELECT count(DISTINCT (asset_id, metric, time, time_frac)) FROM telemetry"));
        Assert.Equal(1799L * 1800 / 2, pg.Server.Scalar(db, "SELECT sum(value)::bigint FROM telemetry"));
    }

    [Fact]
    public async Task APointTwiceInOneBatch_IsOneRow_AndOtherModelVersionsOfTheSamePointStay()
    {
        var db = await NewDatabaseAsync("writer_dup");
        await using var writer = new IngestWriter(db);
        var batch = Batch(0, 300);
        batch.Telemetry.AddRange(Batch(100, 10).Telemetry);
        batch.Telemetry.AddRange(Batch(0, 300, "pump", "v1").Telemetry);
        batch.Telemetry.AddRange(Batch(0, 300, "pump", "v2").Telemetry);
        Assert.Equal(900, (await writer.WriteAsync(batch, CancellationToken.None)).Telemetry);
        Assert.Equal(900, pg.Server.Scalar(db, "SELECT count(*) FROM telemetry"));
        Assert.Equal(300, pg.Server.Scalar(db, "SELECT count(*) FROM telemetry WHERE model_version = 'v2'"));

        // The transaction is usable after the refused direct COPY: a later batch on the same connection lands.
        Assert.Equal(50, (await writer.WriteAsync(Batch(300, 50), CancellationToken.None)).Telemetry);
        Assert.Equal(950, pg.Server.Scalar(db, "SELECT count(*) FROM telemetry"));
    }
}
