namespace EdgeTwin.OpcUa.Encoding;

/// <summary>
/// Bounds every length the decoder reads from the wire before it allocates, so a hostile or broken peer
/// cannot make it allocate more than the message already occupies or recurse without end.
/// </summary>
public sealed record UaEncodingLimits
{
    /// <summary>Largest String or XmlElement, in UTF-8 bytes. Default 1 MiB.</summary>
    public int MaxStringLength { get; init; } = 1 << 20;

    /// <summary>Largest ByteString, in bytes. Default 4 MiB.</summary>
    public int MaxByteStringLength { get; init; } = 4 << 20;

    /// <summary>Most elements in one array (including a flattened matrix). Default 1,000,000.</summary>
    public int MaxArrayLength { get; init; } = 1_000_000;

    /// <summary>
    /// Deepest nesting of Variant in Variant, DiagnosticInfo in DiagnosticInfo and ExtensionObject bodies.
    /// Default 32.
    /// </summary>
    public int MaxNestingDepth { get; init; } = 32;

    /// <summary>Most dimensions of a multi-dimensional Variant. Default 32.</summary>
    public int MaxArrayDimensions { get; init; } = 32;

    public static UaEncodingLimits Default { get; } = new();
}
