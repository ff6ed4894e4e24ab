using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeTwin.Core.Config;

/// <summary>
/// The JSON names of a closed set of config values (a mode, a policy), matched exactly as written. A value read
/// from JSON that is none of them binds as <see cref="Undefined"/>; the shape checker has already reported it.
/// </summary>
public sealed class ConfigEnumNames<T> : IConfigEnumConverter where T : struct, Enum
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

    public bool IsName(string text) => TryParse(text, out _);

    /// <summary>The value a JSON text names, or <see cref="Undefined"/> when it names none.</summary>
    public T Parse(string text)
    {
        TryParse(text, out var value);
        return value;
    }

    /// <summary>The JSON text of a value; <c>?</c> for one outside the set (which only a bad file binds).</summary>
    public string Text(T value) => IsDefined(value) ? NameOf(value) : "?";

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

/// <summary>What the shape checker asks of a config key with a closed set of names: is this text one of them, and which are they.</summary>
public interface IConfigEnumConverter
{
    bool IsName(string text);

    string Allowed { get; }
}

/// <summary>
/// Binds a closed-set config key (a mode, a policy) as its JSON text. The key is a string property carrying this
/// converter (<c>[JsonConverter(typeof(…))]</c>), with the enum beside it as a <c>[JsonIgnore]</c> property that
/// parses the text through its <see cref="ConfigEnumNames{T}"/>. The enum itself never meets System.Text.Json:
/// metadata for a value type is native code of its own in the AOT binary, about 20 KB per enum, while every string
/// key shares one. The shape checker finds the names here and reports a text outside them with its position.
/// </summary>
public abstract class ConfigEnumConverter(IConfigEnumConverter names) : JsonConverter<string>, IConfigEnumConverter
{
    public string Allowed => names.Allowed;

    public bool IsName(string text) => names.IsName(text);

    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException($"expected {names.Allowed}");

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
