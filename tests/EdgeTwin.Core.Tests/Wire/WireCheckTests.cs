using System.Buffers;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Core.Wire;

namespace EdgeTwin.Core.Tests.Wire;

public sealed class WireCheckTests
{
    private static readonly StreamDescriptor Stream = new("line-1", "pressure", "sim:p");
    private static readonly long Ts = new DateTime(2026, 11, 24, 3, 0, 0, DateTimeKind.Utc).Ticks;

    public static TheoryData<string, PointValue> Writable => new()
    {
        { "number", PointValue.FromNumber(42.12) },
        { "negative zero", PointValue.FromNumber(-0.0) },
        { "largest double", PointValue.FromNumber(double.MaxValue) },
        { "boolean", PointValue.FromBoolean(true) },
        { "empty string", PointValue.FromString("") },
    };

    [Theory]
    [MemberData(nameof(Writable))]
    public void Unwritable_ValueJsonCanCarry_IsNullAndTheWriterWritesIt(string label, PointValue value)
    {
        var point = new TelemetryPoint(Stream, Ts, value, Quality.Good, 0);

        Assert.True(WireCheck.Unwritable(point) is null, label);
        var output = new ArrayBufferWriter<byte>();
        new WirePointWriter("gw-7").Write(point, output);
        Assert.True(output.WrittenCount > 0, label);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Unwritable_NonFiniteNumber_SaysJsonCannotCarryIt(double value)
    {
        var reason = WireCheck.Unwritable(new TelemetryPoint(Stream, Ts, PointValue.FromNumber(value), Quality.Good, 0));

        Assert.Equal("value is NaN or infinite, which JSON cannot carry", reason);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Unwritable_ArrayWithANonFiniteElement_SaysJsonCannotCarryIt(double value)
    {
        var array = PointValue.FromArray(ArrayValue.FromNumbers([1.5, value, 3]));

        Assert.Equal("an array element is NaN or infinite, which JSON cannot carry", WireCheck.Unwritable(new TelemetryPoint(Stream, Ts, array, Quality.Good, 0)));
        Assert.Null(WireCheck.Unwritable(new TelemetryPoint(Stream, Ts, PointValue.FromArray(ArrayValue.FromNumbers([1.5, 2, 3])), Quality.Good, 0)));
    }

    [Fact]
    public void Unwritable_NoValue_SaysSo() =>
        Assert.Equal("point has no value", WireCheck.Unwritable(new TelemetryPoint(Stream, Ts, PointValue.None, Quality.Good, 0)));

    [Fact]
    public void Unwritable_NoStream_SaysSoBeforeLookingAtTheValue() =>
        Assert.Equal("point has no stream", WireCheck.Unwritable(default));
}
