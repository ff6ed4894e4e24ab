namespace EdgeTwin.OpcUa.Transport;

/// <summary>
/// The limits in force after Hello/Acknowledge. Send limits come from the server's ACK (0 = no limit);
/// receive limits are the smaller of what we offered and what the server says it sends.
/// </summary>
public sealed record UaTcpNegotiatedLimits(uint SendChunkSize, uint ReceiveChunkSize, uint MaxRequestSize, uint MaxRequestChunks, uint MaxResponseSize, uint MaxResponseChunks)
{
    /// <summary>
    /// Checks an ACK against our Hello (OPC 10000-6 §7.1.2.4): the server may only lower the buffer sizes,
    /// and neither may drop below 8192 bytes.
    /// </summary>
    public static UaTcpNegotiatedLimits Negotiate(UaTcpHello hello, UaTcpAcknowledge ack)
    {
        if (ack.ProtocolVersion > hello.ProtocolVersion)
        {
            throw new UaTcpProtocolException(StatusCode.BadProtocolVersionUnsupported, $"the server acknowledged protocol version {ack.ProtocolVersion}, above the {hello.ProtocolVersion} we asked for");
        }

        if (ack.ReceiveBufferSize > hello.SendBufferSize || ack.SendBufferSize > hello.ReceiveBufferSize)
        {
            throw new UaTcpProtocolException(StatusCode.BadTcpNotEnoughResources, $"the server's buffer sizes (receive {ack.ReceiveBufferSize}, send {ack.SendBufferSize}) exceed ours (send {hello.SendBufferSize}, receive {hello.ReceiveBufferSize})");
        }

        if (ack.ReceiveBufferSize < UaTcpLimits.MinBufferSize || ack.SendBufferSize < UaTcpLimits.MinBufferSize)
        {
            throw new UaTcpProtocolException(StatusCode.BadTcpNotEnoughResources, $"the server's buffer sizes (receive {ack.ReceiveBufferSize}, send {ack.SendBufferSize}) are below the minimum of {UaTcpLimits.MinBufferSize}");
        }

        return new UaTcpNegotiatedLimits(
            SendChunkSize: ack.ReceiveBufferSize,
            ReceiveChunkSize: ack.SendBufferSize,
            MaxRequestSize: ack.MaxMessageSize,
            MaxRequestChunks: ack.MaxChunkCount,
            MaxResponseSize: hello.MaxMessageSize,
            MaxResponseChunks: hello.MaxChunkCount);
    }
}
