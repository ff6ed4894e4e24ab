using System.Globalization;

namespace EdgeTwin.Core.Telemetry;

public enum PointValueKind : byte
{
    /// <summary>No value: only valid on a raw reading, never on a canonical point.</summary>
    None = 0,
    Number = 1,
    Boolean = 2,
    String = 3,
}

/// <summary>A point's value: a number (IEEE double), a boolean or a string. Allocation-free for numbers and booleans.</summary>
public readonly struct PointValue : IEquatable<PointValue>
{
    private readonly double _number;
    private readonly string? _text;

    private PointValue(PointValueKind kind, double number, string? text)
    {
        Kind = kind;
        _number = number;
        _text = text;
    }

    public PointValueKind Kind { get; }

    public static PointValue None => default;

    public static PointValue FromNumber(double value) => new(PointValueKind.Number, value, null);

    public static PointValue FromBoolean(bool value) => new(PointValueKind.Boolean, value ? 1 : 0, null);

    public static PointValue FromString(string value) => new(PointValueKind.String, 0, value ?? throw new ArgumentNullException(nameof(value)));

    public double Number => Kind == PointValueKind.Number ? _number : throw new InvalidOperationException($"value is {Kind}, not a number");

    public bool Boolean => Kind == PointValueKind.Boolean ? _number != 0 : throw new InvalidOperationException($"value is {Kind}, not a boolean");

    public string Text => Kind == PointValueKind.String ? _text! : throw new InvalidOperationException($"value is {Kind}, not a string");

    /// <summary>True for a number that is NaN or infinite: such a reading is quarantined, never forwarded.</summary>
    public bool IsNonFinite => Kind == PointValueKind.Number && !double.IsFinite(_number);

    public bool Equals(PointValue other) => Kind == other.Kind && Kind switch
    {
        PointValueKind.String => string.Equals(_text, other._text, StringComparison.Ordinal),
        PointValueKind.None => true,
        _ => _number.Equals(other._number),
    };

    public override bool Equals(object? obj) => obj is PointValue other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Kind, _number, _text);

    public static bool operator ==(PointValue left, PointValue right) => left.Equals(right);

    public static bool operator !=(PointValue left, PointValue right) => !left.Equals(right);

    public override string ToString() => Kind switch
    {
        PointValueKind.Number => _number.ToString("R", CultureInfo.InvariantCulture),
        PointValueKind.Boolean => _number != 0 ? "true" : "false",
        PointValueKind.String => _text!,
        _ => "(none)",
    };
}
