using System.Runtime.InteropServices;
using EdgeTwin.Buffers;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.IO;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Core.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace EdgeTwin.Connectors.File;

/// <summary>
/// Writes points as JSON lines (schema 1.0, docs/architecture.md §4) into rotating local files, and confirms a batch only
/// once it is on disk. Per batch: the lines are appended and fsync'd, then <c>position.json</c> records the
/// last segment and the file's new length (atomically, see <see cref="PositionFile"/>). After a crash at any
/// moment, <see cref="RecoverAsync"/> cuts the active file back to the recorded length, so every confirmed
/// segment is in the files exactly once and nothing of an unconfirmed one is.
/// <para>
/// Not thread-safe: the queue's worker for this sink is its only caller. The counters may be read from any thread.
/// </para>
/// </summary>
public sealed class JsonlFileSink : ISink, IAsyncDisposable
{
    // Points are encoded into one pooled buffer and written a chunk at a time: about a thousand system calls
    // per gigabyte, and no buffer that grows with the batch.
    private const int BufferBytes = 1 << 20;
    private const int ChunkBytes = BufferBytes - (32 << 10);

    private readonly string _directory;
    private readonly long _maxFileBytes;
    private readonly int _maxFiles;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WirePointWriter _wire;
    private readonly PooledBufferWriter _buffer = new(BufferBytes);
    private readonly DirectorySync _directorySync;
    private readonly PositionFile _position;

    private SafeFileHandle? _active;
    private string? _activeName;
    private long _activeSequence;
    private long _length;
    private long? _segment;
    private bool _recovered;
    private bool _mustReload;
    private bool _disposed;

    private long _pointsWritten;
    private long _bytesWritten;
    private long _filesRotated;
    private Action<DurabilityStep>? _stepHook;

    public JsonlFileSink(FileSinkConfig config, string gatewayId, TimeProvider timeProvider, ILogger<JsonlFileSink>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(gatewayId);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (string.IsNullOrWhiteSpace(config.Directory)) throw new ArgumentException($"file sink '{config.Name}' has no directory", nameof(config));
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MaxFileBytes, 1, "config.MaxFileBytes");
        ArgumentOutOfRangeException.ThrowIfNegative(config.MaxFiles, "config.MaxFiles");

