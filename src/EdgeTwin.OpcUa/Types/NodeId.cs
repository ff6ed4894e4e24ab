using System.Globalization;

namespace EdgeTwin.OpcUa.Types;

/// <summary>
/// A node's identity inside one server: namespace index plus a numeric, string, GUID or opaque identifier
/// (OPC 10000-3 §8.2). Numeric ids are stored inline; the others keep one reference.
/// </summary>
public readonly struct NodeId : IEquatable<NodeId>
{
    private readonly uint _numeric;
    private readonly object? _identifier;

    public NodeId(uint identifier, ushort namespaceIndex = 0)
    {
        NamespaceIndex = namespaceIndex;
        IdType = NodeIdType.Numeric;
        _numeric = identifier;
        _identifier = null;
    }

    public NodeId(string identifier, ushort namespaceIndex)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        NamespaceIndex = namespaceIndex;
        IdType = NodeIdType.String;
        _numeric = 0;
        _identifier = identifier;
    }

    public NodeId(Guid identifier, ushort namespaceIndex)
    {
        NamespaceIndex = namespaceIndex;
        IdType = NodeIdType.Guid;
        _numeric = 0;
        _identifier = identifier;
    }

    public NodeId(byte[] identifier, ushort namespaceIndex)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        NamespaceIndex = namespaceIndex;
        IdType = NodeIdType.Opaque;
        _numeric = 0;
        _identifier = identifier;
    }

    public static NodeId Null => default;

    public ushort NamespaceIndex { get; }

    public NodeIdType IdType { get; }

    public bool IsNull => NamespaceIndex == 0 && IdType switch
    {
        NodeIdType.Numeric => _numeric == 0,
        NodeIdType.String => ((string)_identifier!).Length == 0,
        NodeIdType.Guid => (Guid)_identifier! == Guid.Empty,
        _ => ((byte[])_identifier!).Length == 0,
    };

    public uint NumericIdentifier => IdType == NodeIdType.Numeric ? _numeric : throw WrongType(NodeIdType.Numeric);

    public string StringIdentifier => IdType == NodeIdType.String ? (string)_identifier! : throw WrongType(NodeIdType.String);

    public Guid GuidIdentifier => IdType == NodeIdType.Guid ? (Guid)_identifier! : throw WrongType(NodeIdType.Guid);

    public byte[] OpaqueIdentifier => IdType == NodeIdType.Opaque ? (byte[])_identifier! : throw WrongType(NodeIdType.Opaque);

    /// <summary>The same identifier in another namespace (used when resolving <c>nsu=</c> forms).</summary>
    public NodeId WithNamespace(ushort namespaceIndex) => IdType switch
    {
        NodeIdType.Numeric => new NodeId(_numeric, namespaceIndex),
        NodeIdType.String => new NodeId((string)_identifier!, namespaceIndex),
        NodeIdType.Guid => new NodeId((Guid)_identifier!, namespaceIndex),
        _ => new NodeId((byte[])_identifier!, namespaceIndex),
    };

    public bool Equals(NodeId other)
    {
        if (NamespaceIndex != other.NamespaceIndex || IdType != other.IdType)
        {
            return false;
        }

        return IdType switch
        {
            NodeIdType.Numeric => _numeric == other._numeric,
            NodeIdType.String => string.Equals((string)_identifier!, (string)other._identifier!, StringComparison.Ordinal),
            NodeIdType.Guid => (Guid)_identifier! == (Guid)other._identifier!,
            _ => ((byte[])_identifier!).AsSpan().SequenceEqual((byte[])other._identifier!),
        };
    }

    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(NamespaceIndex);
        hash.Add(IdType);
        switch (IdType)
        {
            case NodeIdType.Numeric: hash.Add(_numeric); break;
            case NodeIdType.String: hash.Add((string)_identifier!, StringComparer.Ordinal); break;
            case NodeIdType.Guid: hash.Add((Guid)_identifier!); break;
            default: hash.AddBytes((byte[])_identifier!); break;
        }

        return hash.ToHashCode();
    }

    public static bool operator ==(NodeId left, NodeId right) => left.Equals(right);

    public static bool operator !=(NodeId left, NodeId right) => !left.Equals(right);

    /// <summary>The string form of OPC 10000-6 §5.1.12: <c>[ns=N;]i=…|s=…|g=…|b=…</c>.</summary>
    public override string ToString()
    {
        var prefix = NamespaceIndex == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"ns={NamespaceIndex};");
        return prefix + IdentifierToString();
    }

    internal string IdentifierToString() => IdType switch
    {
        NodeIdType.Numeric => string.Create(CultureInfo.InvariantCulture, $"i={_numeric}"),
        NodeIdType.String => "s=" + (string)_identifier!,
        NodeIdType.Guid => "g=" + ((Guid)_identifier!).ToString("D"),
        _ => "b=" + Convert.ToBase64String((byte[])_identifier!),
    };

    /// <summary>Parses <c>[ns=N;]i=…|s=…|g=…|b=…</c>. For the <c>nsu=</c> form use <see cref="ExpandedNodeId.Parse"/>.</summary>
    public static NodeId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var expanded = ExpandedNodeId.Parse(text);
        if (expanded.NamespaceUri is not null || expanded.ServerIndex != 0)
        {
            throw new FormatException($"'{text}' is an expanded node id (nsu= or svr=); resolve it against the server's namespace array");
        }

        return expanded.NodeId;
    }

    internal static NodeId ParseIdentifier(ReadOnlySpan<char> text, ushort namespaceIndex, string whole)
    {
        if (text.Length < 2 || text[1] != '=')
        {
            throw new FormatException($"'{whole}': expected i=, s=, g= or b= after the namespace");
        }

        var value = text[2..];
        switch (text[0])
        {
            case 'i':
                if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric))
                {
                    throw new FormatException($"'{whole}': i= needs an unsigned 32-bit decimal number");
                }

                return new NodeId(numeric, namespaceIndex);
            case 's':
                return new NodeId(value.ToString(), namespaceIndex);
            case 'g':
                if (!Guid.TryParseExact(value, "D", out var guid))
                {
                    throw new FormatException($"'{whole}': g= needs a GUID in 8-4-4-4-12 form");
                }

                return new NodeId(guid, namespaceIndex);
            case 'b':
                try
                {
                    return new NodeId(Convert.FromBase64String(value.ToString()), namespaceIndex);
                }
                catch (FormatException)
                {
                    throw new FormatException($"'{whole}': b= needs base64");
                }

            default:
                throw new FormatException($"'{whole}': unknown identifier type '{text[0]}' (expected i, s, g or b)");
        }
    }

    private static InvalidOperationException WrongType(NodeIdType wanted) => new($"the node id is not of type {wanted}");
}
