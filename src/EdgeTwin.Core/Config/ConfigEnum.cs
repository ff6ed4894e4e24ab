using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeTwin.Core.Config;

/// <summary>
/// The JSON names of a closed set of config values (a mode, a policy), matched exactly as written. A value read
/// from JSON that is none of them binds as <see cref="Undefined"/>; the shape checker has already reported it.
/// </summary>
public sealed class ConfigEnumNames<T> where T : struct, Enum
{
    private readonly (T Value, string Name)[] _names;

    public ConfigEnumNames(params (T Value, string Name)[] names)
    {
        _names = names;
        Allowed = Join(names.Select(n => n.Name).ToArray());
    }

    /// <summary>What an unknown name binds to: all bits set, which no declared value uses.</summary>
    public static T Undefined
    {
        get
        {
            var allOnes = ulong.MaxValue;
            return Unsafe.As<ulong, T>(ref allOnes);
        }
    }

    /// <summary>The names as a technician reads them: <c>"block" or "dropOldest"</c>.</summary>
    public string Allowed { get; }

    public IEnumerable<string> Names => _names.Select(n => n.Name);

    public bool TryParse(string text, out T value)
    {
        foreach (var (v, name) in _names)
        {
            if (string.Equals(name, text, StringComparison.Ordinal))
            {
                value = v;
                return true;
            }
        }
        value = Undefined;
        return false;
    }

    public bool IsDefined(T value) => Array.Exists(_names, n => EqualityComparer<T>.Default.Equals(n.Value, value));

    /// <summary>The JSON name of a declared value.</summary>
    public string NameOf(T value)
    {
        foreach (var (v, name) in _names)
        {
            if (EqualityComparer<T>.Default.Equals(v, value)) return name;
        }
        throw new ArgumentOutOfRangeException(nameof(value), value, $"not one of {Allowed}");
    }

    private static string Join(string[] names) =>
        names.Length == 1 ? $"\"{names[0]}\"" : string.Join(", ", names[..^1].Select(n => $"\"{n}\"")) + $" or \"{names[^1]}\"";
}

/// <summary>What the shape checker asks of an enum's converter: is this text one of its names, and which are they.</summary>
public interface IConfigEnumConverter
{
    bool IsName(string text);

    string Allowed { get; }
}

/// <summary>
/// Reads and writes a config enum by its JSON names (source-generated JSON, no reflection): exact names only, no
/// numbers. Declare one per enum (<c>[JsonConverter(typeof(…))]</c> on the enum) with its <see cref="ConfigEnumNames{T}"/>.
/// </summary>
public abstract class ConfigEnumConverter<T>(ConfigEnumNames<T> names) : JsonConverter<T>, IConfigEnumConverter
    where T : struct, Enum
{
    public string Allowed => names.Allowed;

    public bool IsName(string text) => names.TryParse(text, out _);

    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException($"expected {names.Allowed}");
        names.TryParse(reader.GetString()!, out var value);
        return value;
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteStringValue(names.IsDefined(value) ? names.NameOf(value) : "?");
}
