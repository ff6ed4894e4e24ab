using System.Buffers;
using System.Buffers.Binary;
using EdgeTwin.Core.IO;

namespace EdgeTwin.Storage;

/// <summary>
/// The dedup/shadow snapshot, in its own file beside the database: written whole to <c>state.snap.tmp</c>,
/// fsync'd, renamed over <c>state.snap</c>, and the directory fsync'd, so a crash leaves either the old
/// snapshot or the new one. It streams through a small buffer: with 10,000 series a snapshot is megabytes,
/// and neither the database's page cache nor the heap needs to hold it.
/// <code>
/// header  0  magic "ETD1"                      4 bytes
///         4  covers segments up to (id)        i64 LE
///        12  written at (UTC ticks)            i64 LE
///        20  payload length                    i64 LE
///        28  CRC-32 of the payload             u32 LE
///        32  payload (DedupIndex.WriteSnapshot)
/// </code>
/// </summary>
internal sealed class SnapshotFile
{
    public const string FileName = "state.snap";
    private const int HeaderSize = 32;
    private static ReadOnlySpan<byte> Magic => "ETD1"u8;

    private readonly string _directory;
    private readonly DirectorySync _sync;

    public SnapshotFile(string directory)
    {
        _directory = directory;
        _sync = new DirectorySync(directory);
    }

    public string Path => System.IO.Path.Combine(_directory, FileName);

    /// <summary>Writes a snapshot covering segments up to <paramref name="upTo"/>; durable when this returns.</summary>
    public void Write(long upTo, long atTicks, Action<IBufferWriter<byte>> payload)
    {
        var temp = Path + ".tmp";
        try
        {
            WriteTemp(temp, upTo, atTicks, payload);
        }
        catch
        {
            // A partial snapshot only takes disk space (the queue may be short of it).
            try { System.IO.File.Delete(temp); } catch (IOException) { }
            throw;
        }
        System.IO.File.Move(temp, Path, overwrite: true);
        _sync.Flush();
    }

    private static void WriteTemp(string temp, long upTo, long atTicks, Action<IBufferWriter<byte>> payload)
    {
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize: 0))
        {
            var writer = new FileBufferWriter(stream, HeaderSize);
            try
            {
                payload(writer);
                writer.Flush();
            }
            finally
            {
                writer.Dispose();
            }
            Span<byte> header = stackalloc byte[HeaderSize];
            Magic.CopyTo(header);
            BinaryPrimitives.WriteInt64LittleEndian(header[4..], upTo);
            BinaryPrimitives.WriteInt64LittleEndian(header[12..], atTicks);
            BinaryPrimitives.WriteInt64LittleEndian(header[20..], writer.Written);
            BinaryPrimitives.WriteUInt32LittleEndian(header[28..], writer.Crc);
            RandomAccess.Write(stream.SafeFileHandle, header, 0);
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>
    /// The last snapshot, or null when there is none: what it covers, and its file positioned at the payload (the
    /// caller disposes it) with the payload's length. The payload's CRC is checked first, reading through a small
    /// buffer (at a million series the payload is tens of MB, which the heap need not hold), so a damaged snapshot
    /// throws <see cref="InvalidDataException"/> here, before anything is restored from it.
    /// </summary>
    public (long UpTo, Stream Payload, long Length)? Open()
    {
        if (!System.IO.File.Exists(Path)) return null;
        var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        try
        {
            Span<byte> header = stackalloc byte[HeaderSize];
            var size = file.Length;
            if (size < HeaderSize) throw new InvalidDataException($"{Path} is {size} bytes, shorter than its {HeaderSize}-byte header");
            file.ReadExactly(header);
            if (!header[..4].SequenceEqual(Magic)) throw new InvalidDataException($"{Path}: magic is {Convert.ToHexString(header[..4])}, not ETD1 (byte offset 0)");
            var upTo = BinaryPrimitives.ReadInt64LittleEndian(header[4..]);
            var length = BinaryPrimitives.ReadInt64LittleEndian(header[20..]);
            if (length != size - HeaderSize) throw new InvalidDataException($"{Path}: header says {length} payload bytes, {size - HeaderSize} present (byte offset 20)");
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[28..]);
            if (crc != PayloadCrc(file, length)) throw new InvalidDataException($"{Path}: payload CRC mismatch (header at byte offset 28)");
            file.Position = HeaderSize;
            return (upTo, file, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static uint PayloadCrc(FileStream file, long length)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            uint crc = 0;
            for (var left = length; left > 0;)
            {
                var read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read == 0) throw new InvalidDataException($"{file.Name}: ended {left} bytes before its payload's end");
                crc = Crc32.Append(crc, buffer.AsSpan(0, read));
                left -= read;
            }
            return crc;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Removes the snapshot (the queue it described was moved aside).</summary>
    public void Delete()
    {
        System.IO.File.Delete(Path);
        System.IO.File.Delete(Path + ".tmp");
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> that writes through a pooled buffer to a file, keeping a running CRC.</summary>
    private sealed class FileBufferWriter(FileStream stream, long start) : IBufferWriter<byte>, IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        private int _used;
        private long _position = start;

        public long Written { get; private set; }

        public uint Crc { get; private set; }

        public void Advance(int count) => _used += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsMemory(_used);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsSpan(_used);
        }

        private void Ensure(int sizeHint)
        {
            var need = Math.Max(sizeHint, 1);
            if (_buffer.Length - _used >= need) return;
            Flush();
            if (_buffer.Length < need)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(need);
            }
        }

        public void Flush()
        {
            if (_used == 0) return;
            var chunk = _buffer.AsSpan(0, _used);
            RandomAccess.Write(stream.SafeFileHandle, chunk, _position);
            Crc = Crc32.Append(Crc, chunk);
            _position += _used;
            Written += _used;
            _used = 0;
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
