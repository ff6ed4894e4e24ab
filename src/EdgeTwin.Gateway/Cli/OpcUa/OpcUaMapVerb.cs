using System.Text;
using System.Text.Json;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Gateway.Config;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.SecureChannel;

namespace EdgeTwin.Gateway.Cli.OpcUa;

/// <summary>
/// `edgetwin opcua map`: browses the variables below a node and writes the configuration block that maps them to
/// one asset. The block has the shape
/// <c>{ "assets": [ { "id", "name" } ], "sources": { "opcua": [ { "name", "url", "groups": [ { "name", "nodes": [ { "node", "asset", "metric" } ] } ] } ] } }</c>;
/// "assets" is left out when --config names a configuration that already has the asset. With --elements and --fields
/// an array or structure variable also gets an entry per element or field (<c>"element": "[3]"</c>, <c>"field": "Status.Speed"</c>).
/// </summary>
internal static partial class OpcUaMapVerb
{
    /// <summary>Metric names longer than this are cut (the validator allows 200 characters).</summary>
    private const int MaxMetricLength = 200;

    public sealed record Options(string Under, string Asset, string? MetricPrefix, string SourceName, int Depth, string? ConfigPath, string? OutputPath,
        bool Elements = false, bool Fields = false, int MaxEntries = DefaultMaxEntries);

    /// <summary>The most element or field entries --elements/--fields write for one variable.</summary>
    public const int DefaultMaxEntries = 64;

    public static Task<int> RunAsync(OpcUaTarget target, Options options, CancellationToken cancellationToken) =>
        OpcUaConnection.RunAsync(target, async token =>
        {
            if (SeriesKey.Check(options.Asset) is { } why) throw new OpcUaUsageException($"--asset '{options.Asset}' {why}");
            if (options.MetricPrefix is { Length: > 0 } prefix && SeriesKey.Check(prefix) is { } prefixWhy) throw new OpcUaUsageException($"--metric-prefix '{prefix}' {prefixWhy}");
            if (options.Depth < 1) throw new OpcUaUsageException($"--depth must be at least 1, got {options.Depth}");
            if (options.MaxEntries < 1) throw new OpcUaUsageException($"--max-entries must be at least 1, got {options.MaxEntries}");
            OpcUaConnection.ParseNodeId(options.Under);
            var assetIsNew = true;
            if (options.ConfigPath is { } configPath)
            {
                try
                {
                    assetIsNew = !ConfigLoader.LoadFile(configPath).Assets.Any(a => a.Id == options.Asset);
                }
                catch (ConfigException ex)
                {
                    Console.Error.WriteLine(ex.Message);
                    return ExitCodes.Config;
                }
            }

            await using var connection = await OpcUaConnection.OpenAsync(target, token).ConfigureAwait(false);
            var root = await OpcUaTree.WalkAsync(connection, options.Under, options.Depth, readValues: options.Elements || options.Fields, token).ConfigureAwait(false);
            var variables = OpcUaTree.DepthFirst(root).Where(n => n.NodeClass == EdgeTwin.OpcUa.Services.NodeClass.Variable && !n.Repeated && !n.IsProperty && n != root).ToList();
            if (variables.Count == 0)
            {
                return OpcUaConnection.Fail(ExitCodes.DataError, $"no variables below {connection.Name(root.NodeId)} within {options.Depth} level(s) (properties are not mapped)");
            }

            var selectors = options.Elements || options.Fields
                ? await SelectorsAsync(connection, variables, options, token).ConfigureAwait(false)
                : new Dictionary<OpcUaTreeNode, List<SelectorEntry>>();
            var metrics = new HashSet<string>(StringComparer.Ordinal);
            var entries = 0;
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, OpcUaValues.JsonOptions))
            {
                w.WriteStartObject();
                if (assetIsNew)
                {
                    w.WriteStartArray("assets");
                    w.WriteStartObject();
                    w.WriteString("id", options.Asset);
                    w.WriteString("name", root.DisplayName.Length > 0 ? root.DisplayName : options.Asset);
                    w.WriteEndObject();
                    w.WriteEndArray();
                }

                w.WriteStartObject("sources");
                w.WriteStartArray("opcua");
                w.WriteStartObject();
                w.WriteString("name", options.SourceName);
                w.WriteString("url", target.Url);
                WriteSecurity(w, target, connection);
                w.WriteStartArray("groups");
                w.WriteStartObject();
                w.WriteString("name", options.Asset);
                w.WriteStartArray("nodes");
                foreach (var variable in variables)
                {
                    var metric = Unique(MetricName(options.MetricPrefix, variable, root), metrics);
                    w.WriteStartObject();
                    w.WriteString("node", connection.Name(variable.NodeId));
                    w.WriteString("asset", options.Asset);
                    w.WriteString("metric", metric);
                    w.WriteEndObject();
                    entries++;
                    foreach (var selector in selectors.GetValueOrDefault(variable) ?? [])
                    {
                        w.WriteStartObject();
                        w.WriteString("node", connection.Name(variable.NodeId));
                        w.WriteString("asset", options.Asset);
                        w.WriteString("metric", Unique(Cut(metric + "." + selector.MetricSuffix), metrics));
                        if (selector.Element is { } element) w.WriteString("element", element);
                        if (selector.Field is { } field) w.WriteString("field", field);
                        w.WriteEndObject();
                        entries++;
                    }
                }

                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
            }

