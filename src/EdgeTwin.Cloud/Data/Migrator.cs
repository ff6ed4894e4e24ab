using Npgsql;

namespace EdgeTwin.Cloud.Data;

/// <summary>What one <see cref="Migrator.MigrateAsync"/> did.</summary>
public sealed record MigrationReport(bool Timescale, IReadOnlyList<string> Applied, IReadOnlyList<string> Skipped);

/// <summary>
/// Applies <see cref="Migrations.All"/> in order, each once, recorded in <c>schema_migrations</c>. Instances that start
/// together serialise on an advisory lock. A timescale-only step is recorded as skipped where the extension is not
/// available (plain PostgreSQL), so the plain schema is complete and stable.
/// </summary>
public static partial class Migrator
{
    private const long LockKey = 0x45646765_54776e; // "EdgeTwn"

    public static async Task<MigrationReport> MigrateAsync(string connectionString, ILogger logger, CancellationToken cancellationToken)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
        await Exec(conn, "SELECT pg_advisory_lock(@k)", cancellationToken, LockKey).ConfigureAwait(false);
        try
        {
            await Exec(conn, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    variant    text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken).ConfigureAwait(false);
            var timescale = await TimescaleAvailableAsync(conn, cancellationToken).ConfigureAwait(false);
            var done = new HashSet<int>();
            await using (var cmd = new NpgsqlCommand("SELECT version FROM schema_migrations", conn))
            await using (var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false)) done.Add(r.GetInt32(0));
            }
            var applied = new List<string>();
            var skipped = new List<string>();
            foreach (var m in Migrations.All)
            {
                if (done.Contains(m.Version)) continue;
                var run = !m.TimescaleOnly || timescale;
                var label = $"{m.Version} {m.Name}";
                if (m.OutsideTransaction && run)
                {
                    // Continuous aggregates cannot be created inside a transaction block, and statements sent together
                    // share an implicit one: each statement goes on its own.
                    foreach (var statement in m.Sql.Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        await using var single = new NpgsqlCommand(statement, conn);
                        await single.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                    await Record(conn, null, m, "timescale", cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    if (run)
                    {
                        await using var cmd = new NpgsqlCommand(m.Sql, conn, tx);
                        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                    await Record(conn, tx, m, run ? (m.TimescaleOnly ? "timescale" : "plain") : "skipped: timescaledb not available", cancellationToken).ConfigureAwait(false);
                    await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
                (run ? applied : skipped).Add(label);
                if (run) Log.Applied(logger, m.Version, m.Name);
                else Log.Skipped(logger, m.Version, m.Name);
            }
            return new MigrationReport(timescale, applied, skipped);
        }
        finally
        {
            await Exec(conn, "SELECT pg_advisory_unlock(@k)", CancellationToken.None, LockKey).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the server can load timescaledb (it is installed, whether or not created in this database).</summary>
    public static async Task<bool> TimescaleAvailableAsync(NpgsqlConnection conn, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')", conn);
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task Record(NpgsqlConnection conn, NpgsqlTransaction? tx, Migration m, string variant, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("INSERT INTO schema_migrations (version, name, variant) VALUES (@v, @n, @x)", conn, tx);
        cmd.Parameters.AddWithValue("v", m.Version);
        cmd.Parameters.AddWithValue("n", m.Name);
        cmd.Parameters.AddWithValue("x", variant);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task Exec(NpgsqlConnection conn, string sql, CancellationToken cancellationToken, long? key = null)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        if (key is { } k) cmd.Parameters.AddWithValue("k", k);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Migration {Version} ({Name}) applied")]
        public static partial void Applied(ILogger logger, int version, string name);

        [LoggerMessage(2, LogLevel.Information, "Migration {Version} ({Name}) skipped: the timescaledb extension is not available; plain tables serve")]
        public static partial void Skipped(ILogger logger, int version, string name);
    }
}