        Name = config.Name;
        _directory = Path.GetFullPath(config.Directory);
        _maxFileBytes = config.MaxFileBytes;
        _maxFiles = config.MaxFiles;
        _time = timeProvider;
        _logger = logger ?? (ILogger)NullLogger<JsonlFileSink>.Instance;
        _wire = new WirePointWriter(gatewayId);
        _directorySync = new DirectorySync(_directory);
        _position = new PositionFile(_directorySync);
    }

    public string Name { get; }

    /// <summary>The folder the files and <c>position.json</c> live in (absolute).</summary>
    public string OutputDirectory => _directory;

    /// <summary>The file batches are appended to; null before <see cref="RecoverAsync"/>.</summary>
    public string? ActiveFile => _activeName is null ? null : Path.Combine(_directory, _activeName);

    /// <summary>The last segment durably held, as recorded in <c>position.json</c>; null when none.</summary>
    public long? HeldSegment => _segment;

    /// <summary>Points written and fsync'd since this instance started (retries of held batches not counted).</summary>
    public long PointsWritten => Interlocked.Read(ref _pointsWritten);

    /// <summary>Bytes of JSON lines written and fsync'd since this instance started.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Files completed and replaced by a new one since this instance started.</summary>
    public long FilesRotated => Interlocked.Read(ref _filesRotated);

    /// <summary>
    /// Sees each durability step as it completes; for tests only. A hook that throws stops the sink right there,
    /// leaving on disk exactly what a kill -9 at that moment would leave.
    /// </summary>
    internal Action<DurabilityStep>? StepHook
    {
        get => _stepHook;
        set
        {
            _stepHook = value;
            _position.StepHook = value;
            _directorySync.Synced = value is null ? null : () => value(DurabilityStep.DirectorySynced);
        }
    }

    /// <summary>
    /// Loads <c>position.json</c>, cuts the active file back to the recorded length (dropping whatever an
    /// unconfirmed batch left) and returns the last segment held. Without a position file it starts a new file
    /// and returns null. A damaged position file, or a file it names that is missing or too short, throws
    /// <see cref="InvalidDataException"/>: starting over would silently lose or repeat confirmed data.
    /// </summary>
    public ValueTask<long?> RecoverAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();

        // File I/O here is synchronous underneath (Linux has no asynchronous fsync), and the queue's worker for
        // this sink is the only caller, so the work is done inline rather than queued to the thread pool.
        _mustReload = true;
        var held = Load();
        _mustReload = false;
        _recovered = true;
        return ValueTask.FromResult(held);
    }

    public ValueTask<SinkResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_recovered) throw new InvalidOperationException($"file sink '{Name}': RecoverAsync must be called before the first batch");
        if (batch.LastSegmentId < batch.FirstSegmentId)
        {
            throw new ArgumentException($"batch ends at segment {batch.LastSegmentId} before it starts at {batch.FirstSegmentId}", nameof(batch));
        }
        cancellationToken.ThrowIfCancellationRequested();

        // After a failure the position file is the only truth: the failed attempt may have left bytes past the
        // recorded length, a rotation's empty file, or even a renamed position file whose directory fsync failed.
        if (_mustReload)
        {
            Load();
            _mustReload = false;
        }

        if (_segment is { } held)
        {
            if (batch.LastSegmentId <= held)
            {
                Log.AlreadyHeld(_logger, Name, batch.FirstSegmentId, batch.LastSegmentId, held);
                return ValueTask.FromResult(SinkResult.Delivered);
            }
            if (batch.FirstSegmentId <= held)
            {
                // Batches are whole segments, so a batch either is held entirely or not at all; anything else
                // means the queue and this sink disagree, and writing would duplicate segments.
                throw new InvalidOperationException(
                    $"file sink '{Name}': batch {batch.FirstSegmentId}..{batch.LastSegmentId} overlaps segment {held}, already held; "
                    + "the queue's cursor and position.json disagree");
            }
        }

        try
        {
            return ValueTask.FromResult(Write(batch, cancellationToken));
        }
        catch (Exception e)
        {
            _mustReload = true;
            // A stop cancels the write in flight: nothing failed, the batch is simply not confirmed.
            if (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.SendFailed(_logger, Name, batch.FirstSegmentId, batch.LastSegmentId, e);
            }
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed) return ValueTask.CompletedTask;
        _disposed = true;

        // Every confirmed batch is already fsync'd; there is nothing to flush, only handles to release.
        CloseActive();
        _buffer.Dispose();
        _position.Dispose();
        return ValueTask.CompletedTask;
    }

    private SinkResult Write(SinkBatch batch, CancellationToken cancellationToken)
    {
        if (_length >= _maxFileBytes) Rotate();

        var rejected = (List<SinkRejection>?)null;
        var end = batch.Points switch
        {
            TelemetryPoint[] array => Encode(array, ref rejected, cancellationToken),
            List<TelemetryPoint> list => Encode(CollectionsMarshal.AsSpan(list), ref rejected, cancellationToken),
            var points => EncodeList(points, ref rejected, cancellationToken),
        };
        if (end != _length)
        {
            RandomAccess.FlushToDisk(_active!);
            _stepHook?.Invoke(DurabilityStep.DataSynced);
        }

        // Only now that the lines are durable may the position claim them.
        _position.Write(new SinkPosition(batch.LastSegmentId, _activeName!, end));

        var bytes = end - _length;
        _length = end;
        _segment = batch.LastSegmentId;
        Interlocked.Add(ref _pointsWritten, batch.Points.Count - (rejected?.Count ?? 0));
        Interlocked.Add(ref _bytesWritten, bytes);
        return rejected is null ? SinkResult.Delivered : new SinkResult(rejected);
    }

    private long Encode(ReadOnlySpan<TelemetryPoint> points, ref List<SinkRejection>? rejected, CancellationToken cancellationToken)
    {
        var offset = _length;
        _buffer.Reset();
        for (var i = 0; i < points.Length; i++)
        {
            ref readonly var point = ref points[i];
            if (WireCheck.Unwritable(point) is { } reason)
            {
                (rejected ??= []).Add(new SinkRejection(i, reason));
                continue;
            }
            _wire.Write(in point, _buffer);
            if (_buffer.WrittenCount >= ChunkBytes) offset = WriteChunk(offset, cancellationToken);
        }
        return _buffer.WrittenCount > 0 ? WriteChunk(offset, cancellationToken) : offset;
    }

    private long EncodeList(IReadOnlyList<TelemetryPoint> points, ref List<SinkRejection>? rejected, CancellationToken cancellationToken)
    {
        var offset = _length;
        _buffer.Reset();
        var count = points.Count;
        for (var i = 0; i < count; i++)
        {
            var point = points[i];
            if (WireCheck.Unwritable(point) is { } reason)
            {
                (rejected ??= []).Add(new SinkRejection(i, reason));
                continue;
            }
            _wire.Write(in point, _buffer);
            if (_buffer.WrittenCount >= ChunkBytes) offset = WriteChunk(offset, cancellationToken);
        }
        return _buffer.WrittenCount > 0 ? WriteChunk(offset, cancellationToken) : offset;
    }


    private long WriteChunk(long offset, CancellationToken cancellationToken)
    {
        // Cancelling between chunks leaves a partial batch past the recorded length; the reload before the next
        // attempt cuts it off, exactly as after a crash.
        cancellationToken.ThrowIfCancellationRequested();
        var chunk = _buffer.WrittenSpan;
        RandomAccess.Write(_active!, chunk, offset);
        _buffer.Reset();
        _stepHook?.Invoke(DurabilityStep.ChunkWritten);
        return offset + chunk.Length;
    }

    /// <summary>
    /// Starts a new file at a batch boundary. The new file is created and its directory entry made durable, then
    /// the position moves to it, and only then is anything written into it: a crash in between leaves at most an
    /// empty file that the position does not name, which <see cref="Load"/> removes.
    /// </summary>
    private void Rotate()
    {
        var completed = _activeName!;
        var completedLength = _length;
        var sequence = _activeSequence + 1;
        var (handle, name) = CreateFile(sequence);
        try
        {
            _position.Write(new SinkPosition(_segment, name, 0));
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        CloseActive();
        _active = handle;
        _activeName = name;
        _activeSequence = sequence;
        _length = 0;
        Interlocked.Increment(ref _filesRotated);
        Log.Rotated(_logger, Name, completed, completedLength, name);
        Prune();
    }

    /// <summary>Makes the state on disk the sink's state: see <see cref="RecoverAsync"/>.</summary>
    private long? Load()
    {
        CloseActive();
        _activeName = null;
        Directory.CreateDirectory(_directory);

        // A temp file is what an interrupted position write leaves; the rename never happened, so it holds nothing.
        System.IO.File.Delete(_position.TempPath);

        if (_position.Read() is not { } recorded) return StartFresh();

        var path = Path.Combine(_directory, recorded.File);
        SafeFileHandle handle;
        try
        {
            handle = System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.Read);
        }
        catch (FileNotFoundException e)
        {
            throw new InvalidDataException(
                $"The file sink's position file '{_position.Path}' names '{path}' (segment {Describe(recorded.Segment)}, {recorded.Length} bytes), "
                + "but that file does not exist. Restore it, or remove the position file to start a new file.", e);
        }

        try
        {
            var actual = RandomAccess.GetLength(handle);
            if (actual < recorded.Length)
            {
                throw new InvalidDataException(
                    $"'{path}' is {actual} bytes long, but the file sink's position file '{_position.Path}' records {recorded.Length} confirmed bytes "
                    + $"(up to segment {Describe(recorded.Segment)}): confirmed data is missing from it.");
            }
            if (actual > recorded.Length)
            {
                RandomAccess.SetLength(handle, recorded.Length);
                RandomAccess.FlushToDisk(handle);
                Log.TruncatedTail(_logger, Name, recorded.File, recorded.Length, actual - recorded.Length);
                _stepHook?.Invoke(DurabilityStep.TailTruncated);
            }

            // What was just read may so far exist only in the page cache (a rename whose directory fsync was cut
            // short by a power failure would undo it); the queue moves its cursor on what we return, so make it durable.
            _directorySync.Flush();
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        JsonlFileName.TryParse(recorded.File, out var sequence);
        _active = handle;
        _activeName = recorded.File;
        _activeSequence = sequence;
        _length = recorded.Length;
        _segment = recorded.Segment;
        RemoveOrphans();
        Prune();
        Log.Resumed(_logger, Name, recorded.File, recorded.Length, recorded.Segment);
        return recorded.Segment;
    }

    private long? StartFresh()
    {
        var existing = JsonlFileName.List(_directory);
        var kept = 0;
        foreach (var (name, _) in existing)
        {
            // Empty files are what a first start that never recorded its position leaves behind; anything with
            // content came from elsewhere (or a removed position file) and is not ours to delete.
            var path = Path.Combine(_directory, name);
            if (new FileInfo(path).Length == 0)
            {
                System.IO.File.Delete(path);
                Log.RemovedOrphan(_logger, Name, name);
            }
            else
            {
                kept++;
            }
        }
        if (kept > 0) Log.FilesWithoutPosition(_logger, Name, _directory, kept);

        var sequence = existing.Count == 0 ? 1 : existing[^1].Sequence + 1;
        var (handle, file) = CreateFile(sequence);
        try
        {
            _position.Write(new SinkPosition(null, file, 0));
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        _active = handle;
        _activeName = file;
        _activeSequence = sequence;
        _length = 0;
        _segment = null;
        Log.StartedFresh(_logger, Name, _directory, file);
        return null;
    }

    /// <summary>Creates file number <paramref name="sequence"/> and makes its directory entry durable.</summary>
    private (SafeFileHandle Handle, string Name) CreateFile(long sequence)
    {
        var name = JsonlFileName.Format(_time.GetUtcNow(), sequence);
        var handle = System.IO.File.OpenHandle(Path.Combine(_directory, name), FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        try
        {
            _directorySync.Flush();
            _stepHook?.Invoke(DurabilityStep.FileCreated);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        return (handle, name);
    }

    /// <summary>
    /// Removes files numbered after the active one: an interrupted rotation leaves such a file, always empty,
    /// because nothing is written into a file before the position names it.
    /// </summary>
    private void RemoveOrphans()
    {
        foreach (var (name, sequence) in JsonlFileName.List(_directory))
        {
            if (sequence < _activeSequence || name == _activeName) continue;
            var path = Path.Combine(_directory, name);
            if (new FileInfo(path).Length == 0)
            {
                System.IO.File.Delete(path);
                Log.RemovedOrphan(_logger, Name, name);
            }
            else
            {
                Log.UnexpectedNewerFile(_logger, Name, name);
            }
        }
    }

    /// <summary>Deletes the oldest completed files beyond <see cref="FileSinkConfig.MaxFiles"/> (0 keeps all).</summary>
    private void Prune()
    {
        if (_maxFiles == 0) return;
        var completed = JsonlFileName.List(_directory);
        completed.RemoveAll(f => f.Sequence >= _activeSequence || f.Name == _activeName);
        for (var i = 0; i < completed.Count - _maxFiles; i++)
        {
            var name = completed[i].Name;
            try
            {
                System.IO.File.Delete(Path.Combine(_directory, name));
                Log.Pruned(_logger, Name, name, _maxFiles);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The file's data is confirmed either way; failing the batch would not make deleting it work.
                Log.PruneFailed(_logger, Name, name, e);
            }
        }
    }

    private void CloseActive()
    {
        _active?.Dispose();
        _active = null;
    }

    private static string Describe(long? segment) => segment is { } s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
}
