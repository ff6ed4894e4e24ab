using LiteDB;

namespace EdgeTwin.Storage;

/// <summary>
/// The queue's LiteDB database and its collections, shared by the queue's parts so that what must change together is
/// written in one transaction. <see cref="Durably"/> commits and checkpoints: LiteDB's own commit returns before its
/// log reaches the file. Not thread-safe: used under the queue's gate.
/// </summary>
internal sealed class QueueDatabase
{
    private readonly string _directory;
    private LiteDatabase? _db;
    private FileStream? _dataStream;
    private FileStream? _logStream;

    public QueueDatabase(string directory) => _directory = directory;

    public string DataPath => Path.Combine(_directory, DurableQueue.DatabaseFileName);

    public string LogPath => Path.Combine(_directory, "queue-log.db");

    /// <summary>Where each segment lies (file, offset, length), its point count and time range.</summary>
    public ILiteCollection<BsonDocument> Segments { get; private set; } = null!;

    /// <summary>The stream catalog the segments refer to.</summary>
    public ILiteCollection<BsonDocument> Streams { get; private set; } = null!;

    /// <summary>Per sink, its cursor and live lane.</summary>
    public ILiteCollection<BsonDocument> Cursors { get; private set; } = null!;

    /// <summary>The sources' checkpoints and the quarantine's size.</summary>
    public ILiteCollection<BsonDocument> Meta { get; private set; } = null!;

    public ILiteCollection<BsonDocument> Quarantine { get; private set; } = null!;

    public ILiteCollection<BsonDocument> Loss { get; private set; } = null!;

    /// <summary>Series evicted from memory: _id asset + '\n' + metric, b the dedup record (history and shadow).</summary>
    public ILiteCollection<BsonDocument> Series { get; private set; } = null!;

    public void Open()
    {
        // We open the files ourselves, unbuffered, so that we can always close them: after an I/O error (a full
        // disk) LiteDB's engine stays faulted and its own Dispose may leave its files open, which would make the
        // reopen that recovers from the error impossible. LiteDB still fsyncs them (FileStream.Flush(true)).
        _dataStream = OpenFile(DataPath);
        _logStream = OpenFile(LogPath);
        _db = new LiteDatabase(_dataStream, null, _logStream);
        Segments = _db.GetCollection("segments", BsonAutoId.Int64);
        Streams = _db.GetCollection("streams", BsonAutoId.Int32);
        Cursors = _db.GetCollection("cursors", BsonAutoId.ObjectId);
        Meta = _db.GetCollection("meta", BsonAutoId.ObjectId);
        Quarantine = _db.GetCollection("quarantine", BsonAutoId.Int64);
        Loss = _db.GetCollection("loss", BsonAutoId.Int64);
        Series = _db.GetCollection("series", BsonAutoId.ObjectId);
    }

    /// <summary>Closes the database and, whatever LiteDB managed, our file handles.</summary>
    public void Close()
    {
        try { _db?.Dispose(); } catch (Exception ex) when (ex is LiteException or IOException or ObjectDisposedException or InvalidOperationException) { }
        try { _logStream?.Dispose(); } catch (IOException) { }
        try { _dataStream?.Dispose(); } catch (IOException) { }
        _db = null;
        _logStream = null;
        _dataStream = null;
    }

    private static FileStream OpenFile(string path) =>
        new(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess);

    private LiteDatabase Db => _db ?? throw new ObjectDisposedException(nameof(QueueDatabase), "the queue's database is closed");

    public void BeginTrans() => Db.BeginTrans();

    public void Commit() => Db.Commit();

    /// <summary>Waits for LiteDB's log writer, then copies the log into the data file and flushes it.</summary>
    public void Checkpoint() => Db.Checkpoint();

    /// <summary>Runs <paramref name="write"/> in one transaction, committed (not yet checkpointed); rolled back if anything fails.</summary>
    public void InTransaction(Action write)
    {
        BeginTrans();
        try
        {
            write();
            Commit();
        }
        catch
        {
            TryRollback();
            throw;
        }
    }

    /// <summary>As <see cref="InTransaction"/>, and checkpointed into the data file, so it is on disk when this returns.</summary>
    public void Durably(Action write)
    {
        BeginTrans();
        try
        {
            write();
            Commit();
            Checkpoint();
        }
        catch
        {
            TryRollback();
            throw;
        }
    }

    public void TryRollback()
    {
        try
        {
            _db?.Rollback();
        }
        catch (Exception ex) when (ex is LiteException or IOException or InvalidOperationException)
        {
            // The database may be unusable (disk full mid-write); the caller reopens it.
        }
    }
}
