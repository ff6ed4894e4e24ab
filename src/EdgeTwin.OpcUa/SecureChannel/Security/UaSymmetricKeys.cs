using System.Security.Cryptography;

namespace EdgeTwin.OpcUa.SecureChannel.Security;

/// <summary>
/// One side's symmetric keys for one token (OPC 10000-6 §6.7.5): the signing key, the encrypting key and the
/// initialisation vector, in that order from P_SHA256. The client's keys (what it sends) come from
/// P_SHA256(serverNonce, clientNonce); the server's from P_SHA256(clientNonce, serverNonce).
/// </summary>
public sealed class UaSymmetricKeys : IDisposable
{
    private readonly Aes _aes;

    private UaSymmetricKeys(byte[] signingKey, byte[] encryptingKey, byte[] iv)
    {
        SigningKey = signingKey;
        EncryptingKey = encryptingKey;
        InitializationVector = iv;
        _aes = Aes.Create();
        _aes.Key = encryptingKey;
    }

    public byte[] SigningKey { get; }

    public byte[] EncryptingKey { get; }

    public byte[] InitializationVector { get; }

    public static UaSymmetricKeys Derive(UaSecurityAlgorithms algorithms, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(algorithms);
        var signing = algorithms.SigningKeyLength;
        var encrypting = algorithms.EncryptionKeyLength;
        var material = PSha256.Derive(secret, seed, signing + encrypting + algorithms.BlockSize);
        return new UaSymmetricKeys(material[..signing], material[signing..(signing + encrypting)], material[(signing + encrypting)..]);
    }

    public void Sign(ReadOnlySpan<byte> data, Span<byte> signature) => HMACSHA256.HashData(SigningKey, data, signature);

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(SigningKey, data, expected);
        return CryptographicOperations.FixedTimeEquals(expected, signature);
    }

    /// <summary>AES-CBC without padding, in place (the length is a multiple of the block size).</summary>
    public void Encrypt(Span<byte> data) => _aes.EncryptCbc(data, InitializationVector, data, PaddingMode.None);

    public void Decrypt(Span<byte> data) => _aes.DecryptCbc(data, InitializationVector, data, PaddingMode.None);

    public void Dispose() => _aes.Dispose();
}
