using System.Buffers;
using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>
/// How chunks of one secure channel are protected. The channel asks the policy how much body fits in a chunk,
/// lets it write the asymmetric security header of OPN chunks, and hands it each complete chunk to secure
/// before sending and to verify after receiving. Sign and SignAndEncrypt policies (signature, padding,
/// encryption, OPC 10000-6 §6.7.2) plug in here; <see cref="UaSecurityPolicyNone"/> is the only one today.
/// </summary>
public abstract class UaSecurityPolicy
{
    public abstract string PolicyUri { get; }

    public abstract MessageSecurityMode Mode { get; }

    /// <summary>Writes SecurityPolicyUri, SenderCertificate and ReceiverCertificateThumbprint (OPC 10000-6 §6.7.2.3).</summary>
    public abstract void WriteAsymmetricSecurityHeader(ref UaBinaryWriter writer);

    /// <summary>Reads and checks the server's asymmetric security header of an OPN response.</summary>
    public abstract void ReadAsymmetricSecurityHeader(ref UaBinaryReader reader);

    /// <summary>
    /// The most body bytes a symmetric (MSG/CLO) chunk of <paramref name="chunkSize"/> bytes can carry after
    /// the 16-byte header, the 8-byte sequence header, padding and signature.
    /// </summary>
    public abstract int MaxSymmetricBodySize(int chunkSize);

    /// <summary>Signs and/or encrypts a complete symmetric chunk in place; returns its final length.</summary>
    public abstract int SecureSymmetricChunk(Span<byte> chunk, int length);

    /// <summary>
    /// Verifies (and decrypts) a received symmetric chunk and returns the plaintext that follows the 16-byte
    /// header: sequence header plus body, without padding or signature.
    /// </summary>
    public abstract ReadOnlySequence<byte> VerifySymmetricChunk(ReadOnlySequence<byte> chunk);
}
