using LiteDB;

namespace EdgeTwin.Storage;

/// <summary>
/// The queue's storage failed (a full disk, an I/O error, a database engine left faulted by one): nothing the
/// failed call was writing is durable, and the queue recovers on <see cref="DurableQueue.Reopen"/>. The message says
/// what failed and where; the underlying error is the inner exception.
/// </summary>
public sealed class StorageException : Exception
{
    public StorageException(string operation, string where, Exception inner)
        : base($"{operation} failed in {where}: {inner.Message}", inner)
    {
        Operation = operation;
        Where = where;
    }

    /// <summary>What the queue was doing ("commit", "maintenance", "reopen", ...).</summary>
    public string Operation { get; }

    /// <summary>The state directory (or file) it was doing it in.</summary>
    public string Where { get; }

    /// <summary>
    /// Failures of the storage rather than of our logic: I/O errors, the database engine's own errors, and the
    /// <see cref="ObjectDisposedException"/> LiteDB throws once an I/O error left its engine faulted. The one place
    /// this check is written.
    /// </summary>
    internal static bool IsStorageFailure(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or LiteException or ObjectDisposedException;
}
