using System.Runtime.InteropServices;

namespace EdgeTwin.Gateway.Doctor;

/// <summary>
/// adjtimex(2) in read-only mode (modes = 0): the kernel's view of clock discipline. It returns the clock state:
/// TIME_OK (0) to TIME_WAIT (4) while synchronized, TIME_ERROR (5) when the kernel considers the clock
/// unsynchronized (STA_UNSYNC: no NTP daemon has disciplined it), -1 with errno on failure.
/// </summary>
internal static class ClockNativeMethods
{
    public const int TimeError = 5;

    /// <summary>struct timex is 208 bytes on 64-bit Linux; a larger zeroed buffer leaves modes (the first field) at 0.</summary>
    public const int TimexBufferBytes = 512;

    // [DllImport] like the file sink's fsync: [LibraryImport] would need unsafe code enabled for one call. A byte
    // array is blittable, so AOT compiles the stub ahead of time (pinned, no runtime marshalling).
    [DllImport("libc", EntryPoint = "adjtimex", SetLastError = true, ExactSpelling = true)]
    public static extern int AdjTimex(byte[] timex);
}
