using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Transport;

namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>Settings of one secure channel. Every default is stated on its property.</summary>
public sealed record UaSecureChannelOptions
{
    /// <summary>Token lifetime asked for in OPN, in ms. Default 1 hour; the server may revise it.</summary>
    public uint RequestedLifetime { get; init; } = 3_600_000;

    /// <summary>Fraction of the revised lifetime after which the token is renewed. Default 0.75 (OPC 10000-4 §5.6.2.1).</summary>
    public double RenewalFraction { get; init; } = 0.75;

    /// <summary>How long a request waits for its response before failing with BadRequestTimeout. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Chunk and message sizes offered in Hello.</summary>
    public UaTcpLimits TcpLimits { get; init; } = UaTcpLimits.Default;

    /// <summary>Bounds for decoding responses.</summary>
    public UaEncodingLimits EncodingLimits { get; init; } = UaEncodingLimits.Default;

    /// <summary>Policy, mode, certificates and trust. Default SecurityPolicy None.</summary>
    public UaChannelSecurity Security { get; init; } = UaChannelSecurity.None;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
