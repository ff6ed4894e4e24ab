using System.Runtime.InteropServices;

namespace EdgeTwin.Core.IO;

/// <summary>
/// The libc calls .NET does not expose: there is no managed way to fsync a directory, and without that a
/// rename or a newly created file may not survive a power cut even though its data did. Every call returns
/// -1 and sets errno on failure (read it with <see cref="Marshal.GetLastPInvokeError"/>).
/// </summary>
internal static class FileSyncNativeMethods
{
    /// <summary>errno: interrupted by a signal before anything happened; the call may simply be repeated.</summary>
    internal const int EINTR = 4;

    /// <summary>errno: the file system does not support syncing this kind of file (some FUSE and network mounts).</summary>
    internal const int EINVAL = 22;

    internal const int O_RDONLY = 0;

    /// <summary>
    /// The same on every Linux architecture .NET runs on (asm-generic/fcntl.h; arm and powerpc do not
    /// override it): the descriptor must not leak into a child process the daemon may start.
    /// </summary>
    internal const int O_CLOEXEC = 0x80000;

    /// <summary>
    /// O_DIRECTORY differs by architecture: 0200000 in asm-generic/fcntl.h (x86, riscv, loongarch, s390),
    /// 040000 in the arm, arm64 and powerpc headers (they swap it with O_NOFOLLOW).
    /// </summary>
    internal static int O_DIRECTORY => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.Arm or Architecture.Arm64 or Architecture.Armv6 or Architecture.Ppc64le => 0x4000,
        _ => 0x10000,
    };

    // [DllImport] rather than [LibraryImport] only because the source generator needs <AllowUnsafeBlocks> in
    // the project (SYSLIB1062). The arguments are ints and a byte array (pinned, not copied), for which native
    // AOT compiles the marshalling ahead of time; no reflection is involved either way.

    /// <summary>open(2): a descriptor (≥ 0), or -1. <paramref name="path"/> is UTF-8 ending in a NUL byte.</summary>
    [DllImport("libc", EntryPoint = "open", SetLastError = true, ExactSpelling = true)]
    internal static extern int Open(byte[] path, int flags);

    /// <summary>fsync(2): 0, or -1 (EIO: the write-back failed; EINVAL: not supported for this file).</summary>
    [DllImport("libc", EntryPoint = "fsync", SetLastError = true, ExactSpelling = true)]
    internal static extern int FSync(int fd);

    /// <summary>close(2): 0, or -1. Never retried on EINTR: Linux releases the descriptor regardless.</summary>
    [DllImport("libc", EntryPoint = "close", SetLastError = true, ExactSpelling = true)]
    internal static extern int Close(int fd);
}
