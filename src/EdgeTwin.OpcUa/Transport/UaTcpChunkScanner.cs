using System.Buffers;
using System.Buffers.Binary;

namespace EdgeTwin.OpcUa.Transport;

/// <summary>
/// Frames UA TCP chunks out of a byte stream (OPC 10000-6 §7.1.2). A chunk is returned only when all of it
/// is buffered; until then nothing is consumed. The declared size is checked against the limit as soon as
/// the 8-byte header is readable, so an over-limit chunk fails before its body is awaited.
/// </summary>
public static class UaTcpChunkScanner
{
    /// <summary>
    /// Takes one complete chunk off the front of <paramref name="buffer"/>. Returns false, leaving the buffer
    /// untouched, when fewer bytes than a whole chunk are present.
    /// </summary>
    /// <exception cref="UaTcpProtocolException">Unknown message or chunk type, or a size below the header or above <paramref name="maxChunkSize"/>.</exception>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, uint maxChunkSize, out UaTcpChunkHeader header, out ReadOnlySequence<byte> chunk)
    {
        chunk = default;
        if (!TryReadHeader(buffer, maxChunkSize, out header))
        {
            return false;
        }

        if (buffer.Length < header.MessageSize)
        {
            return false;
        }

        chunk = buffer.Slice(0, header.MessageSize);
        buffer = buffer.Slice(header.MessageSize);
        return true;
    }

    /// <summary>Parses and checks the header without consuming anything; false when fewer than 8 bytes are present.</summary>
    public static bool TryReadHeader(ReadOnlySequence<byte> buffer, uint maxChunkSize, out UaTcpChunkHeader header)
    {
        header = default;
        if (buffer.Length < UaTcpChunkHeader.Size)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[UaTcpChunkHeader.Size];
        buffer.Slice(0, UaTcpChunkHeader.Size).CopyTo(bytes);
        var typeAndChunk = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        var size = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        var type = (UaTcpMessageType)(typeAndChunk & 0x00FF_FFFF);
        var chunkType = (UaTcpChunkType)(typeAndChunk >> 24);
        if (!Enum.IsDefined(type))
        {
            throw new UaTcpProtocolException(StatusCode.BadTcpMessageTypeInvalid, $"unknown message type 0x{(uint)type:X6} at the chunk header");
        }

        if (chunkType is not (UaTcpChunkType.Final or UaTcpChunkType.Intermediate or UaTcpChunkType.Abort)
            || (chunkType != UaTcpChunkType.Final && type != UaTcpMessageType.Message))
        {
            throw new UaTcpProtocolException(StatusCode.BadTcpMessageTypeInvalid, $"chunk type 0x{(byte)chunkType:X2} is not valid for {type}");
        }

        if (size < UaTcpChunkHeader.Size)
        {
            throw new UaTcpProtocolException(StatusCode.BadTcpMessageTooLarge, $"{type} chunk declares {size} bytes, less than its own header");
        }

        if (maxChunkSize != 0 && size > maxChunkSize)
        {
            throw new UaTcpProtocolException(StatusCode.BadTcpMessageTooLarge, $"{type} chunk declares {size} bytes, over the negotiated limit of {maxChunkSize}");
        }

        header = new UaTcpChunkHeader(type, chunkType, size);
        return true;
    }

    /// <summary>Writes a header for a chunk of <paramref name="size"/> bytes into the first 8 bytes of <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, UaTcpMessageType type, UaTcpChunkType chunkType, uint size)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)type | ((uint)chunkType << 24));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], size);
    }
}
