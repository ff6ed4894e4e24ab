using EdgeTwin.Cloud.Data;
using EdgeTwin.Cloud.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace EdgeTwin.Cloud.Tests;

[Collection("postgres")]
public sealed class MigrationTests(PostgresFixture pg)
{
    [Fact]
    public async Task Migrate_IsVersionedAndIdempotent_AndPlainPostgresGetsEveryColumnAndTheUniqueKey()
    {
        var db = pg.Server.CreateDatabase("migrate");
        var first = await Migrator.MigrateAsync(db, NullLogger.Instance, CancellationToken.None);
        Assert.False(first.Timescale); // Debian's PostgreSQL 15 here has no timescaledb package.
        Assert.Equal(["1 tables", "4 array and structure values (wire schema 1.1)"], first.Applied);
        Assert.Equal(["2 timescale hypertables and compression", "3 timescale continuous aggregates"], first.Skipped);

        var second = await Migrator.MigrateAsync(db, NullLogger.Instance, CancellationToken.None);
        Assert.Empty(second.Applied);
        Assert.Empty(second.Skipped);
        var recorded = pg.Server.Rows(db, "SELECT version, variant FROM schema_migrations ORDER BY version");
        Assert.Equal([1, 2, 3, 4], recorded.Select(r => (int)r[0]!));
        Assert.Equal("plain", recorded[0][1]);
        Assert.StartsWith("skipped", (string)recorded[2][1]!, StringComparison.Ordinal);

        var columns = pg.Server.Rows(db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'telemetry'").Select(r => (string)r[0]!).ToHashSet();
        foreach (var c in new[] { "time", "asset_id", "metric", "value", "value_text", "value_bool", "value_json", "dimensions", "quality", "status_code", "unit", "tags", "model", "model_version", "gateway_id", "replayed" })
            Assert.Contains(c, columns);

        // The unique key absorbs a redelivered point, keeps the 100 ns digit and keeps model versions apart.
        const string Insert = "INSERT INTO telemetry (time, time_frac, asset_id, metric, value, quality, gateway_id, model, model_version) VALUES ('2026-01-01T00:00:00Z', {0}, 'a', 'm', 1, 'good', 'g', '{1}', '{2}') ON CONFLICT DO NOTHING";
        Assert.Equal(1, pg.Server.Scalar(db, $"WITH x AS ({string.Format(Insert, 0, "", "")} RETURNING 1) SELECT count(*) FROM x"));
        Assert.Equal(0, pg.Server.Scalar(db, $"WITH x AS ({string.Format(Insert, 0, "", "")} RETURNING 1) SELECT count(*) FROM x"));
        Assert.Equal(1, pg.Server.Scalar(db, $"WITH x AS ({string.Format(Insert, 1, "", "")} RETURNING 1) SELECT count(*) FROM x"));
        Assert.Equal(1, pg.Server.Scalar(db, $"WITH x AS ({string.Format(Insert, 0, "pump", "v1")} RETURNING 1) SELECT count(*) FROM x"));
        Assert.Equal(1, pg.Server.Scalar(db, $"WITH x AS ({string.Format(Insert, 0, "pump", "v2")} RETURNING 1) SELECT count(*) FROM x"));
    }

    [Fact]
    public void MigrateVerb_AppliesOnceThenReportsUpToDate_AndExits69WhenTheDatabaseIsGone()
    {
        var db = pg.Server.CreateDatabase("verb");
        var config = CloudProcess.WriteConfig(pg.Scratch, "k:9092", db);
        var (code, output) = CloudProcess.Run(TimeSpan.FromSeconds(60), "migrate", "--config", config);
        Assert.True(code == 0, output);
        Assert.Contains("applied 1 tables", output, StringComparison.Ordinal);
        Assert.Contains("timescaledb: not available", output, StringComparison.Ordinal);
        (code, output) = CloudProcess.Run(TimeSpan.FromSeconds(60), "migrate", "--config", config);
        Assert.True(code == 0, output);
        Assert.Contains("schema up to date", output, StringComparison.Ordinal);

        var nowhere = CloudProcess.WriteConfig(pg.Scratch, "k:9092", new NpgsqlConnectionStringBuilder(db) { Port = 1, Timeout = 2 }.ConnectionString);
        (code, output) = CloudProcess.Run(TimeSpan.FromSeconds(60), "migrate", "--config", nowhere);
        Assert.Equal(69, code);
        Assert.Contains("not reachable", output, StringComparison.Ordinal);
    }
}
