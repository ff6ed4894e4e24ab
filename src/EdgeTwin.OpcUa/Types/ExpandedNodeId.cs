using System.Globalization;
using System.Text;

namespace EdgeTwin.OpcUa.Types;

/// <summary>
/// A NodeId that may name its namespace by URI instead of index and may point into another server
/// (OPC 10000-4 §7.16). Config files use the URI form (<c>nsu=urn:plc;s=Line1.Pressure</c>) so that a
/// server reordering its namespace array cannot remap a reading to another node.
/// </summary>
public readonly record struct ExpandedNodeId(NodeId NodeId, string? NamespaceUri = null, uint ServerIndex = 0)
{
    public bool IsNull => NodeId.IsNull && NamespaceUri is null && ServerIndex == 0;

    /// <summary>Parses <c>[svr=N;][ns=N;|nsu=URI;]i=…|s=…|g=…|b=…</c> (OPC 10000-6 §5.1.12/§5.3.1.11).</summary>
    public static ExpandedNodeId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rest = text.AsSpan();
        uint server = 0;
        ushort ns = 0;
        string? uri = null;
        if (rest.StartsWith("svr="))
        {
            var end = rest.IndexOf(';');
            if (end < 0 || !uint.TryParse(rest[4..end], NumberStyles.None, CultureInfo.InvariantCulture, out server))
            {
                throw new FormatException($"'{text}': svr= needs an unsigned number followed by ';'");
            }

            rest = rest[(end + 1)..];
        }

        if (rest.StartsWith("nsu="))
        {
            var end = rest.IndexOf(';');
            if (end < 0)
            {
                throw new FormatException($"'{text}': nsu= needs a URI followed by ';'");
            }

            uri = Unescape(rest[4..end], text);
            if (uri.Length == 0)
            {
                throw new FormatException($"'{text}': nsu= has an empty URI");
            }

            rest = rest[(end + 1)..];
        }
        else if (rest.StartsWith("ns="))
        {
            var end = rest.IndexOf(';');
            if (end < 0 || !ushort.TryParse(rest[3..end], NumberStyles.None, CultureInfo.InvariantCulture, out ns))
            {
                throw new FormatException($"'{text}': ns= needs a namespace index (0-65535) followed by ';'");
            }

            rest = rest[(end + 1)..];
        }

        return new ExpandedNodeId(NodeId.ParseIdentifier(rest, ns, text), uri, server);
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        if (ServerIndex != 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"svr={ServerIndex};");
        }

        if (NamespaceUri is not null)
        {
            text.Append("nsu=").Append(Escape(NamespaceUri)).Append(';').Append(NodeId.IdentifierToString());
            return text.ToString();
        }

        return text.Append(NodeId.ToString()).ToString();
    }

    // OPC 10000-6 §5.3.1.11: ';' and '%' inside the URI are percent-encoded.
    private static string Escape(string uri) => uri.Replace("%", "%25", StringComparison.Ordinal).Replace(";", "%3B", StringComparison.Ordinal);

    private static string Unescape(ReadOnlySpan<char> uri, string whole)
    {
        if (uri.IndexOf('%') < 0)
        {
            return uri.ToString();
        }

        var text = new StringBuilder(uri.Length);
        for (var i = 0; i < uri.Length; i++)
        {
            if (uri[i] != '%')
            {
                text.Append(uri[i]);
                continue;
            }

            if (i + 2 >= uri.Length || !byte.TryParse(uri.Slice(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
            {
                throw new FormatException($"'{whole}': '%' in nsu= must be followed by two hex digits");
            }

            text.Append((char)code);
            i += 2;
        }

        return text.ToString();
    }
}
