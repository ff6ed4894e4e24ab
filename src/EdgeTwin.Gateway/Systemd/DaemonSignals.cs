using System.Runtime.InteropServices;

namespace EdgeTwin.Gateway.Systemd;

/// <summary>
/// Makes the signals the daemon acts on (SIGHUP reloads, SIGINT and SIGTERM stop) reach it whatever started it: a
/// blocked mask inherited across exec is cleared on the main thread before other threads exist, and an ignored
/// SIGHUP or SIGINT is taken over (<see cref="HandleHangup"/>, <see cref="HandleInterrupt"/>); an ignored SIGTERM
/// is left as the caller chose.
/// </summary>
internal static class DaemonSignals
{
    private const int SigHup = 1;
    private const int SigInt = 2;
    private const int SigTerm = 15;
    private const int SigUnblock = 1; // SIG_UNBLOCK in Linux's <signal.h>
    private const long SigIgn = 1; // SIG_IGN
    private const int SigActionBytes = 512; // struct sigaction is 152 bytes in glibc on x86-64; larger is harmless

    /// <summary>sigset_t is 128 bytes in glibc and musl; a larger buffer is harmless.</summary>
    private const int SigSetBytes = 256;

    /// <summary>SIGHUP, SIGINT and SIGTERM with their Linux numbers.</summary>
    private static readonly (int Number, string Name)[] Handled = [(SigHup, "SIGHUP"), (SigInt, "SIGINT"), (SigTerm, "SIGTERM")];

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

    /// <summary>Whether SIGHUP arrived ignored (nohup, or a harness that ignores it), once <see cref="HandleHangup"/> ran.</summary>
    public static bool HangupWasIgnored { get; private set; }

    /// <summary>Whether SIGINT arrived ignored (a background job of a shell script), once <see cref="HandleInterrupt"/> ran.</summary>
    public static bool InterruptWasIgnored { get; private set; }

    /// <summary>
    /// Call right before registering the SIGHUP handler. The runtime installs no handler for a signal whose
    /// inherited disposition is "ignore", so a daemon started under nohup would never see its reload signal. An
    /// ignored SIGHUP is set back to the default here; the handler registered next decides what a hangup does
    /// (it re-reads the configuration, and never ends the process), so a hangup still cannot stop the daemon. A
    /// disposition that is not "ignore" is not touched: it may be the runtime's own handler.
    /// </summary>
    public static void HandleHangup()
    {
        if (TakeOverIgnored(SigHup)) HangupWasIgnored = true;
    }

    /// <summary>
    /// <c>run</c> only, before anything initialises the runtime's signal handling (the console, a process, a
    /// signal registration): a shell starts a background job (<c>edgetwin run &amp;</c> in a script) with SIGINT
    /// ignored, and the runtime, which reads the disposition once when it initialises, would then never install its
    /// handler, so SIGINT would do nothing. Set back to the default here, SIGINT reaches the host's handler and
    /// stops the gateway gracefully, as it does from a terminal. Other verbs keep what their caller chose.
    /// </summary>
    public static void HandleInterrupt()
    {
        if (TakeOverIgnored(SigInt)) InterruptWasIgnored = true;
    }

    /// <summary>Sets <paramref name="signal"/> back to its default disposition if it is ignored; true if it was.</summary>
    private static bool TakeOverIgnored(int signal)
    {
        if (!OperatingSystem.IsLinux()) return false;
        var current = new byte[SigActionBytes];
        if (SigAction(signal, null, current) != 0) return false;
        // struct sigaction starts with the handler (a union of sa_handler and sa_sigaction) on Linux's ABIs.
        if (BitConverter.ToInt64(current, 0) != SigIgn) return false;
        var defaults = new byte[SigActionBytes]; // SIG_DFL (0), an empty mask, no flags
        return SigAction(signal, defaults, null) == 0;
    }

    [DllImport("libc", EntryPoint = "sigaction", ExactSpelling = true)]
    private static extern int SigAction(int signal, byte[]? action, byte[]? previous);

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
