using Microsoft.Win32.SafeHandles;

namespace EdgeTwin.Connectors.File;

// The files on disk: loading the recorded position and cutting the active file back to it, starting fresh, rotation,
// and removing orphaned and surplus files.
public sealed partial class JsonlFileSink
{
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
