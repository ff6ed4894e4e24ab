using System.Text.Json.Serialization;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.OpcUa;

/// <summary>
/// An OPC UA server the gateway reads (<c>$.sources.opcua[]</c>): one session, kept across reconnects, with its
/// node groups read by subscription or by polling. Nodes are named by namespace URI (<c>nsu=URI;s=…</c>), never by
/// namespace index, and resolved again at every session start (docs/architecture.md §2.5). config/edgetwin.json documents
/// each key for technicians.
/// </summary>
public sealed class OpcUaSourceConfig
{
    public string Name { get; set; } = "opcua";

    /// <summary>The server's endpoint, <c>opc.tcp://host:port/path</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>Message security: <c>none</c>, <c>sign</c>, <c>signAndEncrypt</c>, or <c>best</c> (the most secure both sides support).</summary>
    [JsonIgnore]
    public OpcUaSecurityMode SecurityMode { get; set; } = OpcUaSecurityMode.None;

    /// <summary>The JSON text of <see cref="SecurityMode"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("securityMode"), JsonConverter(typeof(OpcUaSecurityModeJson))]
    public string SecurityModeText { get => OpcUaSecurityModeJson.Names.Text(SecurityMode); set => SecurityMode = OpcUaSecurityModeJson.Names.Parse(value); }

    /// <summary>Security policy: <c>none</c>, <c>Basic256Sha256</c>, <c>Aes128_Sha256_RsaOaep</c>, <c>Aes256_Sha256_RsaPss</c>, or <c>best</c>.</summary>
    [JsonIgnore]
    public OpcUaSecurityPolicy SecurityPolicy { get; set; } = OpcUaSecurityPolicy.None;

    /// <summary>The JSON text of <see cref="SecurityPolicy"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("securityPolicy"), JsonConverter(typeof(OpcUaSecurityPolicyJson))]
    public string SecurityPolicyText { get => OpcUaSecurityPolicyJson.Names.Text(SecurityPolicy); set => SecurityPolicy = OpcUaSecurityPolicyJson.Names.Parse(value); }

    /// <summary>The PKI folder (OPC UA Part 12 layout: own/, trusted/, issuers/, rejected/); default <c>pki</c> in the state directory.</summary>
    public string? PkiDirectory { get; set; }

    public OpcUaIdentityConfig Identity { get; set; } = new();

    /// <summary>Session timeout asked of the server: how long it keeps the session (and its queued notifications) while the gateway is away.</summary>
    public double SessionTimeoutSeconds { get; set; } = 120;

    /// <summary>How long one request may take before the connection is considered lost.</summary>
    public double RequestTimeoutSeconds { get; set; } = 10;

    /// <summary>A silent connection is checked (a read of the server's clock) after this long.</summary>
    public double KeepAliveSeconds { get; set; } = 5;

    /// <summary>First delay before reconnecting; it doubles, with jitter, up to <see cref="ReconnectMaxSeconds"/>.</summary>
    public double ReconnectMinSeconds { get; set; } = 0.5;

    public double ReconnectMaxSeconds { get; set; } = 30;

    /// <summary>Most elements an array or matrix value may hold; a larger one is quarantined as too large, with its size.</summary>
    public int MaxArrayElements { get; set; } = OpcUaValues.DefaultMaxArrayElements;

    public List<OpcUaNodeGroupConfig> Groups { get; set; } = [];
}

public sealed class OpcUaIdentityConfig
{
    [JsonIgnore]
    public OpcUaIdentityType Type { get; set; } = OpcUaIdentityType.Anonymous;

    /// <summary>The JSON text of <see cref="Type"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("type"), JsonConverter(typeof(OpcUaIdentityTypeJson))]
    public string TypeText { get => OpcUaIdentityTypeJson.Names.Text(Type); set => Type = OpcUaIdentityTypeJson.Names.Parse(value); }

    public string? Username { get; set; }

    /// <summary>A secret: redacted by /api/config.</summary>
    public string? Password { get; set; }

    /// <summary>Type <c>certificate</c>: the user's X.509 certificate (PEM or DER file).</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Type <c>certificate</c>: the user's private key (PEM file).</summary>
    public string? PrivateKeyFile { get; set; }
}

public sealed class OpcUaNodeGroupConfig
{
    /// <summary>Names the group in logs and status; default <c>group{index}</c>.</summary>
    public string? Name { get; set; }

    [JsonIgnore]

    public OpcUaGroupMode Mode { get; set; } = OpcUaGroupMode.Subscription;


    /// <summary>The JSON text of <see cref="Mode"/> (see <see cref="ConfigEnumConverter"/>).</summary>

    [JsonPropertyName("mode"), JsonConverter(typeof(OpcUaGroupModeJson))]

    public string ModeText { get => OpcUaGroupModeJson.Names.Text(Mode); set => Mode = OpcUaGroupModeJson.Names.Parse(value); }

