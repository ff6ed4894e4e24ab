using System.Buffers;
using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>SecurityPolicy None: no certificates, no signature, no padding (OPC 10000-7 "None").</summary>
public sealed class UaSecurityPolicyNone : UaSecurityPolicy
{
    public const string Uri = "http://opcfoundation.org/UA/SecurityPolicy#None";

    public static UaSecurityPolicyNone Instance { get; } = new();

    public override string PolicyUri => Uri;

    public override MessageSecurityMode Mode => MessageSecurityMode.None;

    public override void WriteAsymmetricSecurityHeader(ref UaBinaryWriter writer)
    {
        writer.WriteString(Uri);
        writer.WriteByteString((byte[]?)null);
        writer.WriteByteString((byte[]?)null);
    }

    public override void ReadAsymmetricSecurityHeader(ref UaBinaryReader reader)
    {
        var start = reader.Position;
        var uri = reader.ReadString();
        if (uri != Uri)
        {
            throw new UaDecodingException(StatusCode.BadSecurityChecksFailed, start, $"the server answered with security policy '{uri}', not None");
        }

        reader.ReadByteString();
        reader.ReadByteString();
    }

    public override int MaxSymmetricBodySize(int chunkSize) => chunkSize - UaChunkLayout.SymmetricHeaderSize - UaChunkLayout.SequenceHeaderSize;

    public override int SecuredSymmetricLength(int plainLength) => plainLength;

    public override void SecureSymmetricChunk(Span<byte> chunk, int plainLength, uint tokenId)
    {
    }

    public override ReadOnlySequence<byte> VerifySymmetricChunk(ReadOnlySequence<byte> chunk, uint tokenId) => chunk.Slice(UaChunkLayout.SymmetricHeaderSize);
}
