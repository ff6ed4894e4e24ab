using EdgeTwin.Core.Config;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Connectors.OpcUa;

/// <summary>
/// Validates $.sources.opcua[]. Node ids are parsed with the client's own parser, so what the validator accepts the
/// source can use; a node must name its namespace by URI (docs/architecture.md §2.5).
/// </summary>
public static class OpcUaSourceConfigValidator
{
    public static void Validate(IReadOnlyList<OpcUaSourceConfig?> sources, string path, ConfigCheck check) =>
        check.Each(sources, path, (s, at) => Source(s, at, check));

    private static void Source(OpcUaSourceConfig s, string path, ConfigCheck check)
    {
        check.SourceName(path + ".name", s.Name);
        if (!Uri.TryCreate(s.Url, UriKind.Absolute, out var url) || url.Scheme != "opc.tcp" || string.IsNullOrEmpty(url.Host))
        {
            check.Error(path + ".url", $"'{s.Url}' is not an opc.tcp://host:port/path endpoint URL");
        }
        if (check.Known(path + ".securityMode", s.SecurityMode, OpcUaSecurityModeJson.Names) & check.Known(path + ".securityPolicy", s.SecurityPolicy, OpcUaSecurityPolicyJson.Names))
        {
            if (s.SecurityPolicy == OpcUaSecurityPolicy.None && s.SecurityMode != OpcUaSecurityMode.None)
            {
                check.Error(path + ".securityPolicy", $"is \"none\", but securityMode is \"{OpcUaSecurityModeJson.Names.NameOf(s.SecurityMode)}\": name a policy (or \"best\") to sign");
            }
            else if (s.SecurityPolicy != OpcUaSecurityPolicy.None && s.SecurityMode == OpcUaSecurityMode.None)
            {
                check.Error(path + ".securityMode", $"is \"none\", but securityPolicy is \"{OpcUaSecurityPolicyJson.Names.NameOf(s.SecurityPolicy)}\": set \"sign\", \"signAndEncrypt\" or \"best\"");
            }
        }
        if (s.PkiDirectory is { } pki && string.IsNullOrWhiteSpace(pki)) check.Error(path + ".pkiDirectory", "must not be blank (leave it out for the state directory's pki folder)");
        if (s.Identity is null) check.Error(path + ".identity", "is null");
        else if (!check.Known(path + ".identity.type", s.Identity.Type, OpcUaIdentityTypeJson.Names)) { }
        else if (s.Identity.Type == OpcUaIdentityType.Username)
        {
            if (string.IsNullOrEmpty(s.Identity.Username)) check.Error(path + ".identity.username", "a username identity needs a username");
        }
        else if (s.Identity.Type == OpcUaIdentityType.Certificate)
        {
            if (string.IsNullOrEmpty(s.Identity.CertificateFile)) check.Error(path + ".identity.certificateFile", "a certificate identity needs the user's certificate file");
            if (string.IsNullOrEmpty(s.Identity.PrivateKeyFile)) check.Error(path + ".identity.privateKeyFile", "a certificate identity needs the user's private key file (PEM)");
        }
        else if (s.Identity.Username is not null || s.Identity.Password is not null)
        {
            check.Error(path + ".identity.type", "is \"anonymous\", but a username or password is set: set type to \"username\" or remove them");
        }
        check.Range(path + ".sessionTimeoutSeconds", s.SessionTimeoutSeconds, 1, 86400);
        check.Range(path + ".requestTimeoutSeconds", s.RequestTimeoutSeconds, 0.1, 3600);
        check.Range(path + ".keepAliveSeconds", s.KeepAliveSeconds, 0.1, 3600);
        check.Range(path + ".reconnectMinSeconds", s.ReconnectMinSeconds, 0.01, 3600);
        if (!(s.ReconnectMaxSeconds >= s.ReconnectMinSeconds && s.ReconnectMaxSeconds <= 86400))
        {
            check.Error(path + ".reconnectMaxSeconds", $"must be between reconnectMinSeconds ({s.ReconnectMinSeconds}) and 86400, got {s.ReconnectMaxSeconds}");
        }
        if (s.MaxArrayElements is < 1 or > 16_777_216) check.Error(path + ".maxArrayElements", $"must be between 1 and 16777216, got {s.MaxArrayElements}");
        if (s.Groups.Count == 0) check.Error(path + ".groups", "reads nothing: list at least one node group");
        var nodes = new Dictionary<string, string>(StringComparer.Ordinal);
        check.Each(s.Groups, path + ".groups", (g, at) => Group(g, at, nodes, check));
    }

