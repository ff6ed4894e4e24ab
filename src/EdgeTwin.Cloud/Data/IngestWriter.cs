using EdgeTwin.Cloud.Ingest;
using Npgsql;
using NpgsqlTypes;

namespace EdgeTwin.Cloud.Data;

/// <summary>Rows one transaction added (a redelivered row is absorbed, so these can be fewer than the batch's).</summary>
public readonly record struct WriteResult(int Telemetry, int Events, int Assets, int DeadLetters);

/// <summary>
/// Writes one batch in one transaction: binary COPY of the points into temporary staging tables, then
/// <c>INSERT … SELECT … ON CONFLICT DO NOTHING</c> into telemetry and events (a point seen before, or twice in the
/// batch, is absorbed by the unique key), the latest registry record per asset upserted, the dead letters kept.
/// Owns one connection; after a failure the caller disposes it and makes a new one.
/// </summary>
public sealed class IngestWriter(string connectionString) : IAsyncDisposable
{
    private const string PointColumns = "time, time_frac, asset_id, metric, value, value_text, value_bool, quality, status_code, tags, model, model_version, source, gateway_id, replayed, value_json, dimensions";

    private NpgsqlConnection? _conn;

    public async Task<WriteResult> WriteAsync(IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var conn = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var telemetry = 0;
        var events = 0;
        if (batch.Telemetry.Count > 0)
        {
            await CopyAsync(conn, "stage_telemetry", "unit, " + PointColumns, batch.Telemetry, withUnit: true, cancellationToken).ConfigureAwait(false);
            telemetry = await ExecAsync(conn, tx, $"""
                INSERT INTO telemetry (unit, {PointColumns}) SELECT unit, {PointColumns} FROM stage_telemetry
                ON CONFLICT DO NOTHING
                """, cancellationToken).ConfigureAwait(false);
        }
        if (batch.Events.Count > 0)
        {
            await CopyAsync(conn, "stage_events", "kind, time_end, " + PointColumns, batch.Events, withUnit: false, cancellationToken).ConfigureAwait(false);
            events = await ExecAsync(conn, tx, $"""
                INSERT INTO events (kind, time_end, {PointColumns}) SELECT kind, time_end, {PointColumns} FROM stage_events
                ON CONFLICT DO NOTHING
                """, cancellationToken).ConfigureAwait(false);
        }
        var assets = await WriteAssetsAsync(conn, tx, batch.Assets, cancellationToken).ConfigureAwait(false);
        var dead = await WriteDeadLettersAsync(conn, tx, batch.DeadLetters, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new WriteResult(telemetry, events, assets, dead);
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
            await using var cmd = new NpgsqlCommand("""
                CREATE TEMP TABLE IF NOT EXISTS stage_telemetry (LIKE telemetry) ON COMMIT DELETE ROWS;
                CREATE TEMP TABLE IF NOT EXISTS stage_events (LIKE events) ON COMMIT DELETE ROWS;
                """, conn);
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

    private static async Task CopyAsync(NpgsqlConnection conn, string table, string columns, List<PointRow> rows, bool withUnit, CancellationToken cancellationToken)
    {
        await using var copy = await conn.BeginBinaryImportAsync($"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        foreach (var r in rows)
        {
            await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
            if (withUnit) await Write(copy, r.Unit, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            else
            {
                await copy.WriteAsync(r.EventKind!, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await Write(copy, r.TimeEnd, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
            }
            await copy.WriteAsync(r.Time, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(r.TimeFrac, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(r.AssetId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(r.Metric, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await Write(copy, r.Value, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
            await Write(copy, r.ValueText, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await Write(copy, r.ValueBool, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(r.Quality, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(r.StatusCode, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            await Write(copy, r.TagsJson, NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(r.Model, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(r.ModelVersion, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await Write(copy, r.Source, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(r.GatewayId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(r.Replayed, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
            await Write(copy, r.ValueJson, NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
            await Write(copy, r.Dimensions, NpgsqlDbType.Array | NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
        }
        await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Task Write<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken cancellationToken) where T : class =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, type, cancellationToken);

    private static Task Write<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken cancellationToken) where T : struct =>
        value is { } v ? copy.WriteAsync(v, type, cancellationToken) : copy.WriteNullAsync(cancellationToken);

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
