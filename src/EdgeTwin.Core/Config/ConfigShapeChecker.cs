using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EdgeTwin.Core.Config;

/// <summary>
/// Checks a configuration document against the shape of the types it binds to before binding, so that a file with
/// several wrong types, unknown keys or misplaced nulls reports all of them in one run, each with its JSON path and
/// in a technician's words ("expected a number, found a string"), never a .NET type name. The binder stops at the
/// first such error; this walks the whole document. It reads only the source-generated metadata (no reflection).
/// </summary>
public static class ConfigShapeChecker
{
    /// <summary>The first this many problems are reported; a file that wrong is rewritten, not fixed line by line.</summary>
    public const int MaxErrors = 50;

    public static IReadOnlyList<ConfigError> Check(string json, JsonTypeInfo typeInfo, JsonReaderOptions options) =>
        Inspect(json, typeInfo, options).Errors;

    /// <summary>
    /// Like <see cref="Check"/>, and tells apart values outside their closed set (a mode, a policy): a document
    /// whose only faults are those still binds, so that its validator can report them with every other error.
    /// </summary>
    public static ConfigShapeReport Inspect(string json, JsonTypeInfo typeInfo, JsonReaderOptions options)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        var walk = new Walker(bytes);
        var reader = new Utf8JsonReader(bytes, options);
        if (!reader.Read()) return new ConfigShapeReport([], []);
        walk.Value(ref reader, typeInfo, "$", nullAllowed: false);
        var errors = walk.Errors;
        var capped = errors.Count > MaxErrors ? [.. errors.Take(MaxErrors), new ConfigError("$", $"and {errors.Count - MaxErrors} more error(s)")] : errors;
        return new ConfigShapeReport(capped, walk.BadValues);
    }

    private sealed class Walker(byte[] bytes)
    {
        private readonly List<int> _newlines = FindNewlines(bytes);

        public List<ConfigError> Errors { get; } = [];

        public List<ConfigError> BadValues { get; } = [];

        // The reader stands on the value's first token; it is left on the value's last token.
        public void Value(ref Utf8JsonReader reader, JsonTypeInfo info, string path, bool nullAllowed)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                if (!nullAllowed) Add(ref reader, path, $"expected {Describe(info)}, found null");
                return;
            }
            switch (info.Kind)
            {
                case JsonTypeInfoKind.Object:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        Mismatch(ref reader, path, "an object { … }");
                        return;
                    }
                    Object(ref reader, info, path);
                    return;
                case JsonTypeInfoKind.Enumerable:
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        Mismatch(ref reader, path, "a list [ … ]");
                        return;
                    }
                    var itemInfo = info.Options.GetTypeInfo(info.ElementType!);
                    var itemNullable = IsNullable(info.ElementType!);
                    var index = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        Value(ref reader, itemInfo, $"{path}[{index++}]", itemNullable);
                    }
                    return;
                case JsonTypeInfoKind.Dictionary:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        Mismatch(ref reader, path, "an object of named entries { \"name\": … }");
                        return;
                    }
                    var valueInfo = info.Options.GetTypeInfo(info.ElementType!);
                    var valueNullable = IsNullable(info.ElementType!);
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var name = reader.GetString()!;
                        reader.Read();
                        Value(ref reader, valueInfo, FieldPath(path, name), valueNullable);
                    }
                    return;
                default:
                    Scalar(ref reader, Nullable.GetUnderlyingType(info.Type) ?? info.Type, path);
                    return;
            }
        }

        private void Object(ref Utf8JsonReader reader, JsonTypeInfo info, string path)
        {
            var comparer = info.Options.PropertyNameCaseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
            var properties = info.Properties.Where(p => !p.IsExtensionData).ToDictionary(p => p.Name, comparer);
            var extensionData = info.Properties.Any(p => p.IsExtensionData);
            var seen = new HashSet<string>(comparer);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                var memberPath = FieldPath(path, name);
                if (!properties.TryGetValue(name, out var property))
                {
                    if (!extensionData) Add(ref reader, memberPath, UnknownKey(name, properties.Keys));
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                seen.Add(name);
                reader.Read();
                if (property.Set is null)
                {
                    reader.Skip();
                    continue;
                }
                if (property.CustomConverter is IConfigEnumConverter names)
                {
                    if (reader.TokenType != JsonTokenType.Null) EnumValue(ref reader, names, memberPath);
                    else if (!property.IsSetNullable) Add(ref reader, memberPath, $"expected {names.Allowed}, found null");
                    continue;
                }
                Value(ref reader, info.Options.GetTypeInfo(property.PropertyType), memberPath, property.IsSetNullable);
            }
            foreach (var property in properties.Values.Where(p => p.IsRequired && !seen.Contains(p.Name)))
            {
                Add(ref reader, FieldPath(path, property.Name), "is required");
            }
        }

        private void Scalar(ref Utf8JsonReader reader, Type type, string path)
        {
            var kind = ExpectedKind(type);
            if (kind is null)
            {
                reader.Skip(); // a type with its own converter: the binder reports what it refuses
                return;
            }
            var ok = kind switch
            {
                ScalarKind.Number or ScalarKind.WholeNumber => reader.TokenType == JsonTokenType.Number,
                ScalarKind.Boolean => reader.TokenType is JsonTokenType.True or JsonTokenType.False,
                _ => reader.TokenType == JsonTokenType.String,
            };
            if (!ok)
            {
                Mismatch(ref reader, path, Describe(kind.Value));
                return;
            }
            if (kind == ScalarKind.WholeNumber && !FitsWholeNumber(ref reader, type))
            {
                Add(ref reader, path, $"expected a whole number{Range(type)}, found {System.Text.Encoding.UTF8.GetString(reader.ValueSpan)}");
            }
        }

        private void EnumValue(ref Utf8JsonReader reader, IConfigEnumConverter names, string path)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                Mismatch(ref reader, path, names.Allowed);
                return;
            }
            var text = reader.GetString()!;
            if (names.IsName(text)) return;
            Add(ref reader, path, $"'{Shorten(text)[1..^1]}' is not {names.Allowed}");
            BadValues.Add(Errors[^1]);
        }

        private void Mismatch(ref Utf8JsonReader reader, string path, string expected)
        {
            var found = reader.TokenType switch
            {
                JsonTokenType.StartObject => "an object",
                JsonTokenType.StartArray => "a list",
                JsonTokenType.String => $"a string ({Shorten(reader.GetString()!)})",
                JsonTokenType.Number => $"a number ({System.Text.Encoding.UTF8.GetString(reader.ValueSpan)})",
                JsonTokenType.True => "true",
                JsonTokenType.False => "false",
                _ => "null",
            };
            Add(ref reader, path, $"expected {expected}, found {found}");
            reader.Skip();
        }

        private void Add(ref Utf8JsonReader reader, string path, string message)
        {
            var offset = (int)reader.TokenStartIndex;
            var line = _newlines.BinarySearch(offset);
            if (line < 0) line = ~line;
            var column = offset - (line == 0 ? -1 : _newlines[line - 1]);
            Errors.Add(new ConfigError(path, $"{message} (line {line + 1}, column {column})"));
        }

        private static List<int> FindNewlines(byte[] bytes)
        {
            var list = new List<int>();
            for (var i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] == (byte)'\n') list.Add(i);
            }
            return list;
        }
    }

    private static string UnknownKey(string name, IEnumerable<string> keys)
    {
        var known = keys.ToList();
        var lower = name.ToLowerInvariant();
        var close = known
            .Select(k => (key: k, k.ToLowerInvariant() is var l && name.Length >= 3 && (l.StartsWith(lower, StringComparison.Ordinal) || lower.StartsWith(l, StringComparison.Ordinal)) ? 0 : Distance(l, lower)))
            .Where(c => c.Item2 <= Math.Max(1, name.Length / 4))
            .OrderBy(c => c.Item2)
            .Select(c => c.key)
            .ToList();
        var hint = close.Count > 0 ? $"; did you mean \"{close[0]}\"?" : "";
        return $"unknown key '{name}'{hint} (keys here: {string.Join(", ", known)})";
    }

    private enum ScalarKind { Number, WholeNumber, Boolean, Text }

    private static ScalarKind? ExpectedKind(Type type)
    {
        if (type == typeof(string) || type == typeof(TimeSpan) || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Guid)) return ScalarKind.Text;
        if (type == typeof(bool)) return ScalarKind.Boolean;
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return ScalarKind.Number;
        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte)
            || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(sbyte)) return ScalarKind.WholeNumber;
        return null; // a type with its own converter: the binder reports it
    }

    private static bool FitsWholeNumber(ref Utf8JsonReader reader, Type type) => type switch
    {
        _ when type == typeof(int) => reader.TryGetInt32(out _),
        _ when type == typeof(long) => reader.TryGetInt64(out _),
        _ when type == typeof(short) => reader.TryGetInt16(out _),
        _ when type == typeof(byte) => reader.TryGetByte(out _),
        _ when type == typeof(uint) => reader.TryGetUInt32(out _),
        _ when type == typeof(ulong) => reader.TryGetUInt64(out _),
        _ when type == typeof(ushort) => reader.TryGetUInt16(out _),
        _ => reader.TryGetSByte(out _),
    };

    private static string Range(Type type) => type switch
    {
        _ when type == typeof(int) => $" from {int.MinValue} to {int.MaxValue}",
        _ when type == typeof(uint) => $" from 0 to {uint.MaxValue}",
        _ when type == typeof(ushort) => $" from 0 to {ushort.MaxValue}",
        _ when type == typeof(byte) => " from 0 to 255",
        _ => "",
    };

    private static bool IsNullable(Type type) => !type.IsValueType || Nullable.GetUnderlyingType(type) is not null;

    private static string Describe(JsonTypeInfo info) => info.Kind switch
    {
        JsonTypeInfoKind.Object => "an object { … }",
        JsonTypeInfoKind.Enumerable => "a list [ … ]",
        JsonTypeInfoKind.Dictionary => "an object of named entries",
        _ => ExpectedKind(Nullable.GetUnderlyingType(info.Type) ?? info.Type) is { } kind ? Describe(kind) : "a value",
    };

    private static string Describe(ScalarKind kind) => kind switch
    {
        ScalarKind.Number => "a number",
        ScalarKind.WholeNumber => "a whole number",
        ScalarKind.Boolean => "true or false",
        _ => "a string",
    };

    private static string Shorten(string text) => "\"" + (text.Length > 40 ? text[..40] + "…" : text) + "\"";

    // $.a.b for plain names, $['odd name'] for names a dotted path cannot carry.
    private static string FieldPath(string parent, string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? $"{parent}.{name}" : $"{parent}['{name.Replace("'", "\\'", StringComparison.Ordinal)}']";

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}

/// <summary>
/// What <see cref="ConfigShapeChecker.Inspect"/> found: every error (capped), and those among them that are values
/// outside their closed set. When they are all of that kind the document binds, and the validator places them.
/// </summary>
public sealed record ConfigShapeReport(IReadOnlyList<ConfigError> Errors, IReadOnlyList<ConfigError> BadValues)
{
    public bool Bindable => Errors.Count == BadValues.Count;
}
