using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Dedup;

// The snapshot's and the records' byte layout (DedupIndex.WriteSnapshot): a writer to a buffer, and a reader over a
// span or, through a small buffer, a stream.
public sealed partial class DedupIndex
{
    private ref struct SpanWriter(IBufferWriter<byte> output)
    {
        private readonly IBufferWriter<byte> _output = output;

        public void U8(byte v) { _output.GetSpan(1)[0] = v; _output.Advance(1); }

        public void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_output.GetSpan(4), v); _output.Advance(4); }

        public void I32(int v) { BinaryPrimitives.WriteInt32LittleEndian(_output.GetSpan(4), v); _output.Advance(4); }

        public void I64(long v) { BinaryPrimitives.WriteInt64LittleEndian(_output.GetSpan(8), v); _output.Advance(8); }

        public void Str(string s)
        {
            var n = Encoding.UTF8.GetByteCount(s);
            I32(n);
            Encoding.UTF8.GetBytes(s, _output.GetSpan(n));
            _output.Advance(n);
        }

        public void Value(PointValue v)
        {
            if (v.IsExtended)
            {
                // An array, a structure or a tagged scalar: its kind with the payload flag, then the codec's payload.
                U8((byte)((byte)v.Kind | ExtendedValue));
                var payload = new ArrayBufferWriter<byte>();
                PointValueCodec.Write(v, payload);
                I32(payload.WrittenCount);
                payload.WrittenSpan.CopyTo(_output.GetSpan(payload.WrittenCount));
                _output.Advance(payload.WrittenCount);
                return;
            }
            U8((byte)v.Kind);
            switch (v.Kind)
            {
                case PointValueKind.Number: I64(BitConverter.DoubleToInt64Bits(v.Number)); break;
                case PointValueKind.Boolean: U8(v.Boolean ? (byte)1 : (byte)0); break;
                case PointValueKind.String: Str(v.Text); break;
            }
        }
    }

    private ref struct SpanReader
    {
        private readonly ChunkSource? _source;
        private ReadOnlySpan<byte> _data;
        private int _pos;
        private long _base; // the offset of _data[0] in the whole input

        public SpanReader(ReadOnlySpan<byte> data) => _data = data;

        public SpanReader(ChunkSource source)
        {
            _source = source;
            _data = [];
        }

        public readonly long Offset => _base + _pos;

        /// <summary>The next <paramref name="n"/> bytes, valid until the next call.</summary>
        private ReadOnlySpan<byte> Take(int n)
        {
            // Compared as a remainder: _pos + n overflows for a corrupt length near int.MaxValue.
            if (n < 0 || (n > _data.Length - _pos && _source is null)) throw new InvalidDataException($"dedup snapshot: truncated at offset {Offset} (wanted {n} bytes)");
            if (n > _data.Length - _pos)
            {
                _data = _source!.Refill(_pos, n, Offset);
                _base += _pos;
                _pos = 0;
            }
            var s = _data.Slice(_pos, n);
            _pos += n;
            return s;
        }

        public byte U8() => Take(1)[0];

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public string Str() => Encoding.UTF8.GetString(Take(I32()));

        /// <summary>A length-prefixed UTF-8 text's bytes, valid until the next read.</summary>
        public ReadOnlySpan<byte> Utf8() => Take(I32());

        private PointValue Payload(PointValueKind kind)
        {
            var at = _pos;
            var payload = Take(I32());
            var pos = 0;
            try
            {
                return PointValueCodec.Read(kind, payload, ref pos);
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"dedup snapshot: value at offset {at}: {ex.Message}", ex);
            }
        }

        public PointValue Value()
        {
            var kind = U8();
            return kind switch
            {
                (byte)PointValueKind.Number => PointValue.FromNumber(BitConverter.Int64BitsToDouble(I64())),
                (byte)PointValueKind.Boolean => PointValue.FromBoolean(U8() != 0),
                (byte)PointValueKind.String => PointValue.FromString(Str()),
                ExtendedValue | (byte)PointValueKind.Number or ExtendedValue | (byte)PointValueKind.String
                    or ExtendedValue | (byte)PointValueKind.Array or ExtendedValue | (byte)PointValueKind.Structure => Payload((PointValueKind)(kind & ~ExtendedValue)),
                _ => throw new InvalidDataException($"dedup snapshot: unknown value kind {kind} at offset {_pos - 1}"),
            };
        }
    }

    /// <summary>A stream's next bytes through a pooled buffer, for <see cref="SpanReader"/>.</summary>
    private sealed class ChunkSource(Stream stream, long length) : IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        private int _start;
        private int _end;
        private long _unread = length;

        /// <summary>
        /// The bytes from <paramref name="consumed"/> on in the span last returned, and more: at least
        /// <paramref name="need"/>. Throws <see cref="InvalidDataException"/> when the input has fewer.
        /// </summary>
        public ReadOnlySpan<byte> Refill(int consumed, int need, long offset)
        {
            _start += consumed;
            var kept = _end - _start;
            if (need > kept + _unread) throw new InvalidDataException($"dedup snapshot: truncated at offset {offset} (wanted {need} bytes)");
            if (need > _buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(need);
                _buffer.AsSpan(_start, kept).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
            else
            {
                _buffer.AsSpan(_start, kept).CopyTo(_buffer);
            }
            _start = 0;
            _end = kept;
            var room = (int)Math.Min(_buffer.Length - _end, _unread);
            var read = stream.ReadAtLeast(_buffer.AsSpan(_end, room), need - kept, throwOnEndOfStream: false);
            _end += read;
            _unread -= read;
            if (_end < need) throw new InvalidDataException($"dedup snapshot: truncated at offset {offset + (_end - kept)} (the input ended early)");
            return _buffer.AsSpan(0, _end);
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