    /// <summary>Subscription: how often the server sends what changed. Polling: how often the nodes are read.</summary>
    public double PublishingIntervalMs { get; set; } = 1000;

    /// <summary>Subscription: how often the server samples each node (0 = every change; -1 = the publishing interval).</summary>
    public double SamplingIntervalMs { get; set; } = 250;

    /// <summary>Subscription: values the server queues per node between publishes (and while the gateway is away).</summary>
    public uint QueueSize { get; set; } = 100;

    /// <summary>Subscription: the server's filter on value changes.</summary>
    [JsonIgnore]
    public OpcUaDeadbandType DeadbandType { get; set; } = OpcUaDeadbandType.None;

    /// <summary>The JSON text of <see cref="DeadbandType"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("deadbandType"), JsonConverter(typeof(OpcUaDeadbandTypeJson))]
    public string DeadbandTypeText { get => OpcUaDeadbandTypeJson.Names.Text(DeadbandType); set => DeadbandType = OpcUaDeadbandTypeJson.Names.Parse(value); }

    public double DeadbandValue { get; set; }

    public List<OpcUaNodeConfig> Nodes { get; set; } = [];
}

public sealed class OpcUaNodeConfig
{
    /// <summary>The node, <c>nsu=URI;s=…</c> (or i=, g=, b=). The reading's source address is <c>opcua:</c> + this.</summary>
    public string Node { get; set; } = "";

    /// <summary>The asset; leave asset and metric out when <c>$.mappings</c> maps <c>opcua:</c> + node.</summary>
    public string? Asset { get; set; }

    public string? Metric { get; set; }

    /// <summary>One element of an array value as its own series: <c>"[3]"</c>, <c>"[1][2]"</c> for a matrix. The address gets <c>#</c> + it.</summary>
    public string? Element { get; set; }

    /// <summary>One field of a structure value as its own series: <c>"Status.Speed"</c>. The address gets <c>#</c> + it.</summary>
    public string? Field { get; set; }
}

/// <summary>$.sources.opcua[].securityMode: message security.</summary>
public enum OpcUaSecurityMode
{
    None,
    Sign,
    SignAndEncrypt,

    /// <summary>The most secure mode both sides support.</summary>
    Best,
}

/// <summary>$.sources.opcua[].securityPolicy.</summary>
public enum OpcUaSecurityPolicy
{
    None,
    Basic256Sha256,
    Aes128Sha256RsaOaep,
    Aes256Sha256RsaPss,

    /// <summary>The most secure policy both sides support.</summary>
    Best,
}

/// <summary>$.sources.opcua[].identity.type.</summary>
public enum OpcUaIdentityType
{
    Anonymous,
    Username,
    Certificate,
}

/// <summary>$.sources.opcua[].groups[].mode.</summary>
public enum OpcUaGroupMode
{
    /// <summary>The server samples the nodes and reports what changed.</summary>
    Subscription,

    /// <summary>The gateway reads the nodes every publishing interval.</summary>
    Polling,
}

/// <summary>$.sources.opcua[].groups[].deadbandType: none, absolute, or percent of the node's EURange.</summary>
public enum OpcUaDeadbandType
{
    None,
    Absolute,
    Percent,
}

public sealed class OpcUaSecurityModeJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<OpcUaSecurityMode> Names = new(
        (OpcUaSecurityMode.None, "none"), (OpcUaSecurityMode.Sign, "sign"), (OpcUaSecurityMode.SignAndEncrypt, "signAndEncrypt"), (OpcUaSecurityMode.Best, "best"));
}

public sealed class OpcUaSecurityPolicyJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<OpcUaSecurityPolicy> Names = new(
        (OpcUaSecurityPolicy.None, "none"), (OpcUaSecurityPolicy.Basic256Sha256, "Basic256Sha256"), (OpcUaSecurityPolicy.Aes128Sha256RsaOaep, "Aes128_Sha256_RsaOaep"),
        (OpcUaSecurityPolicy.Aes256Sha256RsaPss, "Aes256_Sha256_RsaPss"), (OpcUaSecurityPolicy.Best, "best"));
}

public sealed class OpcUaIdentityTypeJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<OpcUaIdentityType> Names = new((OpcUaIdentityType.Anonymous, "anonymous"), (OpcUaIdentityType.Username, "username"), (OpcUaIdentityType.Certificate, "certificate"));
}

public sealed class OpcUaGroupModeJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<OpcUaGroupMode> Names = new((OpcUaGroupMode.Subscription, "subscription"), (OpcUaGroupMode.Polling, "polling"));
}

public sealed class OpcUaDeadbandTypeJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<OpcUaDeadbandType> Names =
        new((OpcUaDeadbandType.None, "none"), (OpcUaDeadbandType.Absolute, "absolute"), (OpcUaDeadbandType.Percent, "percent"));
}
