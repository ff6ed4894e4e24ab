using System.Diagnostics;
using EdgeTwin.Cloud.Ingest;
using Npgsql;
using NpgsqlTypes;

namespace EdgeTwin.Cloud.Data;

/// <summary>Rows one transaction added (a redelivered row is absorbed, so these can be fewer than the batch's).</summary>
public readonly record struct WriteResult(int Telemetry, int Events, int Assets, int DeadLetters);

/// <summary>
/// Writes one batch in one transaction. Telemetry goes by binary COPY straight into the telemetry table under a
/// savepoint; when the batch holds a point the table already has (a redelivery after a crash or a rebalance, or a
/// point twice in the batch), the unique key refuses the COPY, the savepoint is rolled back and the batch goes the
/// absorbing way instead: binary COPY into a temporary staging table, then <c>INSERT … SELECT … ON CONFLICT DO
/// NOTHING</c>. Batches stay on the absorbing way until one of them meets no known point. Events always take the
/// absorbing way; the latest registry record per asset is upserted and the dead letters kept.
/// Owns one connection; after a failure the caller disposes it and makes a new one.
/// </summary>
public sealed partial class IngestWriter(string connectionString) : IAsyncDisposable
{
    private const string PointColumns = "time, time_frac, asset_id, metric, value, value_text, value_bool, quality, status_code, tags, model, model_version, source, gateway_id, replayed, value_json, dimensions";
    private const string TelemetryColumns = "unit, " + PointColumns;
    private const string EventColumns = "kind, time_end, " + PointColumns;

    /// <summary>The session's staging tables (they empty themselves at every commit).</summary>
    internal const string StagingSql = """
        CREATE TEMP TABLE IF NOT EXISTS stage_telemetry (LIKE telemetry) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS stage_events (LIKE events) ON COMMIT DELETE ROWS;
        """;

    /// <summary>The absorbing way: the staged points that telemetry does not have yet.</summary>
    internal const string AbsorbTelemetrySql = $"""
        INSERT INTO telemetry ({TelemetryColumns}) SELECT {TelemetryColumns} FROM stage_telemetry
        ON CONFLICT DO NOTHING
        """;

    /// <summary>The staged events that events does not have yet.</summary>
    private const string AbsorbEventsSql = $"""
        INSERT INTO events ({EventColumns}) SELECT {EventColumns} FROM stage_events
        ON CONFLICT DO NOTHING
        """;

    private NpgsqlConnection? _conn;

    /// <summary>Whether the next telemetry batch tries the direct COPY (false after a batch met points already written).</summary>
    internal bool Direct { get; private set; } = true;

    public async Task<WriteResult> WriteAsync(IngestBatch batch, CancellationToken cancellationToken, IngestStats? stats = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var telemetry = batch.Telemetry.Count > 0 ? await WriteTelemetryAsync(conn, tx, batch.Telemetry, stats, cancellationToken).ConfigureAwait(false) : 0;
        var events = 0;
        if (batch.Events.Count > 0)
        {
            Copy(conn, "stage_events", EventColumns, batch.Events, withUnit: false);
            events = await ExecAsync(conn, tx, AbsorbEventsSql, cancellationToken).ConfigureAwait(false);
        }
        var assets = await WriteAssetsAsync(conn, tx, batch.Assets, cancellationToken).ConfigureAwait(false);
        var dead = await WriteDeadLettersAsync(conn, tx, batch.DeadLetters, cancellationToken).ConfigureAwait(false);
        var t = Stopwatch.GetTimestamp();
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (stats is not null) Interlocked.Add(ref stats.CommitTicks, Stopwatch.GetTimestamp() - t);
        return new WriteResult(telemetry, events, assets, dead);
    }

