using System.Runtime.InteropServices;
using System.Text;

namespace EdgeTwin.Core.IO;

/// <summary>
/// Makes a directory's entries durable: a file created or renamed in it is only guaranteed to survive a power
/// cut once the directory itself has been fsync'd (fsync(2), "Notes"), however well the file's data was synced.
/// </summary>
public sealed class DirectorySync
{
    private readonly byte[] _nulTerminatedPath;

    public DirectorySync(string path)
    {
        Path = path;
        // Encoded once: the sink syncs its directory after every batch.
        _nulTerminatedPath = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, _nulTerminatedPath);
    }

    public string Path { get; }

    /// <summary>Called after each completed sync; lets tests observe (or stop at) the moment the entries became durable.</summary>
    public Action? Synced { get; set; }

    /// <summary>Fsyncs the directory; throws <see cref="IOException"/> with errno's message when that fails.</summary>
    public void Flush()
    {
        // Windows commits directory entries with the file system's own journal and cannot open a directory
        // for syncing; there is nothing to do there.
        if (OperatingSystem.IsWindows()) return;

        var flags = FileSyncNativeMethods.O_RDONLY;
        if (OperatingSystem.IsLinux()) flags |= FileSyncNativeMethods.O_DIRECTORY | FileSyncNativeMethods.O_CLOEXEC;

        int fd;
        do
        {
            fd = FileSyncNativeMethods.Open(_nulTerminatedPath, flags);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == FileSyncNativeMethods.EINTR);
        if (fd < 0) throw Failure("open", Marshal.GetLastPInvokeError());

        try
        {
            int rc;
            do
            {
                rc = FileSyncNativeMethods.FSync(fd);
            }
            while (rc < 0 && Marshal.GetLastPInvokeError() == FileSyncNativeMethods.EINTR);

            // A file system that cannot sync directories at all (EINVAL) has nothing more durable to offer;
            // failing every batch there would only stop the sink. Any other error is a real write-back failure.
            if (rc < 0 && Marshal.GetLastPInvokeError() is var errno && errno != FileSyncNativeMethods.EINVAL)
            {
                throw Failure("fsync", errno);
            }
        }
        finally
        {
            FileSyncNativeMethods.Close(fd);
        }
        Synced?.Invoke();
    }

    private IOException Failure(string call, int errno) =>
        new($"{call} of directory '{Path}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
}
