using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeTwin.OpcUa;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Gateway.Cli.OpcUa;

/// <summary>The discovery verbs: endpoints, read, browse. `map` is in <see cref="OpcUaMapVerb"/>.</summary>
internal static class OpcUaVerbs
{
    public static Task<int> EndpointsAsync(OpcUaTarget target, bool json, CancellationToken cancellationToken) =>
        OpcUaConnection.RunAsync(target, async token =>
        {
            var endpoints = await UaDiscovery.GetEndpointsAsync(target.Url, target.ChannelOptions, token).ConfigureAwait(false);
            if (json)
            {
                WriteJson(w =>
                {
                    w.WriteStartArray();
                    foreach (var e in endpoints)
                    {
                        w.WriteStartObject();
                        w.WriteString("endpointUrl", e.EndpointUrl);
                        w.WriteString("securityMode", e.SecurityMode.ToString());
                        w.WriteString("securityPolicyUri", e.SecurityPolicyUri);
                        w.WriteNumber("securityLevel", e.SecurityLevel);
                        w.WriteString("transportProfileUri", e.TransportProfileUri);
                        w.WriteString("applicationUri", e.Server.ApplicationUri);
                        w.WriteString("applicationName", e.Server.ApplicationName.Text);
                        w.WriteStartArray("userIdentityTokens");
                        foreach (var t in e.UserIdentityTokens)
                        {
                            w.WriteStartObject();
                            w.WriteString("policyId", t.PolicyId);
                            w.WriteString("tokenType", t.TokenType.ToString());
                            w.WriteString("securityPolicyUri", t.SecurityPolicyUri);
                            w.WriteEndObject();
                        }

                        w.WriteEndArray();
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                });
                return ExitCodes.Ok;
            }

            Console.WriteLine($"{endpoints.Length} endpoint(s) of {target.Url}");
            foreach (var e in endpoints)
            {
                var usable = e.SecurityMode == MessageSecurityMode.None ? "  (usable by EdgeTwin)" : "";
                Console.WriteLine($"  {e.EndpointUrl}  {e.SecurityMode}  {UaSecurityAlgorithms.ShortName(e.SecurityPolicyUri, "-")}  level {e.SecurityLevel}{usable}");
                Console.WriteLine($"    server {e.Server.ApplicationName.Text} ({e.Server.ApplicationUri})");
                Console.WriteLine($"    identities: {string.Join(", ", e.UserIdentityTokens.Select(t => t.TokenType + (string.IsNullOrEmpty(t.SecurityPolicyUri) ? "" : "/" + UaSecurityAlgorithms.ShortName(t.SecurityPolicyUri, "-"))))}");
            }

            return ExitCodes.Ok;
        }, cancellationToken);

    public static Task<int> ReadAsync(OpcUaTarget target, string[] nodes, bool json, CancellationToken cancellationToken) =>
        OpcUaConnection.RunAsync(target, async token =>
        {
            if (nodes.Length == 0) throw new OpcUaUsageException("name at least one node to read");
            foreach (var text in nodes) OpcUaConnection.ParseNodeId(text); // a typo fails before we connect
            await using var connection = await OpcUaConnection.OpenAsync(target, token).ConfigureAwait(false);
            var ids = new NodeId?[nodes.Length];
            var unresolved = new string?[nodes.Length];
            for (var i = 0; i < nodes.Length; i++)
            {
                try
                {
                    ids[i] = connection.Resolve(nodes[i]);
                }
                catch (UaServiceException ex)
                {
                    unresolved[i] = ex.Message;
                }
            }

            var toRead = ids.OfType<NodeId>().ToArray();
            DataValue[] read = [], types = [];
            if (toRead.Length > 0)
            {
                read = await connection.Session.ReadAsync(toRead.Select(id => new ReadValueId(id)).ToArray(), TimestampsToReturn.Both, 0, token).ConfigureAwait(false);
                types = await connection.Session.ReadAsync(toRead.Select(id => new ReadValueId(id, AttributeIds.DataType)).ToArray(), TimestampsToReturn.Neither, 0, token).ConfigureAwait(false);
            }

            var typeIds = types.Select(t => t.EffectiveStatus.IsGood && t.Value.Type == BuiltInType.NodeId && !t.Value.IsArray ? t.Value.AsNodeId() : (NodeId?)null).ToArray();
            var typeNames = await OpcUaTree.DataTypeNamesAsync(connection, typeIds.OfType<NodeId>(), token).ConfigureAwait(false);
            var namespaces = connection.Session.Namespaces;
            var bad = 0;
            var rows = new List<(string Node, string? NodeId, DataValue? Value, string? DataType, string? Error)>();
            for (int i = 0, r = 0; i < nodes.Length; i++)
            {
                if (ids[i] is not { } id)
                {
                    bad++;
                    rows.Add((nodes[i], null, null, null, unresolved[i]));
                    continue;
                }

                var value = read[r];
                var type = typeIds[r] is { } t ? typeNames[t] : null;
                r++;
                if (value.EffectiveStatus.IsBad) bad++;
                rows.Add((nodes[i], connection.Name(id), value, type, null));
            }

            if (json)
            {
                WriteJson(w =>
                {
                    w.WriteStartArray();
                    foreach (var row in rows)
                    {
                        w.WriteStartObject();
                        w.WriteString("node", row.Node);
                        w.WriteString("nodeId", row.NodeId);
                        if (row.Value is { } v)
                        {
                            w.WriteString("dataType", row.DataType);
                            w.WritePropertyName("value");
                            OpcUaValues.Write(w, v.Value, namespaces);
                            w.WriteString("status", OpcUaValues.Status(v.EffectiveStatus));
                            w.WriteNumber("statusCode", v.EffectiveStatus.Code);
                            WriteTime(w, "sourceTimestamp", v.SourceTimestamp);
                            WriteTime(w, "serverTimestamp", v.ServerTimestamp);
                        }
                        else
                        {
                            w.WriteString("status", "BadNodeIdUnknown");
                            w.WriteNumber("statusCode", StatusCode.BadNodeIdUnknown.Code);
                            w.WriteString("error", row.Error);
                        }

                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                });
            }
            else
            {
                foreach (var row in rows)
                {
                    if (row.Value is not { } v)
                    {
                        Console.WriteLine($"{row.Node}  {row.Error}");
                        continue;
                    }

                    Console.WriteLine($"{row.NodeId}  {row.DataType ?? "-"}  = {OpcUaValues.Text(v.Value, namespaces)}  {OpcUaValues.Status(v.EffectiveStatus)}  " +
                        $"source {Time(v.SourceTimestamp)}  server {Time(v.ServerTimestamp)}");
                }
            }

            if (bad > 0)
            {
                Console.Error.WriteLine($"edgetwin: {bad} of {nodes.Length} node(s) could not be read");
                return ExitCodes.DataError;
            }

            return ExitCodes.Ok;
        }, cancellationToken);

    public static Task<int> BrowseAsync(OpcUaTarget target, string node, int depth, bool json, CancellationToken cancellationToken) =>
        OpcUaConnection.RunAsync(target, async token =>
        {
            if (depth < 0) throw new OpcUaUsageException($"--depth must not be negative, got {depth}");
            OpcUaConnection.ParseNodeId(node);
            await using var connection = await OpcUaConnection.OpenAsync(target, token).ConfigureAwait(false);
            var root = await OpcUaTree.WalkAsync(connection, node, depth, readValues: true, token).ConfigureAwait(false);
            var namespaces = connection.Session.Namespaces;
            if (json)
            {
                WriteJson(w => WriteNode(w, root, connection));
                return ExitCodes.Ok;
            }

            var count = 0;
            foreach (var n in OpcUaTree.DepthFirst(root))
            {
                count++;
                var line = new StringBuilder().Append(' ', 2 * n.Depth).Append(Label(n)).Append("  ").Append(connection.Name(n.NodeId)).Append("  ").Append(n.NodeClass);
                if (n.Repeated) line.Append("  (seen above)");
                if (n.DataType is not null) line.Append("  ").Append(n.DataType);
                if (n.Value is { } v)
                {
                    line.Append("  = ").Append(OpcUaValues.Text(v.Value, namespaces));
                    if (!v.EffectiveStatus.IsGood) line.Append("  ").Append(OpcUaValues.Status(v.EffectiveStatus));
                }

                if (n.BrowseStatus is { } s) line.Append("  browse failed: ").Append(OpcUaValues.Status(s));
                Console.WriteLine(line.ToString());
            }

            Console.WriteLine($"{count} node(s), {depth} level(s) below {connection.Name(root.NodeId)}");
            return ExitCodes.Ok;
        }, cancellationToken);

    internal static void WriteJson(Action<Utf8JsonWriter> write)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stdout, OpcUaValues.JsonOptions))
        {
            write(json);
        }

