using System.Globalization;

namespace EdgeTwin.Core.Telemetry;

/// <summary>
/// An array value: numbers, booleans or strings, one-dimensional or a matrix. A matrix is its elements flattened in
/// row-major order (the last index varies fastest, as OPC UA encodes it) plus <see cref="Dimensions"/>, whose product
/// is <see cref="Length"/>. Immutable once built: the arrays passed in are owned by the value.
/// </summary>
public sealed class ArrayValue : IEquatable<ArrayValue>
{
    private readonly double[]? _numbers;
    private readonly bool[]? _booleans;
    private readonly string[]? _strings;

    private ArrayValue(PointValueKind elementKind, double[]? numbers, bool[]? booleans, string[]? strings, int length, int[]? dimensions)
    {
        if (dimensions is not null)
        {
            if (dimensions.Length < 2) throw new ArgumentException("a matrix has at least two dimensions; a one-dimensional array has none", nameof(dimensions));
            long product = 1;
            foreach (var d in dimensions)
            {
                if (d < 0) throw new ArgumentException("array dimensions cannot be negative", nameof(dimensions));
                product *= d;
            }
            if (product != length) throw new ArgumentException($"dimensions {string.Join('x', dimensions)} multiply to {product} but the array has {length} elements", nameof(dimensions));
        }
        ElementKind = elementKind;
        _numbers = numbers;
        _booleans = booleans;
        _strings = strings;
        Length = length;
        Dimensions = dimensions;
    }

    public static ArrayValue FromNumbers(double[] values, int[]? dimensions = null) =>
        new(PointValueKind.Number, values ?? throw new ArgumentNullException(nameof(values)), null, null, values.Length, dimensions);

    public static ArrayValue FromBooleans(bool[] values, int[]? dimensions = null) =>
        new(PointValueKind.Boolean, null, values ?? throw new ArgumentNullException(nameof(values)), null, values.Length, dimensions);

    public static ArrayValue FromStrings(string[] values, int[]? dimensions = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (System.Array.IndexOf(values, null) is var i and >= 0) throw new ArgumentException($"element [{i}] is null", nameof(values));
        return new(PointValueKind.String, null, null, values, values.Length, dimensions);
    }

    /// <summary>Number, Boolean or String.</summary>
    public PointValueKind ElementKind { get; }

    public int Length { get; }

    /// <summary>A matrix's dimensions, highest rank first; null for a one-dimensional array.</summary>
    public int[]? Dimensions { get; }

    // Methods, not properties: a span property would stop JSON source generation for any type that holds a value.
    public ReadOnlySpan<double> Numbers() => ElementKind == PointValueKind.Number ? _numbers : throw Mismatch(PointValueKind.Number);

    public ReadOnlySpan<bool> Booleans() => ElementKind == PointValueKind.Boolean ? _booleans : throw Mismatch(PointValueKind.Boolean);

    public ReadOnlySpan<string> Strings() => ElementKind == PointValueKind.String ? _strings : throw Mismatch(PointValueKind.String);

    public bool HasNonFinite
    {
        get
        {
            if (_numbers is null) return false;
            foreach (var n in _numbers)
            {
                if (!double.IsFinite(n)) return true;
            }
            return false;
        }
    }

    /// <summary>One element, flattened index, as a scalar value.</summary>
    public PointValue this[int index] => ElementKind switch
    {
        PointValueKind.Number => PointValue.FromNumber(_numbers![index]),
        PointValueKind.Boolean => PointValue.FromBoolean(_booleans![index]),
        _ => PointValue.FromString(_strings![index]),
    };

    /// <summary>The same array with every number as <paramref name="scale"/> × n + <paramref name="offset"/>; other kinds unchanged.</summary>
    public ArrayValue Scaled(double scale, double offset)
    {
        if (_numbers is null) return this;
        var scaled = new double[_numbers.Length];
        for (var i = 0; i < scaled.Length; i++) scaled[i] = _numbers[i] * scale + offset;
        return FromNumbers(scaled, Dimensions);
    }

    public bool Equals(ArrayValue? other) =>
        other is not null && ElementKind == other.ElementKind && Length == other.Length
        && (Dimensions ?? []).AsSpan().SequenceEqual(other.Dimensions ?? [])
        && ElementKind switch
        {
            // Bitwise for numbers: an exact repeat of a waveform compares equal, NaN included.
            PointValueKind.Number => System.Runtime.InteropServices.MemoryMarshal.AsBytes(_numbers.AsSpan()).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(other._numbers.AsSpan())),
            PointValueKind.Boolean => _booleans.AsSpan().SequenceEqual(other._booleans),
            _ => _strings.AsSpan().SequenceEqual(other._strings),
        };

    public override bool Equals(object? obj) => Equals(obj as ArrayValue);

    public override int GetHashCode() => HashCode.Combine(ElementKind, Length, Length > 0 ? this[0].GetHashCode() : 0);

    public override string ToString() =>
        $"{ElementKind}[{(Dimensions is null ? Length.ToString(CultureInfo.InvariantCulture) : string.Join('x', Dimensions))}]";

    private InvalidOperationException Mismatch(PointValueKind wanted) => new($"the array holds {ElementKind} elements, not {wanted}");
}
