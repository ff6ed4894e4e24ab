using System.Buffers;

namespace EdgeTwin.OpcUa.SecureChannel.Security;

// MSG/CLO chunks (OPC 10000-6 §6.7.2.2): | header 16 | sequence header 8 | body | padding | HMAC-SHA256 32 |.
// With SignAndEncrypt the padding (PaddingSize byte, then that many bytes of the same value) fills the encrypted
// part, from the sequence header to the end of the signature, to whole AES blocks.
public sealed partial class UaSecuredPolicy
{
    private const int HeaderSize = UaChunkLayout.SymmetricHeaderSize;

    public override int MaxSymmetricBodySize(int chunkSize)
    {
        var signature = Algorithms.SymmetricSignatureSize;
        if (!Encrypts)
        {
            return chunkSize - HeaderSize - UaChunkLayout.SequenceHeaderSize - signature;
        }

        var encrypted = (chunkSize - HeaderSize) / Algorithms.BlockSize * Algorithms.BlockSize;
        return encrypted - UaChunkLayout.SequenceHeaderSize - signature - 1;
    }

    public override int SecuredSymmetricLength(int plainLength) =>
        Encrypts ? plainLength + 1 + SymmetricPadding(plainLength) + Algorithms.SymmetricSignatureSize : plainLength + Algorithms.SymmetricSignatureSize;

    public override void SecureSymmetricChunk(Span<byte> chunk, int plainLength, uint tokenId)
    {
        var keys = KeysOf(tokenId).Client;
        var end = plainLength;
        if (Encrypts)
        {
            var padding = SymmetricPadding(plainLength);
            chunk.Slice(end, padding + 1).Fill((byte)padding);
            end += padding + 1;
        }

        keys.Sign(chunk[..end], chunk.Slice(end, Algorithms.SymmetricSignatureSize));
        end += Algorithms.SymmetricSignatureSize;
        if (Encrypts)
        {
            keys.Encrypt(chunk[HeaderSize..end]);
        }
    }

    public override ReadOnlySequence<byte> VerifySymmetricChunk(ReadOnlySequence<byte> chunk, uint tokenId)
    {
        var keys = KeysOf(tokenId).Server;
        var length = (int)chunk.Length;
        var signature = Algorithms.SymmetricSignatureSize;
        if (length < HeaderSize + UaChunkLayout.SequenceHeaderSize + signature + (Encrypts ? 1 : 0))
        {
            throw Failed($"a {length}-byte chunk is too short to carry a signature");
        }

        if (!Encrypts && chunk.IsSingleSegment)
        {
            // Signed only: verified where it lies, nothing copied.
            var span = chunk.FirstSpan;
            if (!keys.Verify(span[..(length - signature)], span[(length - signature)..]))
            {
                throw Failed($"the signature of a {length}-byte chunk does not match (token {tokenId})");
            }

            return chunk.Slice(HeaderSize, length - signature - HeaderSize);
        }

        var data = Scratch(length);
        chunk.CopyTo(data);
        if (Encrypts)
        {
            if ((length - HeaderSize) % Algorithms.BlockSize != 0)
            {
                throw Failed($"the encrypted part of a {length}-byte chunk is not a whole number of {Algorithms.BlockSize}-byte blocks");
            }

            keys.Decrypt(data[HeaderSize..]);
        }

        var signed = length - signature;
        if (!keys.Verify(data[..signed], data[signed..]))
        {
            throw Failed($"the signature of a {length}-byte chunk does not match (token {tokenId})");
        }

        var end = signed;
        if (Encrypts)
        {
            int padding = data[end - 1];
            if (HeaderSize + UaChunkLayout.SequenceHeaderSize + padding + 1 > end || data.Slice(end - 1 - padding, padding + 1).IndexOfAnyExcept((byte)padding) >= 0)
            {
                throw Failed("the padding of a chunk is malformed");
            }

            end -= padding + 1;
        }

        return new ReadOnlySequence<byte>(_scratch, HeaderSize, end - HeaderSize);
    }

    // Padding bytes after the PaddingSize byte, so that sequence header + body + PaddingSize + padding + signature fill whole blocks.
    private int SymmetricPadding(int plainLength)
    {
        var block = Algorithms.BlockSize;
        var covered = plainLength - HeaderSize + 1 + Algorithms.SymmetricSignatureSize;
        return (block - covered % block) % block;
    }
}
