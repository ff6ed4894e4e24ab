using System.Globalization;

namespace EdgeTwin.Core.Telemetry;

public enum PointValueKind : byte
{
    /// <summary>No value: only valid on a raw reading, never on a canonical point.</summary>
    None = 0,
    Number = 1,
    Boolean = 2,
    String = 3,

    /// <summary>An array or matrix of numbers, booleans or strings (<see cref="ArrayValue"/>); wire schema 1.1.</summary>
    Array = 4,

    /// <summary>A structure as a JSON object, or an array of structures as a JSON array of objects; wire schema 1.1.</summary>
    Structure = 5,
}

/// <summary>
/// A point's value: a number (IEEE double), a boolean, a string, an array (<see cref="ArrayValue"/>) or a structure
/// (its JSON text). Allocation-free for numbers and booleans. Scalars travel in wire schema 1.0, arrays and
/// structures in 1.1 (<see cref="WireVersion"/>).
/// </summary>
public readonly struct PointValue : IEquatable<PointValue>
{
    private readonly double _number;
    private readonly object? _ref;

    private PointValue(PointValueKind kind, double number, object? reference)
    {
        Kind = kind;
        _number = number;
        _ref = reference;
    }

    public PointValueKind Kind { get; }

    /// <summary>The value's parts, for a holder that keeps them apart (a series' shadow packs the kind beside its other bytes).</summary>
    internal double RawNumber => _number;

    internal object? RawReference => _ref;

    internal static PointValue FromParts(PointValueKind kind, double number, object? reference) => new(kind, number, reference);

    public static PointValue None => default;

    public static PointValue FromNumber(double value) => new(PointValueKind.Number, value, null);

    public static PointValue FromBoolean(bool value) => new(PointValueKind.Boolean, value ? 1 : 0, null);

    public static PointValue FromString(string value) => new(PointValueKind.String, 0, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>An enumeration's value with the name the server gives it: written as the number, the name as tag <c>enum</c> (wire 1.1).</summary>
    public static PointValue FromNumber(double value, string? enumName) => new(PointValueKind.Number, value, enumName);

    /// <summary>A text with its locale (an OPC UA LocalizedText): the locale travels as tag <c>locale</c> (wire 1.1).</summary>
    public static PointValue FromString(string value, string? locale) =>
        locale is null ? FromString(value) : new(PointValueKind.String, 0, new LocalizedString(value ?? throw new ArgumentNullException(nameof(value)), locale));

    public static PointValue FromArray(ArrayValue value) => new(PointValueKind.Array, 0, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>A structure: <paramref name="json"/> is compact JSON text of an object (or an array of objects), written by the caller.</summary>
    public static PointValue FromStructure(string json) => new(PointValueKind.Structure, 0, json ?? throw new ArgumentNullException(nameof(json)));

    public double Number => Kind == PointValueKind.Number ? _number : throw new InvalidOperationException($"value is {Kind}, not a number");

    public bool Boolean => Kind == PointValueKind.Boolean ? _number != 0 : throw new InvalidOperationException($"value is {Kind}, not a boolean");

    public string Text => Kind == PointValueKind.String
        ? _ref as string ?? ((LocalizedString)_ref!).Text
        : throw new InvalidOperationException($"value is {Kind}, not a string");

    /// <summary>
    /// The per-point tag a scalar carries, if any: <c>enum</c> with an enumeration value's name, or <c>locale</c> with a
    /// text's locale. A tagged scalar travels in wire schema 1.1, the tag inside "tags" beside the series' own.
    /// </summary>
    public KeyValuePair<string, string>? Tag => Kind switch
    {
        PointValueKind.Number when _ref is string name => new("enum", name),
        PointValueKind.String when _ref is LocalizedString l => new("locale", l.Locale),
        _ => null,
    };

    public ArrayValue Array => Kind == PointValueKind.Array ? (ArrayValue)_ref! : throw new InvalidOperationException($"value is {Kind}, not an array");

    /// <summary>A structure's JSON text (an object, or an array of objects).</summary>
    public string StructureJson => Kind == PointValueKind.Structure ? (string)_ref! : throw new InvalidOperationException($"value is {Kind}, not a structure");

    /// <summary>True for a number that is NaN or infinite (or an array holding one): such a reading is quarantined, never forwarded.</summary>
    public bool IsNonFinite => Kind switch
    {
        PointValueKind.Number => !double.IsFinite(_number),
        PointValueKind.Array => ((ArrayValue)_ref!).HasNonFinite,
        _ => false,
    };

    /// <summary>
    /// True for an array, a structure or a tagged scalar: a value of wire schema 1.1, stored with its payload
    /// (<see cref="PointValueCodec"/>) wherever it is kept, so the tag is never lost.
    /// </summary>
    public bool IsExtended => Kind is PointValueKind.Array or PointValueKind.Structure || (Kind == PointValueKind.Number ? _ref is not null : _ref is LocalizedString);

    /// <summary>The wire schema version that carries this value: "1.0" for scalars, "1.1" for extended values (<see cref="IsExtended"/>).</summary>
    public string WireVersion => IsExtended ? "1.1" : "1.0";

    public bool Equals(PointValue other) => Kind == other.Kind && Kind switch
    {
        PointValueKind.String => string.Equals(Text, other.Text, StringComparison.Ordinal) && Nullable.Equals(Tag, other.Tag),
        PointValueKind.Structure => string.Equals((string?)_ref, (string?)other._ref, StringComparison.Ordinal),
        PointValueKind.Array => ((ArrayValue)_ref!).Equals((ArrayValue?)other._ref),
        PointValueKind.None => true,
        _ => _number.Equals(other._number) && string.Equals(_ref as string, other._ref as string, StringComparison.Ordinal),
    };

    public override bool Equals(object? obj) => obj is PointValue other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Kind, _number, _ref);

    public static bool operator ==(PointValue left, PointValue right) => left.Equals(right);

    public static bool operator !=(PointValue left, PointValue right) => !left.Equals(right);

    public override string ToString() => Kind switch
    {
        PointValueKind.Number => _number.ToString("R", CultureInfo.InvariantCulture),
        PointValueKind.Boolean => _number != 0 ? "true" : "false",
        PointValueKind.String => Text,
        PointValueKind.Structure => (string)_ref!,
        PointValueKind.Array => _ref!.ToString()!,
        _ => "(none)",
    };
}

internal sealed record LocalizedString(string Text, string Locale);
