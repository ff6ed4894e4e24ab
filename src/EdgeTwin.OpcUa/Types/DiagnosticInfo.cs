namespace EdgeTwin.OpcUa.Types;

/// <summary>
/// Vendor diagnostics for a service or operation result (OPC 10000-4 §7.12). The Int32 fields are indexes
/// into the response header's string table; -1 means absent.
/// </summary>
public sealed record DiagnosticInfo
{
    public int SymbolicId { get; init; } = -1;

    public int NamespaceUri { get; init; } = -1;

    public int Locale { get; init; } = -1;

    public int LocalizedText { get; init; } = -1;

    public string? AdditionalInfo { get; init; }

    public StatusCode? InnerStatusCode { get; init; }

    public DiagnosticInfo? InnerDiagnosticInfo { get; init; }

    public static DiagnosticInfo Empty { get; } = new();
}
