using System.Buffers.Binary;
using System.Globalization;
using EdgeTwin.Core.IO;

namespace EdgeTwin.Storage;

/// <summary>Where a segment's blob lies: file number, byte offset of the blob (after its frame header), length.</summary>
internal readonly record struct SegmentLocation(int File, long Offset, int Length);

/// <summary>
/// The queue's segment blobs, in append-only files under <c>segments/</c> (named by an increasing number,
/// rolled over at <see cref="QueueOptions.SegmentFileBytes"/>). LiteDB keeps only where each segment lies, so
/// its page cache — which grows in extents it never gives back — sees a few small documents per commit
/// instead of every point.
/// <para>
/// A blob is appended and fsync'd before the transaction that records it commits: a recorded segment is always
/// on disk. A crash between the two leaves bytes no document refers to; <see cref="FinishRecovery"/> cuts them
/// off. A file is deleted once none of its segments is queued any more.
/// </para>
/// <code>
/// frame   0  magic "ETF1"          4 bytes
///         4  blob length           u32 LE
///         8  segment id            i64 LE
///        16  CRC-32 of bytes 0-15  u32 LE
///        20  blob (SegmentCodec, with its own header and CRC)
/// </code>
/// Thread model: the queue calls every member under its own lock.
/// </summary>
internal sealed class SegmentLog : IDisposable
{
    public const string FolderName = "segments";
    public const int FrameHeaderSize = 20;
    private const string Extension = ".seg";
    private static ReadOnlySpan<byte> Magic => "ETF1"u8;

    private readonly string _folder;
    private readonly long _maxFileBytes;
    private readonly DirectorySync _sync;
    private readonly SortedDictionary<int, LogFile> _files = [];
    private LogFile? _active;
    // Until recovery has attached every recorded segment, a file's live count says nothing.
    private bool _recovered;

    private SegmentLog(string folder, long maxFileBytes)
    {
        _folder = folder;
        _maxFileBytes = maxFileBytes;
        _sync = new DirectorySync(folder);
    }

