namespace EdgeTwin.OpcUa.Types;

/// <summary>A name qualified by a namespace index (OPC 10000-3 §8.3), e.g. a BrowseName.</summary>
public readonly record struct QualifiedName(ushort NamespaceIndex, string? Name)
{
    public bool IsNull => NamespaceIndex == 0 && Name is null;

    public override string ToString() => NamespaceIndex == 0 ? Name ?? "" : $"{NamespaceIndex}:{Name}";
}
