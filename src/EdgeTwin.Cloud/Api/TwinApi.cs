using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgeTwin.Cloud.Config;
using EdgeTwin.Cloud.Ingest;
using Npgsql;

namespace EdgeTwin.Cloud.Api;

/// <summary>
/// The cloud twin API (HTTP, JSON, under /api/v1): read-only queries of the twin, and a bearer token for the one
/// thing that changes data (removing a handled dead letter). See README "Cloud service" for every route.
/// </summary>
internal static class TwinApi
{
    public static void Map(IEndpointRouteBuilder app, CloudConfig config)
    {
        var api = app.MapGroup("/api/v1");
        api.MapGet("/health", Health);
        api.MapGet("/stats", Stats);
        api.MapGet("/assets", (HttpContext h, NpgsqlDataSource db) => JsonRows.WriteAsync(h, db, TreeSql("parent IS NULL"), _ => { }));
        api.MapGet("/assets/{id}/subtree", (HttpContext h, NpgsqlDataSource db, string id) =>
            JsonRows.WriteAsync(h, db, TreeSql("id = $1"), p => p.AddWithValue(id)));
        api.MapGet("/latest", (HttpContext h, NpgsqlDataSource db) => JsonRows.WriteAsync(h, db, LatestSql(""), _ => { }));
        api.MapGet("/assets/{id}/latest", (HttpContext h, NpgsqlDataSource db, string id) =>
            JsonRows.WriteAsync(h, db, LatestSql("WHERE asset_id = $1"), p => p.AddWithValue(id)));
        api.MapGet("/assets/{id}/history", History);
        api.MapGet("/assets/{id}/models", Models);
        api.MapGet("/gateways/{id}/loss", Loss);
        api.MapGet("/dead-letters", DeadLetters);
        api.MapDelete("/dead-letters/{id:long}", (HttpContext h, NpgsqlDataSource db, long id) => DeleteDeadLetter(h, db, id, config.Api.Token));
    }

    /// <summary>Assets from the matching ones down (recursive on assets.parent), each with its depth and path from there.</summary>
    private static string TreeSql(string start) => $"""
        WITH RECURSIVE tree AS (
            SELECT id, name, parent, model_version, config, gateway_id, updated_at, 0 AS depth, ARRAY[id] AS path
            FROM assets WHERE {start}
            UNION ALL
            SELECT a.id, a.name, a.parent, a.model_version, a.config, a.gateway_id, a.updated_at, t.depth + 1, t.path || a.id
            FROM assets a JOIN tree t ON a.parent = t.id
            WHERE NOT a.id = ANY(t.path)
        )
        SELECT id, name, parent, model_version, config, gateway_id, updated_at, depth, array_to_string(path, '/') AS path
        FROM tree ORDER BY path
        """;

    /// <summary>The last point of every series (asset, metric, and model version for model outputs).</summary>
    private static string LatestSql(string where) => $"""
        SELECT DISTINCT ON (asset_id, metric, model, model_version)
            asset_id, metric, {JsonRows.WireTs} AS ts, value, value_text, value_bool, value_json, dimensions, quality, status_code, unit,
            NULLIF(model, '') AS model, NULLIF(model_version, '') AS model_version, gateway_id, replayed
        FROM telemetry {where}
        ORDER BY asset_id, metric, model, model_version, time DESC, time_frac DESC
        """;

    private static async Task History(HttpContext h, NpgsqlDataSource db, string id)
    {
        var q = h.Request.Query;
        if (!Range(h, out var from, out var to, out var error) || q["metric"].ToString() is not { Length: > 0 } metric)
        {
            await Bad(h, error ?? "metric is required").ConfigureAwait(false);
            return;
        }
        var bucket = q["bucket"].ToString() is { Length: > 0 } b ? b : "raw";
        var limit = Limit(h, 10_000);
        string sql;
        if (bucket == "raw")
        {
            sql = $"""
                SELECT {JsonRows.WireTs} AS ts, value, value_text, value_bool, value_json, dimensions, quality, status_code,
                    NULLIF(model, '') AS model, NULLIF(model_version, '') AS model_version, replayed
                FROM telemetry WHERE asset_id = $1 AND metric = $2 AND time >= $3 AND time < $4
                ORDER BY time, time_frac LIMIT $5
                """;
        }
        else if (bucket is "minute" or "hour")
        {
            // date_bin works on plain PostgreSQL; with timescaledb the continuous aggregates hold the same buckets.
            var width = bucket == "minute" ? "1 minute" : "1 hour";
            sql = $"""
                SELECT date_bin(INTERVAL '{width}', time, TIMESTAMPTZ '2000-01-01') AS bucket,
                    NULLIF(model, '') AS model, NULLIF(model_version, '') AS model_version,
                    avg(value) AS avg, min(value) AS min, max(value) AS max, count(*) AS count
                FROM telemetry WHERE asset_id = $1 AND metric = $2 AND time >= $3 AND time < $4 AND quality = 'good'
                GROUP BY 1, model, model_version ORDER BY 1, 2, 3 LIMIT $5
                """;
        }
        else
        {
            await Bad(h, $"bucket '{bucket}' is not raw, minute or hour").ConfigureAwait(false);
            return;
        }
        await JsonRows.WriteAsync(h, db, sql, p =>
        {
            p.AddWithValue(id);
            p.AddWithValue(metric);
            p.AddWithValue(from);
            p.AddWithValue(to);
            p.AddWithValue(limit);
        }).ConfigureAwait(false);
    }

