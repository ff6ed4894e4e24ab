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
        // One loop per element kind: the kind is the array's, not each element's.
        switch (array.ElementKind)
        {
            case PointValueKind.Number:
                var numbers = array.Numbers();
                for (var i = 0; i < numbers.Length; i++)
                {
                    var span = output.GetSpan(33);
                    var n = 0;
                    if (i > 0) span[n++] = (byte)',';
                    if (!Utf8Formatter.TryFormat(numbers[i], span[n..], out var written)) throw new InvalidOperationException("number did not fit");
                    output.Advance(n + written);
                }
                break;
            case PointValueKind.Boolean:
                var booleans = array.Booleans();
                for (var i = 0; i < booleans.Length; i++)
                {
                    var span = output.GetSpan(6);
                    var n = 0;
                    if (i > 0) span[n++] = (byte)',';
                    var text = booleans[i] ? "true"u8 : "false"u8;
                    text.CopyTo(span[n..]);
                    output.Advance(n + text.Length);
                }
                break;
            default:
                var strings = array.Strings();
                for (var i = 0; i < strings.Length; i++)
                {
                    if (i > 0)
                    {
                        output.GetSpan(1)[0] = (byte)',';
                        output.Advance(1);
                    }
                    WriteJsonString(strings[i], output);
                }
                break;
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