        stdout.Write("\n"u8);
    }

    private static void WriteNode(Utf8JsonWriter w, OpcUaTreeNode n, OpcUaConnection connection)
    {
        w.WriteStartObject();
        w.WriteString("nodeId", connection.Name(n.NodeId));
        w.WriteString("browseName", n.BrowseName.Name);
        w.WriteString("displayName", n.DisplayName);
        w.WriteString("nodeClass", n.NodeClass.ToString());
        if (n.Repeated) w.WriteBoolean("repeated", true);
        if (n.DataType is not null) w.WriteString("dataType", n.DataType);
        if (n.Value is { } v)
        {
            w.WritePropertyName("value");
            OpcUaValues.Write(w, v.Value, connection.Session.Namespaces);
            w.WriteString("status", OpcUaValues.Status(v.EffectiveStatus));
        }

        if (n.BrowseStatus is { } s) w.WriteString("browseStatus", OpcUaValues.Status(s));
        if (n.Children.Count > 0)
        {
            w.WriteStartArray("children");
            foreach (var child in n.Children) WriteNode(w, child, connection);
            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static string Label(OpcUaTreeNode n) => n.BrowseName.Name is { Length: > 0 } name ? name : n.DisplayName;


    private static string Time(DateTime? time) => time?.ToString("O", CultureInfo.InvariantCulture) ?? "-";

    private static void WriteTime(Utf8JsonWriter w, string name, DateTime? time)
    {
        if (time is { } t) w.WriteString(name, t.ToString("O", CultureInfo.InvariantCulture));
        else w.WriteNull(name);
    }
}
