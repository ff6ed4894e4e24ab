namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>
/// Fixed parts of secure conversation chunks (OPC 10000-6 §6.7.2):
/// <code>
/// MSG/CLO: | header 8 | SecureChannelId 4 | TokenId 4 | SequenceNumber 4 | RequestId 4 | body... |
/// OPN:     | header 8 | SecureChannelId 4 | asymmetric security header | SequenceNumber 4 | RequestId 4 | body |
/// </code>
/// </summary>
public static class UaChunkLayout
{
    public const int SymmetricHeaderSize = 16;
    public const int SequenceHeaderSize = 8;
}
