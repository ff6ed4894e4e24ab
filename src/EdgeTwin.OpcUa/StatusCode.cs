namespace EdgeTwin.OpcUa;

/// <summary>
/// An OPC UA StatusCode (OPC 10000-4 §7.39, bit layout OPC 10000-6 §5.2.2.11): severity in bits 31-30,
/// sub-code in 27-16, info bits below. Codes compare by their high 16 bits.
/// </summary>
public readonly record struct StatusCode(uint Code)
{
    public const uint SeverityMask = 0xC000_0000;

    public static readonly StatusCode Good = new(0);
    public static readonly StatusCode Uncertain = new(0x4000_0000);
    public static readonly StatusCode Bad = new(0x8000_0000);

    public static readonly StatusCode BadUnexpectedError = new(0x8001_0000);
    public static readonly StatusCode BadInternalError = new(0x8002_0000);
    public static readonly StatusCode BadOutOfMemory = new(0x8003_0000);
    public static readonly StatusCode BadCommunicationError = new(0x8005_0000);
    public static readonly StatusCode BadEncodingError = new(0x8006_0000);
    public static readonly StatusCode BadDecodingError = new(0x8007_0000);
    public static readonly StatusCode BadEncodingLimitsExceeded = new(0x8008_0000);
    public static readonly StatusCode BadUnknownResponse = new(0x8009_0000);
    public static readonly StatusCode BadTimeout = new(0x800A_0000);
    public static readonly StatusCode BadServiceUnsupported = new(0x800B_0000);
    public static readonly StatusCode BadShutdown = new(0x800C_0000);
    public static readonly StatusCode BadSecurityChecksFailed = new(0x8013_0000);
    public static readonly StatusCode BadCertificateInvalid = new(0x8012_0000);
    public static readonly StatusCode BadCertificateTimeInvalid = new(0x8014_0000);
    public static readonly StatusCode BadCertificateHostNameInvalid = new(0x8016_0000);
    public static readonly StatusCode BadCertificateUriInvalid = new(0x8017_0000);
    public static readonly StatusCode BadCertificateUseNotAllowed = new(0x8018_0000);
    public static readonly StatusCode BadCertificateUntrusted = new(0x801A_0000);
    public static readonly StatusCode BadCertificateChainIncomplete = new(0x810D_0000);
    public static readonly StatusCode BadNonceInvalid = new(0x8024_0000);
    public static readonly StatusCode BadSecurityModeRejected = new(0x8054_0000);
    public static readonly StatusCode BadSecurityPolicyRejected = new(0x8055_0000);
    public static readonly StatusCode BadApplicationSignatureInvalid = new(0x8058_0000);
    public static readonly StatusCode BadUserAccessDenied = new(0x801F_0000);
    public static readonly StatusCode BadIdentityTokenInvalid = new(0x8020_0000);
    public static readonly StatusCode BadIdentityTokenRejected = new(0x8021_0000);
    public static readonly StatusCode BadSecureChannelIdInvalid = new(0x8022_0000);
    public static readonly StatusCode BadSessionIdInvalid = new(0x8025_0000);
    public static readonly StatusCode BadSessionClosed = new(0x8026_0000);
    public static readonly StatusCode BadSessionNotActivated = new(0x8027_0000);
    public static readonly StatusCode BadSubscriptionIdInvalid = new(0x8028_0000);
    public static readonly StatusCode BadNoCommunication = new(0x8031_0000);
    public static readonly StatusCode BadNodeIdInvalid = new(0x8033_0000);
    public static readonly StatusCode BadNodeIdUnknown = new(0x8034_0000);
    public static readonly StatusCode BadMonitoredItemFilterInvalid = new(0x8043_0000);
    public static readonly StatusCode BadMonitoredItemFilterUnsupported = new(0x8044_0000);
    public static readonly StatusCode BadFilterNotAllowed = new(0x8045_0000);
    public static readonly StatusCode BadTcpMessageTypeInvalid = new(0x807E_0000);
    public static readonly StatusCode BadTcpSecureChannelUnknown = new(0x807F_0000);
    public static readonly StatusCode BadTcpMessageTooLarge = new(0x8080_0000);
    public static readonly StatusCode BadTcpNotEnoughResources = new(0x8081_0000);
    public static readonly StatusCode BadTcpInternalError = new(0x8082_0000);
    public static readonly StatusCode BadTcpEndpointUrlInvalid = new(0x8083_0000);
    public static readonly StatusCode BadRequestInterrupted = new(0x8084_0000);
    public static readonly StatusCode BadRequestTimeout = new(0x8085_0000);
    public static readonly StatusCode BadSecureChannelClosed = new(0x8086_0000);
    public static readonly StatusCode BadSecureChannelTokenUnknown = new(0x8087_0000);
    public static readonly StatusCode BadSequenceNumberInvalid = new(0x8088_0000);
    public static readonly StatusCode BadDeadbandFilterInvalid = new(0x808E_0000);
    public static readonly StatusCode BadProtocolVersionUnsupported = new(0x80BE_0000);
    public static readonly StatusCode BadNotConnected = new(0x808A_0000);
    public static readonly StatusCode BadConnectionClosed = new(0x80AE_0000);
    public static readonly StatusCode BadRequestTooLarge = new(0x80B8_0000);
    public static readonly StatusCode BadResponseTooLarge = new(0x80B9_0000);

    public bool IsGood => (Code & SeverityMask) == 0;
    public bool IsUncertain => (Code & SeverityMask) == 0x4000_0000;
    public bool IsBad => (Code & 0x8000_0000) != 0;

    /// <summary>True when both codes name the same condition; the low 16 bits are flags.</summary>
    public bool Is(StatusCode other) => (Code & 0xFFFF_0000) == (other.Code & 0xFFFF_0000);

    public override string ToString() => $"0x{Code:X8}";
}
