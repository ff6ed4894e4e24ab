using System.Security.Cryptography;

namespace EdgeTwin.OpcUa.SecureChannel.Security;

/// <summary>
/// The P_SHA256 pseudo-random function the Sha256 security policies derive channel keys with (OPC 10000-6 §6.7.5):
/// A(0) = seed, A(i) = HMAC(secret, A(i-1)); the output is HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + …
/// cut to the length asked for.
/// </summary>
public static class PSha256
{
    private const int HashSize = 32;

    public static byte[] Derive(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> seed, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var output = new byte[length];
        Span<byte> a = stackalloc byte[HashSize];
        Span<byte> block = stackalloc byte[HashSize];
        var input = new byte[HashSize + seed.Length];
        seed.CopyTo(input.AsSpan(HashSize));
        HMACSHA256.HashData(secret, seed, a);
        for (var written = 0; written < length; written += HashSize)
        {
            a.CopyTo(input);
            HMACSHA256.HashData(secret, input, block);
            block[..Math.Min(HashSize, length - written)].CopyTo(output.AsSpan(written));
            HMACSHA256.HashData(secret, a, block);
            block.CopyTo(a);
        }

        return output;
    }
}
