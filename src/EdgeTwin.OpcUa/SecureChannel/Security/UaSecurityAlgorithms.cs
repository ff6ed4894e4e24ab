using System.Security.Cryptography;

namespace EdgeTwin.OpcUa.SecureChannel.Security;

/// <summary>
/// The algorithms of one security policy (OPC 10000-7 security policy profiles): asymmetric signature and
/// encryption with RSA, key derivation with P_SHA256, symmetric signature with HMAC-SHA256 and encryption
/// with AES-CBC. Only policies that derive with SHA-256 are supported; the SHA-1 ones are deprecated.
/// </summary>
public sealed class UaSecurityAlgorithms
{
    public const string Basic256Sha256Uri = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";
    public const string Aes128Sha256RsaOaepUri = "http://opcfoundation.org/UA/SecurityPolicy#Aes128_Sha256_RsaOaep";
    public const string Aes256Sha256RsaPssUri = "http://opcfoundation.org/UA/SecurityPolicy#Aes256_Sha256_RsaPss";

    private const string RsaSha256Uri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    private const string RsaPssSha256Uri = "http://opcfoundation.org/UA/security/rsa-pss-sha2-256";
    private const string RsaOaepUri = "http://www.w3.org/2001/04/xmlenc#rsa-oaep";
    private const string RsaOaepSha256Uri = "http://opcfoundation.org/UA/security/rsa-oaep-sha2-256";

    public static UaSecurityAlgorithms Basic256Sha256 { get; } =
        new(Basic256Sha256Uri, "Basic256Sha256", 32, RSAEncryptionPadding.OaepSHA1, 42, RsaOaepUri, RSASignaturePadding.Pkcs1, RsaSha256Uri, 3);

    public static UaSecurityAlgorithms Aes128Sha256RsaOaep { get; } =
        new(Aes128Sha256RsaOaepUri, "Aes128_Sha256_RsaOaep", 16, RSAEncryptionPadding.OaepSHA1, 42, RsaOaepUri, RSASignaturePadding.Pkcs1, RsaSha256Uri, 2);

    public static UaSecurityAlgorithms Aes256Sha256RsaPss { get; } =
        new(Aes256Sha256RsaPssUri, "Aes256_Sha256_RsaPss", 32, RSAEncryptionPadding.OaepSHA256, 66, RsaOaepSha256Uri, RSASignaturePadding.Pss, RsaPssSha256Uri, 4);

    /// <summary>Every supported secured policy, most secure first.</summary>
    public static IReadOnlyList<UaSecurityAlgorithms> All { get; } = [Aes256Sha256RsaPss, Basic256Sha256, Aes128Sha256RsaOaep];

    private UaSecurityAlgorithms(string uri, string name, int encryptionKeyLength, RSAEncryptionPadding encryption, int encryptionOverhead,
        string encryptionUri, RSASignaturePadding signature, string signatureUri, int rank)
    {
        PolicyUri = uri;
        Name = name;
        EncryptionKeyLength = encryptionKeyLength;
        AsymmetricEncryption = encryption;
        AsymmetricEncryptionOverhead = encryptionOverhead;
        AsymmetricEncryptionUri = encryptionUri;
        AsymmetricSignature = signature;
        AsymmetricSignatureUri = signatureUri;
        Rank = rank;
    }

    public string PolicyUri { get; }

    /// <summary>The short name after the '#', as technicians write it in the config.</summary>
    public string Name { get; }

    /// <summary>HMAC-SHA256 key length.</summary>
    public int SigningKeyLength => 32;

    /// <summary>AES key length: 16 for AES-128, 32 for AES-256.</summary>
    public int EncryptionKeyLength { get; }

    public int BlockSize => 16;

    public int SymmetricSignatureSize => 32;

    /// <summary>Length of the nonces exchanged in OpenSecureChannel.</summary>
    public int NonceLength => 32;

    public int MinAsymmetricKeyBits => 2048;

    public int MaxAsymmetricKeyBits => 4096;

    public RSAEncryptionPadding AsymmetricEncryption { get; }

    /// <summary>Bytes OAEP takes from each block: 42 with SHA-1, 66 with SHA-256.</summary>
    public int AsymmetricEncryptionOverhead { get; }

    /// <summary>The EncryptionAlgorithm URI of an encrypted UserName token.</summary>
    public string AsymmetricEncryptionUri { get; }

    public RSASignaturePadding AsymmetricSignature { get; }

    /// <summary>The algorithm URI of a SignatureData (session and user token signatures).</summary>
    public string AsymmetricSignatureUri { get; }

    /// <summary>Higher is more secure; the endpoint choice prefers the highest both sides support.</summary>
    public int Rank { get; }

    /// <summary>A policy URI's short name, the part after '#' (<c>Basic256Sha256</c>, <c>None</c>); <paramref name="absent"/> for none.</summary>
    public static string ShortName(string? uri, string absent = "?") => uri is null ? absent : uri[(uri.LastIndexOf('#') + 1)..];

    public static UaSecurityAlgorithms? FromUri(string? uri) => All.FirstOrDefault(a => a.PolicyUri == uri);

    /// <summary>By short name ("Basic256Sha256") or full URI, ignoring case; null when unknown.</summary>
    public static UaSecurityAlgorithms? FromName(string? name) =>
        All.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(a.PolicyUri, name, StringComparison.OrdinalIgnoreCase));

    public byte[] Sign(RSA key, ReadOnlySpan<byte> data) => key.SignData(data, HashAlgorithmName.SHA256, AsymmetricSignature);

    public bool Verify(RSA key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) => key.VerifyData(data, signature, HashAlgorithmName.SHA256, AsymmetricSignature);

    /// <summary>Plaintext bytes per RSA block for a key of <paramref name="keyBytes"/> bytes.</summary>
    public int PlainBlockSize(int keyBytes) => keyBytes - AsymmetricEncryptionOverhead;

    /// <summary>Encrypts <paramref name="plain"/> (a whole number of plaintext blocks, or any length) block by block.</summary>
    public byte[] Encrypt(RSA key, ReadOnlySpan<byte> plain)
    {
        var keyBytes = key.KeySize / 8;
        var plainBlock = PlainBlockSize(keyBytes);
        var blocks = Math.Max(1, (plain.Length + plainBlock - 1) / plainBlock);
        var output = new byte[blocks * keyBytes];
        for (var i = 0; i < blocks; i++)
        {
            var part = plain.Slice(i * plainBlock, Math.Min(plainBlock, plain.Length - i * plainBlock));
            if (!key.TryEncrypt(part, output.AsSpan(i * keyBytes, keyBytes), AsymmetricEncryption, out var written) || written != keyBytes)
            {
                throw new CryptographicException("RSA encryption produced an unexpected block size");
            }
        }

        return output;
    }

    /// <summary>Decrypts whole RSA blocks into <paramref name="destination"/>; returns the plaintext length.</summary>
    public int Decrypt(RSA key, ReadOnlySpan<byte> cipher, Span<byte> destination)
    {
        var keyBytes = key.KeySize / 8;
        if (cipher.Length % keyBytes != 0)
        {
            throw new CryptographicException($"{cipher.Length} encrypted bytes are not a whole number of {keyBytes}-byte blocks");
        }

        var total = 0;
        for (var i = 0; i < cipher.Length; i += keyBytes)
        {
            if (!key.TryDecrypt(cipher.Slice(i, keyBytes), destination[total..], AsymmetricEncryption, out var written))
            {
                throw new CryptographicException("RSA decryption failed");
            }

            total += written;
        }

        return total;
    }

    public override string ToString() => Name;
}