    /// <summary>Opens every segment file in <paramref name="folder"/>; call <see cref="Attach"/> for each recorded segment, then <see cref="FinishRecovery"/>.</summary>
    public static SegmentLog Open(string folder, long maxFileBytes)
    {
        System.IO.Directory.CreateDirectory(folder);
        var log = new SegmentLog(folder, maxFileBytes);
        try
        {
            foreach (var path in System.IO.Directory.EnumerateFiles(folder, "*" + Extension))
            {
                if (!int.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var number)) continue;
                var file = new LogFile(number, path, OpenFile(path, FileMode.Open));
                log._files.Add(number, file);
            }
            return log;
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    private static FileStream OpenFile(string path, FileMode mode) =>
        new(path, mode, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess);

    /// <summary>Recovery: a recorded segment lies at <paramref name="at"/>. Throws <see cref="InvalidDataException"/> when its file cannot hold it.</summary>
    public void Attach(SegmentLocation at)
    {
        if (!_files.TryGetValue(at.File, out var file))
        {
            throw new InvalidDataException($"segment file {FileName(at.File)} is missing");
        }
        var end = at.Offset + at.Length;
        if (end > file.Length)
        {
            throw new InvalidDataException($"segment file {FileName(at.File)} is {file.Length} bytes; the segment needs bytes {at.Offset - FrameHeaderSize} to {end}");
        }
        file.Live++;
        file.RecordedEnd = Math.Max(file.RecordedEnd, end);
    }

    /// <summary>
    /// Recovery done: cuts every file back to the end of its last recorded segment (what an interrupted commit
    /// appended) and deletes files that hold no recorded segment. Returns what was cut, for the report.
    /// </summary>
    public List<string> FinishRecovery()
    {
        _recovered = true;
        var notes = new List<string>();
        foreach (var file in _files.Values.ToList())
        {
            if (file.Live == 0)
            {
                if (file.Length > 0) notes.Add($"{file.Path}: {file.Length} bytes no committed segment refers to, left by a stop that was not clean (crash, kill -9, power cut); deleted, nothing queued is lost");
                Delete(file);
                continue;
            }
            if (file.Length > file.RecordedEnd)
            {
                notes.Add($"{file.Path}: {file.Length - file.RecordedEnd} bytes after the last committed segment, left by a stop that was not clean (a commit it interrupted was never acknowledged); cut at {file.RecordedEnd}, nothing queued is lost");
                file.Stream.SetLength(file.RecordedEnd);
                file.Stream.Flush(flushToDisk: true);
                file.Length = file.RecordedEnd;
            }
        }
        return notes;
    }

    /// <summary>
    /// Appends a segment's blob and fsyncs it. The caller records the returned location in its transaction, then
    /// calls <see cref="Committed"/>, or <see cref="Abandon"/> if the transaction failed.
    /// </summary>
    public SegmentLocation Append(long segmentId, ReadOnlySpan<byte> blob)
    {
        if (_active is null || (_active.Length > 0 && _active.Length + FrameHeaderSize + blob.Length > _maxFileBytes)) Rotate();
        var file = _active!;
        var start = file.Length;
        Span<byte> header = stackalloc byte[FrameHeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)blob.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], segmentId);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], Crc32.Compute(header[..16]));
        try
        {
            RandomAccess.Write(file.Stream.SafeFileHandle, header, start);
            RandomAccess.Write(file.Stream.SafeFileHandle, blob, start + FrameHeaderSize);
            file.Stream.Flush(flushToDisk: true);
        }
        catch
        {
            Cut(file, start);
            throw;
        }
        file.Length = start + FrameHeaderSize + blob.Length;
        return new SegmentLocation(file.Number, start + FrameHeaderSize, blob.Length);
    }

    /// <summary>The transaction that recorded <paramref name="at"/> committed.</summary>
    public void Committed(SegmentLocation at) => _files[at.File].Live++;

    /// <summary>The transaction that would have recorded <paramref name="at"/> failed: take the append back.</summary>
    public void Abandon(SegmentLocation at)
    {
        if (!_files.TryGetValue(at.File, out var file)) return;
        var start = at.Offset - FrameHeaderSize;
        // Only the tail can be taken back; anything before it belongs to committed segments.
        if (file.Length == at.Offset + at.Length) Cut(file, start);
    }

    private void Cut(LogFile file, long length)
    {
        try
        {
            if (file.Stream.Length > length) file.Stream.SetLength(length);
        }
        catch (IOException)
        {
            // The disk may refuse even this; FinishRecovery cuts it at the next open.
        }
        file.Length = length;
    }

    /// <summary>Starts a new file for the next append (also used when the active one is to be dropped whole).</summary>
    public void Rotate()
    {
        var number = _files.Count == 0 ? 1 : _files.Keys.Max() + 1;
        var path = Path.Combine(_folder, FileName(number));
        var file = new LogFile(number, path, OpenFile(path, FileMode.CreateNew));
        _files.Add(number, file);
        // The new name must be durable before a committed document can point into the file.
        _sync.Flush();
        var previous = _active;
        _active = file;
        if (previous is { Live: 0 }) Delete(previous);
    }

    /// <summary>A recorded segment left the queue (confirmed by every sink, or dropped); a file with none left is deleted.</summary>
    public void Release(SegmentLocation at)
    {
        if (!_files.TryGetValue(at.File, out var file)) return;
        file.Live--;
        if (file.Live <= 0 && file != _active) Delete(file);
    }

    /// <summary>Whether <paramref name="file"/> is the one being appended to.</summary>
    public bool IsActive(int file) => _active?.Number == file;

    /// <summary>Bytes that releasing <paramref name="released"/> segments per file would give back to the file system.</summary>
    public long BytesFreedBy(IReadOnlyDictionary<int, int> released)
    {
        long freed = 0;
        foreach (var (number, count) in released)
        {
            if (_files.TryGetValue(number, out var file) && count >= file.Live) freed += file.Length;
        }
        return freed;
    }

    /// <summary>Reads and checks the frame at <paramref name="at"/>; returns the blob. Throws <see cref="InvalidDataException"/> saying where it is wrong.</summary>
    public byte[] Read(SegmentLocation at, long segmentId)
    {
        var blob = new byte[at.Length];
        Read(at, segmentId, blob);
        return blob;
    }

    /// <summary>Reads the blob at <paramref name="at"/> into <paramref name="blob"/> (exactly <see cref="SegmentLocation.Length"/> bytes) after checking its frame.</summary>
    public void Read(SegmentLocation at, long segmentId, Span<byte> blob)
    {
        if (!_files.TryGetValue(at.File, out var file)) throw new InvalidDataException($"segment file {FileName(at.File)} is missing");
        var start = at.Offset - FrameHeaderSize;
        Span<byte> header = stackalloc byte[FrameHeaderSize];
        ReadExactly(file, header, start);
        string Where(long offset) => $"{file.Path} byte offset {offset}";
        if (!header[..4].SequenceEqual(Magic)) throw new InvalidDataException($"segment {segmentId}: frame magic is {Convert.ToHexString(header[..4])}, not ETF1 ({Where(start)})");
        if (BinaryPrimitives.ReadUInt32LittleEndian(header[16..]) != Crc32.Compute(header[..16])) throw new InvalidDataException($"segment {segmentId}: frame header CRC mismatch ({Where(start + 16)})");
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length != at.Length) throw new InvalidDataException($"segment {segmentId}: frame says {length} bytes, the queue recorded {at.Length} ({Where(start + 4)})");
        var id = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        if (id != segmentId) throw new InvalidDataException($"segment {segmentId}: frame holds segment {id} ({Where(start + 8)})");
        ReadExactly(file, blob[..at.Length], at.Offset);
    }

    /// <summary>Whatever bytes lie at <paramref name="at"/>, unchecked (for quarantining a corrupt segment); empty when unreadable.</summary>
    public byte[] ReadRaw(SegmentLocation at)
    {
        if (!_files.TryGetValue(at.File, out var file)) return [];
        var available = (int)Math.Clamp(file.Length - at.Offset, 0, at.Length);
        var raw = new byte[available];
        try
        {
            ReadExactly(file, raw, at.Offset);
            return raw;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            return [];
        }
    }

    private static void ReadExactly(LogFile file, Span<byte> into, long offset)
    {
        var done = 0;
        while (done < into.Length)
        {
            var n = RandomAccess.Read(file.Stream.SafeFileHandle, into[done..], offset + done);
            if (n == 0) throw new InvalidDataException($"{file.Path} ends at byte {offset + done}; {into.Length - done} more bytes were expected");
            done += n;
        }
    }

    private void Delete(LogFile file)
    {
        _files.Remove(file.Number);
        if (_active == file) _active = null;
        file.Stream.Dispose();
        try
        {
            System.IO.File.Delete(file.Path);
        }
        catch (IOException)
        {
            // Deleted at the next open, as a file no segment refers to.
        }
    }

    public static string FileName(int number) => number.ToString("D8", CultureInfo.InvariantCulture) + Extension;

    /// <summary>
    /// A clean close: a file none of whose segments is queued any more (the active one, once every sink confirmed
    /// what it holds) is deleted now, so the next open finds nothing to recover. Only a file left behind by a crash
    /// is reported then.
    /// </summary>
    public void Close()
    {
        var deleted = false;
        var unreferenced = _recovered ? _files.Values.Where(f => f.Live <= 0).ToList() : [];
        foreach (var file in unreferenced)
        {
            Delete(file);
            deleted = true;
        }
        if (deleted)
        {
            try
            {
                _sync.Flush();
            }
            catch (IOException)
            {
                // Not durable: after a power cut the next open deletes the file, as one no segment refers to.
            }
        }
        Dispose();
    }

    public void Dispose()
    {
        foreach (var file in _files.Values) file.Stream.Dispose();
        _files.Clear();
        _active = null;
    }

    private sealed class LogFile(int number, string path, FileStream stream)
    {
        public int Number { get; } = number;

        public string Path { get; } = path;

        public FileStream Stream { get; } = stream;

        public long Length { get; set; } = stream.Length;

        /// <summary>Committed segments still queued in this file.</summary>
        public int Live { get; set; }

        /// <summary>Recovery: end of the last recorded segment.</summary>
        public long RecordedEnd { get; set; }
    }
}
