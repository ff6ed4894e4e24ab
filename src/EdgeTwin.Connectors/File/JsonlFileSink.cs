using System.Runtime.InteropServices;
using EdgeTwin.Buffers;
using EdgeTwin.Core.IO;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Core.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace EdgeTwin.Connectors.File;

/// <summary>
/// Writes points as JSON lines (schema 1.0, docs/architecture.md §4) into rotating local files. Per batch the
/// lines are appended and fsync'd, then <c>position.json</c> records the last segment and the file's length, so
/// after a crash <see cref="RecoverAsync"/> leaves every confirmed segment in the files exactly once.
/// Not thread-safe: the sink's worker is its only caller; the counters may be read from any thread.
/// </summary>
public sealed partial class JsonlFileSink : ISink, IAsyncDisposable
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
}
