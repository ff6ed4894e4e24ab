namespace EdgeTwin.OpcUa.Types;

/// <summary>
/// A structure carried opaquely: the NodeId of its encoding plus the encoded body. Service code decodes the
/// bodies it knows (DataChangeNotification, ServerStatusDataType...) from <see cref="Body"/>.
/// </summary>
public sealed class ExtensionObject : IEquatable<ExtensionObject>
{
    public ExtensionObject(NodeId typeId, ExtensionObjectEncoding encoding, ReadOnlyMemory<byte> body)
    {
        TypeId = typeId;
        Encoding = encoding;
        Body = encoding == ExtensionObjectEncoding.None ? ReadOnlyMemory<byte>.Empty : body;
    }

    public static ExtensionObject Null { get; } = new(NodeId.Null, ExtensionObjectEncoding.None, default);

    public NodeId TypeId { get; }

    public ExtensionObjectEncoding Encoding { get; }

    public ReadOnlyMemory<byte> Body { get; }

    public bool IsNull => TypeId.IsNull && Encoding == ExtensionObjectEncoding.None;

    public bool Equals(ExtensionObject? other) =>
        other is not null && TypeId == other.TypeId && Encoding == other.Encoding && Body.Span.SequenceEqual(other.Body.Span);

    public override bool Equals(object? obj) => Equals(obj as ExtensionObject);

    public override int GetHashCode() => HashCode.Combine(TypeId, Encoding, Body.Length);
}
