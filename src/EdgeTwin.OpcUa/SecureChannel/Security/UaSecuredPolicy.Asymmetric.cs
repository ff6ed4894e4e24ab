using System.Buffers;
using System.Buffers.Binary;

namespace EdgeTwin.OpcUa.SecureChannel.Security;

// OPN chunks (OPC 10000-6 §6.7.2): | header 8 | channel id 4 | asymmetric security header | sequence header 8 | body |
// padding | signature |. The signature (sender's key, over everything before it) and the padding are encrypted with
// the receiver's public key, from the sequence header on, in RSA blocks. The padding is the PaddingSize byte, that
// many bytes of its value, and, when the receiver's key is over 2048 bits, an ExtraPaddingSize byte with the high byte.
public sealed partial class UaSecuredPolicy
{
    public override ReadOnlyMemory<byte> SecureAsymmetricChunk(byte[] chunk, int length, int sequenceOffset)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        var cipherBlock = _serverKey.KeySize / 8;
        var plainBlock = Algorithms.PlainBlockSize(cipherBlock);
        var signatureSize = _ownKey.KeySize / 8;
        var extra = cipherBlock > 256;
        var covered = length - sequenceOffset + 1 + (extra ? 1 : 0) + signatureSize;
        var padding = (plainBlock - covered % plainBlock) % plainBlock;
        var plainTotal = covered + padding;
        var encryptedLength = sequenceOffset + plainTotal / plainBlock * cipherBlock;

        var plain = new byte[sequenceOffset + plainTotal];
        chunk.AsSpan(0, length).CopyTo(plain);
        var at = length;
        plain.AsSpan(at, padding + 1).Fill((byte)padding);
        at += padding + 1;
        if (extra)
        {
            plain[at++] = (byte)(padding >> 8);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(plain.AsSpan(4), (uint)encryptedLength);
        var signature = Algorithms.Sign(_ownKey, plain.AsSpan(0, at));
        signature.CopyTo(plain, at);

        var output = new byte[encryptedLength];
        plain.AsSpan(0, sequenceOffset).CopyTo(output);
        var encrypted = Algorithms.Encrypt(_serverKey, plain.AsSpan(sequenceOffset));
        encrypted.CopyTo(output, sequenceOffset);
        return output;
    }

    public override ReadOnlySequence<byte> VerifyAsymmetricChunk(ReadOnlySequence<byte> chunk, int sequenceOffset)
    {
        var length = (int)chunk.Length;
        var data = new byte[length];
        chunk.CopyTo(data);
        var cipherBlock = _ownKey.KeySize / 8;
        if ((length - sequenceOffset) % cipherBlock != 0 || length == sequenceOffset)
        {
            throw Failed($"the encrypted part of the OpenSecureChannel response is not a whole number of {cipherBlock}-byte RSA blocks");
        }

        int plainLength;
        try
        {
            plainLength = Algorithms.Decrypt(_ownKey, data.AsSpan(sequenceOffset), data.AsSpan(sequenceOffset));
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw Failed($"the OpenSecureChannel response cannot be decrypted with our key: {ex.Message}");
        }

        var signatureSize = _serverKey.KeySize / 8;
        var end = sequenceOffset + plainLength;
        var signed = end - signatureSize;
        if (signed <= sequenceOffset + UaChunkLayout.SequenceHeaderSize || !Algorithms.Verify(_serverKey, data.AsSpan(0, signed), data.AsSpan(signed, signatureSize)))
        {
            throw Failed("the signature of the OpenSecureChannel response does not match the server's certificate");
        }

        var extra = cipherBlock > 256;
        var padding = extra ? data[signed - 2] | (data[signed - 1] << 8) : data[signed - 1];
        var bodyEnd = signed - (extra ? 1 : 0) - padding - 1;
        if (bodyEnd < sequenceOffset + UaChunkLayout.SequenceHeaderSize
            || data.AsSpan(bodyEnd, padding + 1).IndexOfAnyExcept((byte)padding) >= 0)
        {
            throw Failed("the padding of the OpenSecureChannel response is malformed");
        }

        return new ReadOnlySequence<byte>(data, sequenceOffset, bodyEnd - sequenceOffset);
    }
}
