using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Gateway.Api;

/// <summary>
/// A value as JSON: a number, a boolean, a string, an array (flat, as on the wire) or a structure's object. A quarantined reading may hold a number
/// JSON cannot carry (NaN, ±Infinity): it is written as that text. No value is null. Write-only.
/// </summary>
public sealed class PointValueJsonConverter : JsonConverter<PointValue>
{
    public override bool HandleNull => false;

    public override PointValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("the API only writes values");

    public override void Write(Utf8JsonWriter writer, PointValue value, JsonSerializerOptions options)
    {
        switch (value.Kind)
        {
            case PointValueKind.Number:
                var n = value.Number;
                if (double.IsFinite(n)) writer.WriteNumberValue(n);
                else writer.WriteStringValue(n.ToString(CultureInfo.InvariantCulture));
                break;
            case PointValueKind.Boolean:
                writer.WriteBooleanValue(value.Boolean);
                break;
            case PointValueKind.String:
                writer.WriteStringValue(value.Text);
                break;
            case PointValueKind.Array:
                Core.Wire.WireValues.WriteArray(writer, value.Array);
                break;
            case PointValueKind.Structure:
                writer.WriteRawValue(value.StructureJson, skipInputValidation: true);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