    /// <summary>Model outputs of every version over the same range, side by side: one row per timestamp, one value per version.</summary>
    private static async Task Models(HttpContext h, NpgsqlDataSource db, string id)
    {
        if (!Range(h, out var from, out var to, out var error) || h.Request.Query["metric"].ToString() is not { Length: > 0 } metric)
        {
            await Bad(h, error ?? "metric is required").ConfigureAwait(false);
            return;
        }
        await JsonRows.WriteAsync(h, db, $"""
            SELECT {JsonRows.WireTs} AS ts, model, jsonb_object_agg(model_version, value) AS versions
            FROM telemetry WHERE asset_id = $1 AND metric = $2 AND model <> '' AND time >= $3 AND time < $4
            GROUP BY time, time_frac, model ORDER BY time, time_frac, model LIMIT $5
            """, p =>
        {
            p.AddWithValue(id);
            p.AddWithValue(metric);
            p.AddWithValue(from);
            p.AddWithValue(to);
            p.AddWithValue(Limit(h, 10_000));
        }).ConfigureAwait(false);
    }

    /// <summary>The loss ledger a gateway reported: per record the series, the lost range and how many points.</summary>
    private static async Task Loss(HttpContext h, NpgsqlDataSource db, string id)
    {
        if (!Range(h, out var from, out var to, out var error))
        {
            await Bad(h, error!).ConfigureAwait(false);
            return;
        }
        await JsonRows.WriteAsync(h, db, $"""
            SELECT asset_id, COALESCE(tags->>'lost_metric', metric) AS lost_metric, {JsonRows.WireTs} AS ts, time_end AS ts_end,
                value AS points_lost, replayed
            FROM events WHERE gateway_id = $1 AND kind = 'loss' AND time >= $2 AND time < $3
            ORDER BY time, asset_id, metric LIMIT $4
            """, p =>
        {
            p.AddWithValue(id);
            p.AddWithValue(from);
            p.AddWithValue(to);
            p.AddWithValue(Limit(h, 10_000));
        }).ConfigureAwait(false);
    }

    private static Task DeadLetters(HttpContext h, NpgsqlDataSource db) => JsonRows.WriteAsync(h, db, """
        SELECT id, topic, partition, "offset", reason, received_at, key, payload FROM dead_letters
        WHERE ($1::text IS NULL OR topic = $1) ORDER BY id LIMIT $2
        """, p =>
    {
        p.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)NullIfEmpty(h.Request.Query["topic"].ToString()) ?? DBNull.Value);
        p.AddWithValue(Limit(h, 1000));
    });

    private static async Task DeleteDeadLetter(HttpContext h, NpgsqlDataSource db, long id, string? token)
    {
        if (!Authorized(h, token))
        {
            h.Response.StatusCode = token is null ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
            if (token is not null) h.Response.Headers.WWWAuthenticate = "Bearer";
            await h.Response.WriteAsJsonAsync(new Dictionary<string, string>
            {
                ["error"] = token is null ? "changes are disabled: no api.token is configured" : "a valid bearer token is required",
            }).ConfigureAwait(false);
            return;
        }
        await using var cmd = db.CreateCommand("DELETE FROM dead_letters WHERE id = $1");
        cmd.Parameters.AddWithValue(id);
        var n = await cmd.ExecuteNonQueryAsync(h.RequestAborted).ConfigureAwait(false);
        h.Response.StatusCode = n == 1 ? StatusCodes.Status204NoContent : StatusCodes.Status404NotFound;
    }

    private static bool Authorized(HttpContext h, string? token)
    {
        if (token is null) return false;
        var header = h.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[7..].Trim()), Encoding.UTF8.GetBytes(token));
    }

    private static async Task Health(HttpContext h, NpgsqlDataSource db)
    {
        try
        {
            await using var cmd = db.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(h.RequestAborted).ConfigureAwait(false);
            await h.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["database"] = "up" }).ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            h.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await h.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["database"] = "down", ["error"] = e.Message }).ConfigureAwait(false);
        }
    }

    private static Task Stats(HttpContext h, IngestStats s) => h.Response.WriteAsJsonAsync(new Dictionary<string, object?>
    {
        ["messages"] = Interlocked.Read(ref s.Messages),
        ["telemetry_rows"] = Interlocked.Read(ref s.Telemetry),
        ["event_rows"] = Interlocked.Read(ref s.Events),
        ["asset_rows"] = Interlocked.Read(ref s.Assets),
        ["dead_letters"] = Interlocked.Read(ref s.DeadLetters),
        ["batches"] = Interlocked.Read(ref s.Batches),
        ["database_retries"] = Interlocked.Read(ref s.DatabaseRetries),
        ["delay_p50_ms"] = s.DelayPercentile(0.50),
        ["delay_p99_ms"] = s.DelayPercentile(0.99),
    });

    private static bool Range(HttpContext h, out DateTime from, out DateTime to, out string? error)
    {
        error = null;
        from = DateTime.UnixEpoch;
        to = new DateTime(9999, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        foreach (var (name, isFrom) in new[] { ("from", true), ("to", false) })
        {
            var text = h.Request.Query[name].ToString();
            if (text.Length == 0) continue;
            if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
            {
                error = $"{name} '{text}' is not an ISO 8601 time";
                return false;
            }
            if (isFrom) from = t;
            else to = t;
        }
        return true;
    }

    private static int Limit(HttpContext h, int max) =>
        int.TryParse(h.Request.Query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? Math.Min(n, max) : max;

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private static Task Bad(HttpContext h, string error)
    {
        h.Response.StatusCode = StatusCodes.Status400BadRequest;
        return h.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["error"] = error });
    }
}
