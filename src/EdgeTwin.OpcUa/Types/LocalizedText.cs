namespace EdgeTwin.OpcUa.Types;

/// <summary>Human-readable text with an optional locale (OPC 10000-3 §8.5). Either part may be absent.</summary>
public readonly record struct LocalizedText(string? Locale, string? Text)
{
    public override string ToString() => Text ?? "";
}
