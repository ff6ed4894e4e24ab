using System.Globalization;
using System.Text.Json;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Wire;

/// <summary>Array values through a <see cref="Utf8JsonWriter"/>, for the API and the CLI (the wire has its own writer).</summary>
public static class WireValues
{
    /// <summary>The elements as a flat JSON array; a number JSON cannot carry (in a quarantined reading) as its text.</summary>
    public static void WriteArray(Utf8JsonWriter writer, ArrayValue array)
    {
        writer.WriteStartArray();
        for (var i = 0; i < array.Length; i++)
        {
            switch (array.ElementKind)
            {
                case PointValueKind.Number:
                    var n = array.Numbers()[i];
                    if (double.IsFinite(n)) writer.WriteNumberValue(n);
                    else writer.WriteStringValue(n.ToString(CultureInfo.InvariantCulture));
                    break;
                case PointValueKind.Boolean:
                    writer.WriteBooleanValue(array.Booleans()[i]);
                    break;
                default:
                    writer.WriteStringValue(array.Strings()[i]);
                    break;
            }
        }
        writer.WriteEndArray();
    }
}
