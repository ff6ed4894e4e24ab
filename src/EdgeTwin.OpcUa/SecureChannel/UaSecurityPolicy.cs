using System.Buffers;
using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>
/// How chunks of one secure channel are protected (OPC 10000-6 §6.7.2). The channel asks the policy how much
/// body fits in a chunk, lets it write the asymmetric security header of OPN chunks, hands it each complete
/// chunk to secure before sending and to verify after receiving, and tells it each token's nonces so it can
/// derive that token's keys. A secured policy keeps per-channel state: each channel gets its own instance.
/// </summary>
public abstract class UaSecurityPolicy
{
    public abstract string PolicyUri { get; }

    public abstract MessageSecurityMode Mode { get; }

    /// <summary>The client nonce for an OpenSecureChannel request; null for None.</summary>
    public virtual byte[]? CreateClientNonce() => null;

    /// <summary>
    /// Derives the keys of a token the server issued, from both nonces (OPC 10000-6 §6.7.5), and forgets those of every
    /// token but it and <paramref name="previousTokenId"/> (still valid for what the server sent before the switch).
    /// </summary>
    public virtual void AddToken(uint tokenId, byte[]? clientNonce, byte[]? serverNonce, uint previousTokenId)
    {
    }

    /// <summary>Writes SecurityPolicyUri, SenderCertificate and ReceiverCertificateThumbprint (OPC 10000-6 §6.7.2.3).</summary>
    public abstract void WriteAsymmetricSecurityHeader(ref UaBinaryWriter writer);

    /// <summary>Reads and checks the server's asymmetric security header of an OPN response.</summary>
    public abstract void ReadAsymmetricSecurityHeader(ref UaBinaryReader reader);

    /// <summary>
    /// Signs and encrypts a complete OPN chunk whose header, security header, sequence header and body are in
    /// <paramref name="chunk"/>; the sequence header starts at <paramref name="sequenceOffset"/>. Returns the chunk
    /// as sent, its size field set. None returns the chunk as it is.
    /// </summary>
    public virtual ReadOnlyMemory<byte> SecureAsymmetricChunk(byte[] chunk, int length, int sequenceOffset) => chunk.AsMemory(0, length);

    /// <summary>
    /// Decrypts and verifies a received OPN chunk; returns the sequence header and body, without padding or signature.
    /// </summary>
    public virtual ReadOnlySequence<byte> VerifyAsymmetricChunk(ReadOnlySequence<byte> chunk, int sequenceOffset) => chunk.Slice(sequenceOffset);

    /// <summary>
    /// The most body bytes a symmetric (MSG/CLO) chunk of <paramref name="chunkSize"/> bytes can carry after
    /// the 16-byte header, the 8-byte sequence header, padding and signature.
    /// </summary>
    public abstract int MaxSymmetricBodySize(int chunkSize);

    /// <summary>The length a symmetric chunk of <paramref name="plainLength"/> bytes has once secured (padding and signature added).</summary>
    public abstract int SecuredSymmetricLength(int plainLength);

    /// <summary>
    /// Signs and/or encrypts a complete symmetric chunk in place: its header already carries the secured length,
    /// the plaintext is <paramref name="plainLength"/> bytes, and it is protected with the keys of <paramref name="tokenId"/>.
    /// </summary>
    public abstract void SecureSymmetricChunk(Span<byte> chunk, int plainLength, uint tokenId);

    /// <summary>
    /// Verifies (and decrypts) a received symmetric chunk with the keys of <paramref name="tokenId"/> and returns
    /// the plaintext that follows the 16-byte header: sequence header plus body, without padding or signature.
    /// The result is valid until the next chunk is verified.
    /// </summary>
    public abstract ReadOnlySequence<byte> VerifySymmetricChunk(ReadOnlySequence<byte> chunk, uint tokenId);
}