    private static void Group(OpcUaNodeGroupConfig g, string path, Dictionary<string, string> nodes, ConfigCheck check)
    {
        if (g.Name is { } name && string.IsNullOrWhiteSpace(name)) check.Error(path + ".name", "must not be blank (leave it out instead)");
        check.Known(path + ".mode", g.Mode, OpcUaGroupModeJson.Names);
        if (!(g.PublishingIntervalMs >= 10 && g.PublishingIntervalMs <= 3_600_000)) check.Error(path + ".publishingIntervalMs", $"must be between 10 and 3600000, got {g.PublishingIntervalMs}");
        if (!(g.SamplingIntervalMs == -1 || (g.SamplingIntervalMs >= 0 && g.SamplingIntervalMs <= 3_600_000))) check.Error(path + ".samplingIntervalMs", $"must be -1 (the publishing interval), 0 (every change) or up to 3600000, got {g.SamplingIntervalMs}");
        if (g.QueueSize is < 1 or > 100_000) check.Error(path + ".queueSize", $"must be between 1 and 100000, got {g.QueueSize}");
        if (!check.Known(path + ".deadbandType", g.DeadbandType, OpcUaDeadbandTypeJson.Names)) { }
        else if (g.DeadbandType == OpcUaDeadbandType.None && g.DeadbandValue != 0) check.Error(path + ".deadbandValue", "is set but deadbandType is \"none\"");
        else if (g.DeadbandType == OpcUaDeadbandType.Percent && !(g.DeadbandValue >= 0 && g.DeadbandValue <= 100)) check.Error(path + ".deadbandValue", $"a percent deadband is between 0 and 100, got {g.DeadbandValue}");
        else if (!(g.DeadbandValue >= 0) || !double.IsFinite(g.DeadbandValue)) check.Error(path + ".deadbandValue", $"must be a finite number of at least 0, got {g.DeadbandValue}");
        if (g.Mode == OpcUaGroupMode.Polling && g.DeadbandType != OpcUaDeadbandType.None) check.Error(path + ".deadbandType", "a deadband is applied by the server to subscriptions only; polling forwards every new source timestamp");
        if (g.Nodes.Count == 0) check.Error(path + ".nodes", "lists no nodes");
        check.Each(g.Nodes, path + ".nodes", (n, at) => Node(n, at, nodes, check));
    }

    private static void Node(OpcUaNodeConfig n, string at, Dictionary<string, string> nodes, ConfigCheck check)
    {
        ExpandedNodeId id;
        try
        {
            id = ExpandedNodeId.Parse(n.Node);
        }
        catch (FormatException ex)
        {
            check.Error(at + ".node", ex.Message);
            return;
        }
        if (id.NamespaceUri is null && id.NodeId.NamespaceIndex != 0)
        {
            check.Error(at + ".node", $"'{n.Node}' names its namespace by index: write the namespace URI (nsu=URI;…), which survives a server that reorders its namespaces");
            return;
        }
        if (id.ServerIndex != 0) { check.Error(at + ".node", $"'{n.Node}' points to another server (svr=)"); return; }
        OpcUaValueSelector.Parse(n.Element, n.Field, out var selectorKey, out var selectorError);
        if (selectorError is not null) check.Error(at + "." + selectorKey, selectorError);
        var address = OpcUaValueSelector.AddressOf(n);
        if (!nodes.TryAdd(address, at))
        {
            check.Error(at + ".node", (n.Element ?? n.Field) is { } part ? $"'{n.Node}' {part} is already read at {nodes[address]}" : $"'{n.Node}' is already read at {nodes[address]}");
        }
        var mapped = check.Mappings.TryGetValue(address, out var mapping);
        if (n.Asset is null && n.Metric is null)
        {
            if (!mapped) check.Error(at, $"names no asset and metric, and $.mappings has no entry for '{address}'");
            return;
        }
        if (mapped) check.Error(at, $"'{address}' is mapped at $.mappings[{mapping}] already: name the asset and metric in one place");
        if (n.Asset is null) check.Error(at + ".asset", "the metric is named but not the asset");
        else if (SeriesKey.Check(n.Asset) is { } bad) check.Error(at + ".asset", $"'{n.Asset}' {bad}");
        else check.KnownAsset(at + ".asset", n.Asset);
        if (n.Metric is null) check.Error(at + ".metric", "the asset is named but not the metric");
        else check.Name(at + ".metric", n.Metric);
    }
}
