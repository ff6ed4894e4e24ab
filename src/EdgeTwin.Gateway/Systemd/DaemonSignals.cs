using System.Runtime.InteropServices;

namespace EdgeTwin.Gateway.Systemd;

/// <summary>
/// The signals the daemon acts on (SIGHUP reloads, SIGINT and SIGTERM stop) must reach it whatever started it.
/// A blocked signal mask is inherited across fork and exec: a daemon started from a thread that blocks signals
/// (a supervisor's helper thread, a native library's worker thread) would hold SIGHUP pending for ever, so
/// <c>systemctl reload</c> would do nothing and say nothing. <see cref="UnblockHandled"/> unblocks them on the
/// main thread before any other thread of ours exists; threads it starts inherit the cleared mask, and the kernel
/// delivers a process signal to any thread that does not block it. Ignored signals (nohup) are left as the
/// caller chose.
/// </summary>
internal static class DaemonSignals
{
    private const int SigUnblock = 1; // SIG_UNBLOCK in Linux's <signal.h>

    /// <summary>sigset_t is 128 bytes in glibc and musl; a larger buffer is harmless.</summary>
    private const int SigSetBytes = 256;

    /// <summary>SIGHUP, SIGINT and SIGTERM with their Linux numbers.</summary>
    private static readonly (int Number, string Name)[] Handled = [(1, "SIGHUP"), (2, "SIGINT"), (15, "SIGTERM")];

    /// <summary>The handled signals that were blocked when the process started (empty when none was), once <see cref="UnblockHandled"/> ran.</summary>
    public static IReadOnlyList<string> WereBlocked { get; private set; } = [];

    /// <summary>Unblocks SIGHUP, SIGINT and SIGTERM for the calling thread; records which of them were blocked.</summary>
    public static void UnblockHandled()
    {
        if (!OperatingSystem.IsLinux()) return;
        var set = new byte[SigSetBytes];
        var previous = new byte[SigSetBytes];
        if (SigEmptySet(set) != 0) return;
        foreach (var (number, _) in Handled)
        {
            if (SigAddSet(set, number) != 0) return;
        }
        if (PthreadSigMask(SigUnblock, set, previous) != 0) return;
        WereBlocked = [.. Handled.Where(s => SigIsMember(previous, s.Number) == 1).Select(s => s.Name)];
    }

    // [DllImport] like the file sink's fsync: byte arrays are blittable, so AOT compiles the stubs ahead of time.
    [DllImport("libc", EntryPoint = "sigemptyset", ExactSpelling = true)]
    private static extern int SigEmptySet(byte[] set);

    [DllImport("libc", EntryPoint = "sigaddset", ExactSpelling = true)]
    private static extern int SigAddSet(byte[] set, int signal);

    [DllImport("libc", EntryPoint = "sigismember", ExactSpelling = true)]
    private static extern int SigIsMember(byte[] set, int signal);

    [DllImport("libc", EntryPoint = "pthread_sigmask", ExactSpelling = true)]
    private static extern int PthreadSigMask(int how, byte[] set, byte[] previous);
}
