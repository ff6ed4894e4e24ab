using EdgeTwin.Cloud.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace EdgeTwin.Cloud.Tests;

/// <summary>
/// The TimescaleDB path against a real timescaledb (PGlite with the extension, <see cref="TimescalePglite"/>):
/// <c>migrate</c> makes the hypertables, compression and the continuous aggregates; the ingest's absorbing SQL
/// (staging table, INSERT … SELECT … ON CONFLICT DO NOTHING) lands every point once, also over a compressed chunk;
/// the minute aggregate serves the history. PGlite's socket server does not take COPY FROM STDIN, so the staging
/// table is filled by INSERT here; the COPY itself is covered against PostgreSQL 15 (IngestWriterTests).
/// </summary>
public sealed class TimescaleTests
{
    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<int> ExecAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Stages points from..to-1 (one a second over two series, as the service's COPY would) and absorbs them.</summary>
    private static async Task<int> IngestAsync(NpgsqlConnection conn, int from, int to)
    {
        await using var tx = await conn.BeginTransactionAsync();
        await ExecAsync(conn, $"""
            INSERT INTO stage_telemetry (time, time_frac, asset_id, metric, value, quality, status_code, unit, model, model_version, gateway_id, source, replayed)
            SELECT timestamptz '2026-11-24 03:00:00+00' + i * interval '1 second', 0, 'asset-' || (i % 2), 'pressure', i, 'good', 0, 'bar', '', '', 'gw-test', 'sim:test', false
            FROM generate_series({from}, {to - 1}) i
            """);
        var added = await ExecAsync(conn, IngestWriter.AbsorbTelemetrySql);
        await tx.CommitAsync();
        return added;
    }

    [Fact]
    public async Task Migrate_MakesHypertablesCompressionAndAggregates_AndTheIngestLandsEveryPointOnce()
    {
        using var ts = new TimescalePglite();
        var db = ts.ConnectionString;

        var first = await Migrator.MigrateAsync(db, NullLogger.Instance, CancellationToken.None);
        Assert.True(first.Timescale, "timescaledb " + ts.Version + " should be available");
        Assert.Equal(["1 tables", "2 timescale hypertables and compression", "3 timescale continuous aggregates", "4 array and structure values (wire schema 1.1)"], first.Applied);
        Assert.Empty((await Migrator.MigrateAsync(db, NullLogger.Instance, CancellationToken.None)).Applied);

        await using var conn = new NpgsqlConnection(db);
        await conn.OpenAsync();
        Assert.Equal(2L, await ScalarAsync<long>(conn, "SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name IN ('telemetry', 'events')"));
        Assert.True(await ScalarAsync<bool>(conn, "SELECT compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_name = 'telemetry'"));
        Assert.Equal(2L, await ScalarAsync<long>(conn, "SELECT count(*) FROM timescaledb_information.continuous_aggregates WHERE view_name IN ('telemetry_1m', 'telemetry_1h')"));
        Assert.Equal(3L, await ScalarAsync<long>(conn, "SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name IN ('policy_compression', 'policy_refresh_continuous_aggregate')"));

        // Two hours of points and a redelivery of the first hour: two one-hour chunks, every point once.
        await ExecAsync(conn, IngestWriter.StagingSql);
        Assert.Equal(7200, await IngestAsync(conn, 0, 7200));
        Assert.Equal(0, await IngestAsync(conn, 0, 3600));
        Assert.Equal(2L, await ScalarAsync<long>(conn, "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'telemetry'"));

        // The oldest chunk compressed (what the policy does to old chunks), then a redelivery over all of it and new
        // points: the unique key absorbs what is there, compressed or not, and keeps the new ones.
        Assert.Equal(1L, await ScalarAsync<long>(conn, """
            SELECT count(compress_chunk(format('%I.%I', chunk_schema, chunk_name)::regclass)) FROM (
                SELECT chunk_schema, chunk_name FROM timescaledb_information.chunks WHERE hypertable_name = 'telemetry' ORDER BY range_start LIMIT 1) oldest
            """));
        Assert.Equal(1L, await ScalarAsync<long>(conn, "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'telemetry' AND is_compressed"));
        Assert.Equal(100, await IngestAsync(conn, 0, 7300));
        Assert.Equal(7300L, await ScalarAsync<long>(conn, "SELECT count(*) FROM telemetry"));
        Assert.Equal(7300L, await ScalarAsync<long>(conn, "SELECT count(DISTINCT (asset_id, metric, time, time_frac)) FROM telemetry"));

        // The minute aggregate, refreshed as its policy would: 60 points a minute over the two series.
        await ExecAsync(conn, "CALL refresh_continuous_aggregate('telemetry_1m', NULL, NULL)");
        Assert.Equal(60L, await ScalarAsync<long>(conn, "SELECT sum(count)::bigint FROM telemetry_1m WHERE bucket = '2026-11-24 03:05:00+00'"));
        Assert.Equal(7300L, await ScalarAsync<long>(conn, "SELECT sum(count)::bigint FROM telemetry_1m"));
    }
}
