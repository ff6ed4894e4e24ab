using System.Globalization;

namespace EdgeTwin.Cloud.Ingest;

/// <summary>What the point decoder's pass found, and the checks that turn it into a row.</summary>
public static partial class WireDecoder
{
    private enum Field
    {
        SchemaVersion, GatewayId, AssetId, Metric, Ts, Value, Quality, StatusCode, Source, Tags, Model, ModelVersion, Event, TsEnd, Replayed,
        Dimensions, Unknown,
    }

    /// <summary>
    /// A point's value as read: one of number, text, flag, or (schema 1.1) the JSON of an array (<see cref="Length"/>
    /// its element count) or an object (<see cref="Length"/> -1); <see cref="Found"/> says what it was, for an error.
    /// </summary>
    private readonly record struct WireValue(bool Present, double? Number, string? Text, bool? Flag, string? Json, int Length, string? Found);

    private readonly record struct Dims(bool Present, int[]? Value, string? Error);

    private readonly record struct Text(bool Present, string? Value, string? Found);

    private readonly record struct Int(bool Present, long Value, string? Found);

    private readonly record struct Timestamp(bool Present, DateTime? Value, string? Found);

    private struct PointFields
    {
        public PointFields()
        {
        }

        public Text[] Texts = new Text[(int)Field.Unknown];
        public WireValue Value;
        public Dims Dimensions;
        public Timestamp Ts;
        public Timestamp TsEnd;
        public Int Status;
        public Int Replayed;
        public bool HasTags;
        public string? TagsError;
        public string? TagsJson;
        public string? Unit;
        public string? Unknown;

        /// <summary>The checks, in the order of the schema's fields.</summary>
        public readonly PointRow ToRow()
        {
            var exact = CheckVersion(Required(Field.SchemaVersion));
            if (exact && Unknown is not null) throw new WireFormatException($"$.{Unknown}: not a field of schema 1.0");
            if (exact && Dimensions.Present) throw new WireFormatException("$.dimensions: not a field of schema 1.0");
            var gateway = Key(Field.GatewayId);
            var asset = Key(Field.AssetId);
            var metric = Key(Field.Metric);
            var (time, frac) = Split(Ts, "ts");
            if (!Value.Present) throw new WireFormatException("$.value: required");
            if (Value.Json is null && Value.Found is { } valueFound)
                throw new WireFormatException($"$.value: expected a number, boolean{(exact ? " or string" : ", string, array or object")}, found {valueFound}");
            if (Value.Json is not null && exact) throw new WireFormatException($"$.value: expected a number, boolean or string, found {Value.Found}");
            var dimensions = CheckDimensions();
            var quality = Required(Field.Quality) switch
            {
                "good" => "good",
                "uncertain" => "uncertain",
                "bad" => "bad",
                var q => throw new WireFormatException($"$.quality: '{q}' is not good, uncertain or bad"),
            };
            if (!Status.Present) throw new WireFormatException("$.status_code: required");
            if (Status.Found is { } statusFound) throw new WireFormatException($"$.status_code: expected an integer 0..4294967295, found {statusFound}");
            var source = Required(Field.Source);
            if (TagsError is not null) throw new WireFormatException(TagsError);
            var model = Optional(Field.Model) ?? "";
            var modelVersion = Optional(Field.ModelVersion) ?? "";
            var kind = Optional(Field.Event);
            if (kind is not (null or "loss" or "anomaly" or "gateway_state")) throw new WireFormatException($"$.event: '{kind}' is not loss, anomaly or gateway_state");
            DateTime? end = TsEnd.Present ? Split(TsEnd, "ts_end").Time : null;
            if (Replayed.Found is { } replayedFound) throw new WireFormatException($"$.replayed: expected a boolean, found {replayedFound}");
            // PostgreSQL's text and jsonb cannot hold U+0000: such a point could never be written, so it is refused here.
            if (Value.Text?.Contains('\0', StringComparison.Ordinal) == true || source.Contains('\0', StringComparison.Ordinal)
                || model.Contains('\0', StringComparison.Ordinal) || modelVersion.Contains('\0', StringComparison.Ordinal)
                || Value.Json?.Contains("\\u0000", StringComparison.Ordinal) == true
                || TagsJson?.Contains("\\u0000", StringComparison.Ordinal) == true)
            {
                throw new WireFormatException("a string contains U+0000, which PostgreSQL cannot store");
            }
            return new PointRow(time, frac, asset, metric, Value.Number, Value.Text, Value.Flag, quality, Status.Value, Unit, HasTags ? TagsJson : null,
                model, modelVersion, source, gateway, Replayed.Value != 0, kind, end, Value.Json, dimensions);
        }

        /// <summary>A matrix's dimensions: only beside an array value, and their product is its element count.</summary>
        private readonly int[]? CheckDimensions()
        {
            if (!Dimensions.Present) return null;
            if (Value.Json is null || Value.Length < 0) throw new WireFormatException("$.dimensions: only an array value has dimensions");
            if (Dimensions.Error is { } error) throw new WireFormatException(error);
            var dims = Dimensions.Value!;
            long product = 1;
            foreach (var d in dims) product *= d;
            if (product != Value.Length) throw new WireFormatException($"$.dimensions: {string.Join('x', dims)} is {product} elements, the value has {Value.Length}");
            return dims;
        }

        private readonly string Required(Field field)
        {
            var t = Texts[(int)field];
            var name = NameOf(field);
            if (!t.Present) throw new WireFormatException($"$.{name}: required");
            return t.Value ?? throw new WireFormatException($"$.{name}: expected a string, found {t.Found}");
        }

        private readonly string? Optional(Field field)
        {
            var t = Texts[(int)field];
            if (!t.Present) return null;
            return t.Value ?? throw new WireFormatException($"$.{NameOf(field)}: expected a string, found {t.Found}");
        }

        /// <summary>A part of the idempotent key: non-empty, without '|'.</summary>
        private readonly string Key(Field field)
        {
            var s = Required(field);
            if (s.Length == 0 || s.Contains('|', StringComparison.Ordinal) || s.Contains('\0', StringComparison.Ordinal))
                throw new WireFormatException($"$.{NameOf(field)}: '{s.Replace("\0", "\\u0000", StringComparison.Ordinal)}' is empty or contains '|' or U+0000");
            return s;
        }

        private static (DateTime Time, short Frac) Split(Timestamp t, string name)
        {
            if (!t.Present) throw new WireFormatException($"$.{name}: required");
            if (t.Value is not { } value)
                throw new WireFormatException($"$.{name}: expected a UTC timestamp with seven fractional digits (2026-01-01T00:00:00.0000000Z), found {t.Found}");
            var frac = (short)(value.Ticks % 10);
            return (new DateTime(value.Ticks - frac, DateTimeKind.Utc), frac);
        }

        private static string NameOf(Field field) => System.Text.Encoding.UTF8.GetString(FieldNames[(int)field]);
    }

    /// <summary>Returns whether the version is exactly 1.0 (so unknown fields are errors); throws for any other major.</summary>
    private static bool CheckVersion(string version)
    {
        if (version == "1.0") return true;
        var dot = version.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && version[..dot] == "1" && int.TryParse(version.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _)) return false;
        throw new WireFormatException($"$.schema_version: unknown schema version '{version}' (this service reads 1.x)");
    }
}