            buffer.Write("\n"u8);
            if (options.OutputPath is { } output)
            {
                await File.WriteAllBytesAsync(output, buffer.ToArray(), token).ConfigureAwait(false);
                Console.Error.WriteLine($"edgetwin: wrote {entries} node mapping(s) for asset '{options.Asset}' to {output}"
                    + (entries > variables.Count ? $" ({entries - variables.Count} of them element or field entries)" : ""));
            }
            else
            {
                using var stdout = Console.OpenStandardOutput();
                buffer.Position = 0;
                await buffer.CopyToAsync(stdout, token).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }, cancellationToken);

    /// <summary>
    /// The metric of a variable: the browse names on the path below the mapped node, each lower-cased with every run
    /// of characters other than a-z and 0-9 turned into '_', joined with '.', after the prefix.
    /// </summary>
    internal static string MetricName(string? prefix, OpcUaTreeNode variable, OpcUaTreeNode root)
    {
        var parts = new List<string>();
        for (var n = variable; n is not null && n != root; n = n.Parent)
        {
            parts.Add(Sanitize(n.BrowseName.Name is { Length: > 0 } name ? name : n.DisplayName));
        }

        parts.Reverse();
        var metric = (prefix ?? "") + string.Join('.', parts.Where(p => p.Length > 0));
        if (metric.Length == 0) metric = "value";
        return Cut(metric);
    }

    private static string Cut(string metric) => metric.Length > MaxMetricLength ? metric[..MaxMetricLength] : metric;

    internal static string Sanitize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9')) text.Append(c);
            else if (text.Length > 0 && text[^1] != '_') text.Append('_');
        }

        return text.ToString().TrimEnd('_');
    }

    private static string Unique(string metric, HashSet<string> taken)
    {
        var candidate = metric;
        for (var i = 2; !taken.Add(candidate); i++)
        {
            var suffix = "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            candidate = (metric.Length + suffix.Length > MaxMetricLength ? metric[..(MaxMetricLength - suffix.Length)] : metric) + suffix;
        }

        System.Diagnostics.Debug.Assert(SeriesKey.Check(candidate) is null);
        return candidate;
    }

    // The channel security and identity the block's source needs to connect as map did: the policy and mode actually
    // used (also when --policy Best chose them), the PKI folder given with --pki (its trusted/ holds the server's
    // certificate), and a user name. The configuration holds a password only in clear, so it is left for the
    // technician to add, and said so on stderr.
    private static void WriteSecurity(Utf8JsonWriter w, OpcUaTarget target, OpcUaConnection connection)
    {
        if (connection.Channel.SecurityPolicy is UaSecuredPolicy secured)
        {
            w.WriteString("securityPolicy", secured.Algorithms.Name);
            w.WriteString("securityMode", secured.Mode == MessageSecurityMode.Sign ? "sign" : "signAndEncrypt");
            if (target.Pki is { } pki)
            {
                w.WriteString("pkiDirectory", Path.GetFullPath(pki));
            }
        }

        if (target.User is { } user)
        {
            w.WriteStartObject("identity");
            w.WriteString("type", "username");
            w.WriteString("username", user);
            w.WriteEndObject();
            Console.Error.WriteLine($"edgetwin: the block logs in as '{user}' but holds no password: add it as \"password\" in the source's \"identity\"");
        }
    }
}
