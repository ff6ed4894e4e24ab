using EdgeTwin.Cloud.Ingest;
using Npgsql;
using NpgsqlTypes;

namespace EdgeTwin.Cloud.Data;

/// <summary>The binary COPY of point rows (telemetry with its unit, or events with their kind and end).</summary>
public sealed partial class IngestWriter
{
    /// <summary>
    /// Synchronous on purpose: the rows are already in memory and the importer buffers them, so the per-field async
    /// machinery would only cost time; the connection's socket is written when the buffer fills.
    /// </summary>
    private static void Copy(NpgsqlConnection conn, string table, string columns, List<PointRow> rows, bool withUnit)
    {
        using var copy = conn.BeginBinaryImport($"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)");
        foreach (var r in rows)
        {
            copy.StartRow();
            if (withUnit) Text(copy, r.Unit);
            else
            {
                copy.Write(r.EventKind!, NpgsqlDbType.Text);
                if (r.TimeEnd is { } end) copy.Write(end, NpgsqlDbType.TimestampTz);
                else copy.WriteNull();
            }
            copy.Write(r.Time, NpgsqlDbType.TimestampTz);
            copy.Write(r.TimeFrac, NpgsqlDbType.Smallint);
            copy.Write(r.AssetId, NpgsqlDbType.Text);
            copy.Write(r.Metric, NpgsqlDbType.Text);
            if (r.Value is { } number) copy.Write(number, NpgsqlDbType.Double);
            else copy.WriteNull();
            Text(copy, r.ValueText);
            if (r.ValueBool is { } flag) copy.Write(flag, NpgsqlDbType.Boolean);
            else copy.WriteNull();
            copy.Write(r.Quality, NpgsqlDbType.Text);
            copy.Write(r.StatusCode, NpgsqlDbType.Bigint);
            if (r.TagsJson is null) copy.WriteNull();
            else copy.Write(r.TagsJson, NpgsqlDbType.Jsonb);
            copy.Write(r.Model, NpgsqlDbType.Text);
            copy.Write(r.ModelVersion, NpgsqlDbType.Text);
            Text(copy, r.Source);
            copy.Write(r.GatewayId, NpgsqlDbType.Text);
            copy.Write(r.Replayed, NpgsqlDbType.Boolean);
            if (r.ValueJson is null) copy.WriteNull();
            else copy.Write(r.ValueJson, NpgsqlDbType.Jsonb);
            if (r.Dimensions is null) copy.WriteNull();
            else copy.Write(r.Dimensions, NpgsqlDbType.Array | NpgsqlDbType.Integer);
        }
        copy.Complete();
    }

    private static void Text(NpgsqlBinaryImporter copy, string? value)
    {
        if (value is null) copy.WriteNull();
        else copy.Write(value, NpgsqlDbType.Text);
    }
}
