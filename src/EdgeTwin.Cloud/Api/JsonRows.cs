using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace EdgeTwin.Cloud.Api;

/// <summary>Runs a query and writes its rows as a JSON array of objects, one property per column.</summary>
internal static class JsonRows
{
    /// <summary>The wire timestamp again, from time (microseconds) and time_frac (the 100 ns digit), exactly as it arrived.</summary>
    public const string WireTs = "to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || time_frac::text || 'Z'";

    public static async Task WriteAsync(HttpContext http, NpgsqlDataSource db, string sql, Action<NpgsqlParameterCollection> bind)
    {
        await using var cmd = db.CreateCommand(sql);
        bind(cmd.Parameters);
        await using var reader = await cmd.ExecuteReaderAsync(http.RequestAborted).ConfigureAwait(false);
        http.Response.ContentType = "application/json; charset=utf-8";
        await using var w = new Utf8JsonWriter(http.Response.BodyWriter);
        w.WriteStartArray();
        while (await reader.ReadAsync(http.RequestAborted).ConfigureAwait(false))
        {
            w.WriteStartObject();
            for (var i = 0; i < reader.FieldCount; i++) WriteField(w, reader, i);
            w.WriteEndObject();
            if (w.BytesPending > 16 * 1024) await w.FlushAsync(http.RequestAborted).ConfigureAwait(false);
        }
        w.WriteEndArray();
        await w.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    private static void WriteField(Utf8JsonWriter w, NpgsqlDataReader r, int i)
    {
        var name = r.GetName(i);
        if (r.IsDBNull(i))
        {
            w.WriteNull(name);
            return;
        }
        switch (r.GetDataTypeName(i))
        {
            case "jsonb" or "json":
                w.WritePropertyName(name);
                w.WriteRawValue(r.GetString(i), skipInputValidation: true);
                break;
            case "bytea":
                w.WriteBase64String(name, r.GetFieldValue<byte[]>(i));
                break;
            case "timestamp with time zone":
                w.WriteString(name, r.GetFieldValue<DateTime>(i).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
                break;
            case "double precision" or "real" or "numeric":
                var d = Convert.ToDouble(r.GetValue(i), CultureInfo.InvariantCulture);
                if (double.IsFinite(d)) w.WriteNumber(name, d);
                else w.WriteNull(name);
                break;
            case "bigint" or "integer" or "smallint":
                w.WriteNumber(name, Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture));
                break;
            case "boolean":
                w.WriteBoolean(name, r.GetBoolean(i));
                break;
            case "integer[]":
                w.WriteStartArray(name);
                foreach (var n in r.GetFieldValue<int[]>(i)) w.WriteNumberValue(n);
                w.WriteEndArray();
                break;
            default:
                w.WriteString(name, Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture));
                break;
        }
    }
}
