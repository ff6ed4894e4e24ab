using System.Buffers;
using System.Buffers.Text;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Wire;

// Schema 1.1 values: arrays (flat, with "dimensions" for a matrix) and structures (their JSON text, copied).
public sealed partial class WirePointWriter
{
    /// <summary>Writes <c>[e0,e1,...]</c> and, for a matrix, <c>,"dimensions":[d0,d1,...]</c>; elements are flattened row-major.</summary>
    private static void WriteArray(ArrayValue array, IBufferWriter<byte> output)
    {
        output.GetSpan(1)[0] = (byte)'[';
        output.Advance(1);
        for (var i = 0; i < array.Length; i++)
        {
            if (i > 0)
            {
                output.GetSpan(1)[0] = (byte)',';
                output.Advance(1);
            }
            switch (array.ElementKind)
            {
                case PointValueKind.Number:
                    var span = output.GetSpan(32);
                    if (!Utf8Formatter.TryFormat(array.Numbers()[i], span, out var written)) throw new InvalidOperationException("number did not fit");
                    output.Advance(written);
                    break;
                case PointValueKind.Boolean:
                    var text = array.Booleans()[i] ? "true"u8 : "false"u8;
                    text.CopyTo(output.GetSpan(5));
                    output.Advance(text.Length);
                    break;
                default:
                    WriteJsonString(array.Strings()[i], output);
                    break;
            }
        }
        output.GetSpan(1)[0] = (byte)']';
        output.Advance(1);
        if (array.Dimensions is { } dimensions)
        {
            var span = output.GetSpan(16 + 12 * dimensions.Length);
            var n = Literal(",\"dimensions\":[", span);
            for (var i = 0; i < dimensions.Length; i++)
            {
                if (i > 0) span[n++] = (byte)',';
                Utf8Formatter.TryFormat(dimensions[i], span[n..], out var written);
                n += written;
            }
            span[n++] = (byte)']';
            output.Advance(n);
        }
    }

    private static void WriteUtf8(string json, IBufferWriter<byte> output)
    {
        var length = System.Text.Encoding.UTF8.GetByteCount(json);
        System.Text.Encoding.UTF8.GetBytes(json, output.GetSpan(length));
        output.Advance(length);
    }
}
