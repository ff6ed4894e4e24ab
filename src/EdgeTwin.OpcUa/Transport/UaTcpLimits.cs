namespace EdgeTwin.OpcUa.Transport;

/// <summary>
/// What the client offers in Hello. Defaults: 64 KiB chunks both ways, responses up to 16 MiB in at most
/// 4096 chunks. Zero means "no limit" on the wire, which some servers mishandle, so we always send numbers.
/// </summary>
public sealed record UaTcpLimits
{
    /// <summary>The spec's floor for both buffer sizes (OPC 10000-6 §7.1.2.3).</summary>
    public const uint MinBufferSize = 8192;

    public uint ReceiveBufferSize { get; init; } = 65536;

    public uint SendBufferSize { get; init; } = 65536;

    public uint MaxMessageSize { get; init; } = 16 << 20;

    public uint MaxChunkCount { get; init; } = 4096;

    public static UaTcpLimits Default { get; } = new();
}
