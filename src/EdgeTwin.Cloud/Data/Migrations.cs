namespace EdgeTwin.Cloud.Data;

/// <summary>One versioned schema step. <see cref="TimescaleOnly"/> steps run only where the timescaledb extension is available.</summary>
public sealed record Migration(int Version, string Name, string Sql, bool TimescaleOnly = false, bool OutsideTransaction = false);

/// <summary>
/// The schema, in order. A published step never changes: a change is a new step. Plain PostgreSQL gets every table,
/// column and index; where timescaledb is available the telemetry and events tables become hypertables with
/// compression of old chunks and continuous aggregates for minute and hour buckets.
/// </summary>
public static class Migrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "tables", """
            CREATE TABLE IF NOT EXISTS assets (
                id            text PRIMARY KEY,
                name          text NOT NULL,
                parent        text,
                model_version text,
                config        jsonb,
                gateway_id    text NOT NULL,
                updated_at    timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX IF NOT EXISTS assets_parent ON assets (parent);

            -- time holds the wire timestamp to the microsecond; time_frac its last 100 ns digit (0-9), so two points
            -- 100 ns apart stay two rows. model and model_version are '' on measurements, so that they can be part
            -- of the unique key: outputs of several model versions over the same series are kept side by side.
            CREATE TABLE IF NOT EXISTS telemetry (
                time          timestamptz NOT NULL,
                time_frac     smallint NOT NULL DEFAULT 0,
                asset_id      text NOT NULL,
                metric        text NOT NULL,
                value         double precision,
                value_text    text,
                value_bool    boolean,
                quality       text NOT NULL,
                status_code   bigint NOT NULL DEFAULT 0,
                unit          text,
                tags          jsonb,
                model         text NOT NULL DEFAULT '',
                model_version text NOT NULL DEFAULT '',
                source        text,
                gateway_id    text NOT NULL,
                replayed      boolean NOT NULL DEFAULT false
            );
            CREATE UNIQUE INDEX IF NOT EXISTS telemetry_key ON telemetry (asset_id, metric, time, time_frac, model, model_version);
            CREATE INDEX IF NOT EXISTS telemetry_time ON telemetry (time DESC);

            -- Loss-ledger records (metric '_loss/<metric>', time..time_end the lost range, value the count),
            -- anomalies and gateway state changes.
            CREATE TABLE IF NOT EXISTS events (
                time          timestamptz NOT NULL,
                time_frac     smallint NOT NULL DEFAULT 0,
                time_end      timestamptz,
                kind          text NOT NULL,
                asset_id      text NOT NULL,
                metric        text NOT NULL,
                value         double precision,
                value_text    text,
                value_bool    boolean,
                quality       text NOT NULL,
                status_code   bigint NOT NULL DEFAULT 0,
                tags          jsonb,
                model         text NOT NULL DEFAULT '',
                model_version text NOT NULL DEFAULT '',
                source        text,
                gateway_id    text NOT NULL,
                replayed      boolean NOT NULL DEFAULT false
            );
            CREATE UNIQUE INDEX IF NOT EXISTS events_key ON events (asset_id, metric, time, time_frac, kind);
            CREATE INDEX IF NOT EXISTS events_gateway ON events (gateway_id, kind, time DESC);

            -- Messages the service could not read, as they arrived; a redelivery of the same offset is absorbed.
            CREATE TABLE IF NOT EXISTS dead_letters (
                id          bigserial PRIMARY KEY,
                topic       text NOT NULL,
                partition   integer NOT NULL,
                "offset"    bigint NOT NULL,
                key         bytea,
                payload     bytea,
                reason      text NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (topic, partition, "offset")
            );
            """),
        new(2, "timescale hypertables and compression", """
            CREATE EXTENSION IF NOT EXISTS timescaledb;
            -- One-hour chunks: at 10,000 points/s a chunk holds 36 million rows, whose indexes fit in memory.
            SELECT create_hypertable('telemetry', by_range('time', INTERVAL '1 hour'), if_not_exists => TRUE, migrate_data => TRUE);
            SELECT create_hypertable('events', by_range('time', INTERVAL '7 days'), if_not_exists => TRUE, migrate_data => TRUE);
            ALTER TABLE telemetry SET (timescaledb.compress, timescaledb.compress_segmentby = 'asset_id, metric',
                timescaledb.compress_orderby = 'time DESC, time_frac DESC');
            SELECT add_compression_policy('telemetry', INTERVAL '7 days', if_not_exists => TRUE);
            """, TimescaleOnly: true),
        new(3, "timescale continuous aggregates", """
            CREATE MATERIALIZED VIEW IF NOT EXISTS telemetry_1m WITH (timescaledb.continuous) AS
                SELECT time_bucket(INTERVAL '1 minute', time) AS bucket, asset_id, metric, model, model_version,
                       avg(value) AS avg, min(value) AS min, max(value) AS max, count(*) AS count
                FROM telemetry WHERE quality = 'good'
                GROUP BY 1, 2, 3, 4, 5 WITH NO DATA;
            SELECT add_continuous_aggregate_policy('telemetry_1m', start_offset => INTERVAL '3 days',
                end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute', if_not_exists => TRUE);
            CREATE MATERIALIZED VIEW IF NOT EXISTS telemetry_1h WITH (timescaledb.continuous) AS
                SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, asset_id, metric, model, model_version,
                       avg(value) AS avg, min(value) AS min, max(value) AS max, count(*) AS count
                FROM telemetry WHERE quality = 'good'
                GROUP BY 1, 2, 3, 4, 5 WITH NO DATA;
            SELECT add_continuous_aggregate_policy('telemetry_1h', start_offset => INTERVAL '30 days',
                end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes', if_not_exists => TRUE);
            """, TimescaleOnly: true, OutsideTransaction: true),
        new(4, "array and structure values (wire schema 1.1)", """
            -- An array or structure value (a matrix flattened row-major, with its dimensions); value, value_text and
            -- value_bool stay null for such a point.
            ALTER TABLE telemetry ADD COLUMN IF NOT EXISTS value_json jsonb;
            ALTER TABLE telemetry ADD COLUMN IF NOT EXISTS dimensions integer[];
            ALTER TABLE events ADD COLUMN IF NOT EXISTS value_json jsonb;
            ALTER TABLE events ADD COLUMN IF NOT EXISTS dimensions integer[];
            """),
    ];
}
