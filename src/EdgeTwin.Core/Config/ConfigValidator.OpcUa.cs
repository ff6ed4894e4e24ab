using EdgeTwin.Core.Telemetry;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Core.Config;

public static partial class ConfigValidator
{
    private static readonly string[] OpcUaModes = ["subscription", "polling"];
    private static readonly string[] OpcUaDeadbands = ["none", "absolute", "percent"];

    private static void ValidateOpcUaSources(List<OpcUaSourceConfig> sources, Dictionary<string, int> assets, Dictionary<string, int> mappings, HashSet<string> sourceNames, List<ConfigError> errors)
    {
        void Error(string path, string message) => errors.Add(new ConfigError(path, message));
        void Range(string path, double value, double min, double max)
        {
            if (!(value >= min && value <= max)) Error(path, $"must be between {min} and {max}, got {value}");
        }

        for (var i = 0; i < sources.Count; i++)
        {
            var s = sources[i];
            var path = $"$.sources.opcua[{i}]";
            if (s is null) { Error(path, "is null"); continue; }
            if (string.IsNullOrWhiteSpace(s.Name) || !sourceNames.Add(s.Name)) Error(path + ".name", $"'{s.Name}' must be a unique, non-empty source name");
            if (!Uri.TryCreate(s.Url, UriKind.Absolute, out var url) || url.Scheme != "opc.tcp" || string.IsNullOrEmpty(url.Host))
            {
                Error(path + ".url", $"'{s.Url}' is not an opc.tcp://host:port/path endpoint URL");
            }
            if (s.SecurityMode != "none") Error(path + ".securityMode", $"'{s.SecurityMode}' is not supported: only \"none\" (Sign and SignAndEncrypt come later)");
            if (s.Identity is null) Error(path + ".identity", "is null");
            else if (s.Identity.Type == "username")
            {
                if (string.IsNullOrEmpty(s.Identity.Username)) Error(path + ".identity.username", "a username identity needs a username");
            }
            else if (s.Identity.Type == "anonymous")
            {
                if (s.Identity.Username is not null || s.Identity.Password is not null) Error(path + ".identity.type", "is \"anonymous\", but a username or password is set: set type to \"username\" or remove them");
            }
            else Error(path + ".identity.type", $"'{s.Identity.Type}' is not \"anonymous\" or \"username\"");
            Range(path + ".sessionTimeoutSeconds", s.SessionTimeoutSeconds, 1, 86400);
            Range(path + ".requestTimeoutSeconds", s.RequestTimeoutSeconds, 0.1, 3600);
            Range(path + ".keepAliveSeconds", s.KeepAliveSeconds, 0.1, 3600);
            Range(path + ".reconnectMinSeconds", s.ReconnectMinSeconds, 0.01, 3600);
            if (!(s.ReconnectMaxSeconds >= s.ReconnectMinSeconds && s.ReconnectMaxSeconds <= 86400))
            {
                Error(path + ".reconnectMaxSeconds", $"must be between reconnectMinSeconds ({s.ReconnectMinSeconds}) and 86400, got {s.ReconnectMaxSeconds}");
            }
            if (s.Groups.Count == 0) Error(path + ".groups", "reads nothing: list at least one node group");
            var nodes = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var j = 0; j < s.Groups.Count; j++)
            {
                ValidateOpcUaGroup(s.Groups[j], $"{path}.groups[{j}]", nodes, assets, mappings, errors);
            }
        }
    }

    private static void ValidateOpcUaGroup(OpcUaNodeGroupConfig g, string path, Dictionary<string, string> nodes, Dictionary<string, int> assets, Dictionary<string, int> mappings, List<ConfigError> errors)
    {
        void Error(string at, string message) => errors.Add(new ConfigError(at, message));
        if (g is null) { Error(path, "is null"); return; }
        if (g.Name is { } name && string.IsNullOrWhiteSpace(name)) Error(path + ".name", "must not be blank (leave it out instead)");
        if (!OpcUaModes.Contains(g.Mode)) Error(path + ".mode", $"'{g.Mode}' is not \"subscription\" or \"polling\"");
        if (!(g.PublishingIntervalMs >= 10 && g.PublishingIntervalMs <= 3_600_000)) Error(path + ".publishingIntervalMs", $"must be between 10 and 3600000, got {g.PublishingIntervalMs}");
        if (!(g.SamplingIntervalMs == -1 || (g.SamplingIntervalMs >= 0 && g.SamplingIntervalMs <= 3_600_000))) Error(path + ".samplingIntervalMs", $"must be -1 (the publishing interval), 0 (every change) or up to 3600000, got {g.SamplingIntervalMs}");
        if (g.QueueSize is < 1 or > 100_000) Error(path + ".queueSize", $"must be between 1 and 100000, got {g.QueueSize}");
        if (!OpcUaDeadbands.Contains(g.DeadbandType)) Error(path + ".deadbandType", $"'{g.DeadbandType}' is not \"none\", \"absolute\" or \"percent\"");
        else if (g.DeadbandType == "none" && g.DeadbandValue != 0) Error(path + ".deadbandValue", "is set but deadbandType is \"none\"");
        else if (g.DeadbandType == "percent" && !(g.DeadbandValue >= 0 && g.DeadbandValue <= 100)) Error(path + ".deadbandValue", $"a percent deadband is between 0 and 100, got {g.DeadbandValue}");
        else if (!(g.DeadbandValue >= 0) || !double.IsFinite(g.DeadbandValue)) Error(path + ".deadbandValue", $"must be a finite number of at least 0, got {g.DeadbandValue}");
        if (g.Mode == "polling" && g.DeadbandType != "none") Error(path + ".deadbandType", "a deadband is applied by the server to subscriptions only; polling forwards every new source timestamp");
        if (g.Nodes.Count == 0) Error(path + ".nodes", "lists no nodes");
        for (var k = 0; k < g.Nodes.Count; k++)
        {
            var n = g.Nodes[k];
            var at = $"{path}.nodes[{k}]";
            if (n is null) { Error(at, "is null"); continue; }
            ExpandedNodeId id;
            try
            {
                id = ExpandedNodeId.Parse(n.Node);
            }
            catch (FormatException ex)
            {
                Error(at + ".node", ex.Message);
                continue;
            }
            if (id.NamespaceUri is null && id.NodeId.NamespaceIndex != 0)
            {
                Error(at + ".node", $"'{n.Node}' names its namespace by index: write the namespace URI (nsu=URI;…), which survives a server that reorders its namespaces");
                continue;
            }
            if (id.ServerIndex != 0) { Error(at + ".node", $"'{n.Node}' points to another server (svr=)"); continue; }
            if (!nodes.TryAdd(n.Node, at)) Error(at + ".node", $"'{n.Node}' is already read at {nodes[n.Node]}");
            var address = "opcua:" + n.Node;
            var mapped = mappings.TryGetValue(address, out var mapping);
            if (n.Asset is null && n.Metric is null)
            {
                if (!mapped) Error(at, $"names no asset and metric, and $.mappings has no entry for '{address}'");
                continue;
            }
            if (mapped) Error(at, $"'{address}' is mapped at $.mappings[{mapping}] already: name the asset and metric in one place");
            if (n.Asset is null) Error(at + ".asset", "the metric is named but not the asset");
            else if (SeriesKey.Check(n.Asset) is { } bad) Error(at + ".asset", $"'{n.Asset}' {bad}");
            else if (!assets.ContainsKey(n.Asset)) Error(at + ".asset", $"'{n.Asset}' is not an asset in $.assets");
            if (n.Metric is null) Error(at + ".metric", "the asset is named but not the metric");
            else if (SeriesKey.Check(n.Metric) is { } bad) Error(at + ".metric", $"'{n.Metric}' {bad}");
        }
    }
}
