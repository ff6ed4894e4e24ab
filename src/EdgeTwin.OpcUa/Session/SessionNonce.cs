using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace EdgeTwin.OpcUa.Session;

/// <summary>
/// The client nonce of CreateSession (OPC 10000-4 §5.6.2): 32 random bytes. On Linux they come from the kernel
/// (getrandom(2)), so a client on SecurityPolicy None never loads OpenSSL, whose libcrypto alone costs about 5 MiB
/// of resident memory; elsewhere, and if getrandom fails, from <see cref="RandomNumberGenerator"/>.
/// </summary>
internal static class SessionNonce
{
    public const int Length = 32;

    public static byte[] Create()
    {
        var nonce = new byte[Length];
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // getrandom blocks only until the kernel's pool is first initialised; requests up to 256 bytes are never short.
                if (GetRandom(nonce, (nuint)nonce.Length, 0) == nonce.Length) return nonce;
            }
            catch (EntryPointNotFoundException)
            {
                // A libc without getrandom (older than glibc 2.25): fall through.
            }
        }

        RandomNumberGenerator.Fill(nonce);
        return nonce;
    }

    // A byte array is blittable: AOT compiles the stub ahead of time, no runtime marshalling.
    [DllImport("libc", EntryPoint = "getrandom", ExactSpelling = true)]
    private static extern nint GetRandom(byte[] buffer, nuint length, uint flags);
}