    private async Task<int> WriteTelemetryAsync(NpgsqlConnection conn, NpgsqlTransaction tx, List<PointRow> rows, IngestStats? stats, CancellationToken cancellationToken)
    {
        var t0 = Stopwatch.GetTimestamp();
        if (Direct)
        {
            await tx.SaveAsync("direct", cancellationToken).ConfigureAwait(false);
            try
            {
                Copy(conn, "telemetry", TelemetryColumns, rows, withUnit: true);
                if (stats is not null)
                {
                    Interlocked.Add(ref stats.CopyTicks, Stopwatch.GetTimestamp() - t0);
                    Interlocked.Increment(ref stats.DirectBatches);
                }
                return rows.Count;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // A point already written (or twice in this batch): this batch and the next ones absorb them.
                await tx.RollbackAsync("direct", cancellationToken).ConfigureAwait(false);
                Direct = false;
            }
        }
        Copy(conn, "stage_telemetry", TelemetryColumns, rows, withUnit: true);
        var t1 = Stopwatch.GetTimestamp();
        var added = await ExecAsync(conn, tx, AbsorbTelemetrySql, cancellationToken).ConfigureAwait(false);
        if (stats is not null)
        {
            Interlocked.Add(ref stats.CopyTicks, t1 - t0);
            Interlocked.Add(ref stats.InsertTicks, Stopwatch.GetTimestamp() - t1);
            Interlocked.Increment(ref stats.StagedBatches);
        }
        // Every point was new: the redelivery is over, the next batch goes direct again.
        if (added == rows.Count) Direct = true;
        return added;
    }

    /// <summary>Drops the connection (after a failure: the next write opens a new one).</summary>
    public async ValueTask ResetAsync()
    {
        if (_conn is null) return;
        var conn = _conn;
        _conn = null;
        try
        {
            await conn.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or ObjectDisposedException)
        {
            // Already broken: nothing more to release.
        }
    }

    public ValueTask DisposeAsync() => ResetAsync();

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_conn is { State: System.Data.ConnectionState.Open } open) return open;
        await ResetAsync().ConfigureAwait(false);
        var conn = new NpgsqlConnection(connectionString);
        try
        {
            await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
            // Staging tables live as long as the session and empty themselves at every commit.
            await using var cmd = new NpgsqlCommand(StagingSql, conn);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _conn = conn;
        return conn;
    }

    /// <summary>The registry: per asset only its last record in the batch counts (Kafka keeps one asset's records in order).</summary>
    private static async Task<int> WriteAssetsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, List<AssetRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return 0;
        var latest = new Dictionary<string, AssetRow>(StringComparer.Ordinal);
        foreach (var r in rows) latest[r.Id] = r;
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var a in latest.Values)
        {
            var cmd = new NpgsqlBatchCommand(a.Deleted
                ? "DELETE FROM assets WHERE id = $1"
                : """
                  INSERT INTO assets (id, name, parent, model_version, config, gateway_id, updated_at)
                  VALUES ($1, $2, $3, $4, $5::jsonb, $6, now())
                  ON CONFLICT (id) DO UPDATE SET name = excluded.name, parent = excluded.parent, model_version = excluded.model_version,
                      config = excluded.config, gateway_id = excluded.gateway_id, updated_at = excluded.updated_at
                  """);
            cmd.Parameters.Add(new NpgsqlParameter { Value = a.Id });
            if (!a.Deleted)
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = a.Name });
                cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)a.Parent ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)a.ModelVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)a.ConfigJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                cmd.Parameters.Add(new NpgsqlParameter { Value = a.GatewayId });
            }
            batch.BatchCommands.Add(cmd);
        }
        return await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> WriteDeadLettersAsync(NpgsqlConnection conn, NpgsqlTransaction tx, List<DeadLetter> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return 0;
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var d in rows)
        {
            var cmd = new NpgsqlBatchCommand("""
                INSERT INTO dead_letters (topic, partition, "offset", key, payload, reason) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (topic, partition, "offset") DO NOTHING
                """);
            cmd.Parameters.Add(new NpgsqlParameter { Value = d.Topic });
            cmd.Parameters.Add(new NpgsqlParameter { Value = d.Partition });
            cmd.Parameters.Add(new NpgsqlParameter { Value = d.Offset });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)d.Key ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)d.Payload ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
            cmd.Parameters.Add(new NpgsqlParameter { Value = d.Reason });
            batch.BatchCommands.Add(cmd);
        }
        return await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> ExecAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
