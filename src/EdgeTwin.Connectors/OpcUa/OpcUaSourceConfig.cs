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
    public OpcUaSecurityMode SecurityMode { get; set; } = OpcUaSecurityMode.None;

    /// <summary>Security policy: <c>none</c>, <c>Basic256Sha256</c>, <c>Aes128_Sha256_RsaOaep</c>, <c>Aes256_Sha256_RsaPss</c>, or <c>best</c>.</summary>
    public OpcUaSecurityPolicy SecurityPolicy { get; set; } = OpcUaSecurityPolicy.None;

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

    public List<OpcUaNodeGroupConfig> Groups { get; set; } = [];
}

public sealed class OpcUaIdentityConfig
{
    public OpcUaIdentityType Type { get; set; } = OpcUaIdentityType.Anonymous;

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

    public OpcUaGroupMode Mode { get; set; } = OpcUaGroupMode.Subscription;

    /// <summary>Subscription: how often the server sends what changed. Polling: how often the nodes are read.</summary>
    public double PublishingIntervalMs { get; set; } = 1000;

    /// <summary>Subscription: how often the server samples each node (0 = every change; -1 = the publishing interval).</summary>
    public double SamplingIntervalMs { get; set; } = 250;

    /// <summary>Subscription: values the server queues per node between publishes (and while the gateway is away).</summary>
    public uint QueueSize { get; set; } = 100;

    /// <summary>Subscription: the server's filter on value changes.</summary>
    public OpcUaDeadbandType DeadbandType { get; set; } = OpcUaDeadbandType.None;

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
}

/// <summary>$.sources.opcua[].securityMode: message security.</summary>
[JsonConverter(typeof(OpcUaSecurityModeJson))]
public enum OpcUaSecurityMode
{
    None,
    Sign,
    SignAndEncrypt,

    /// <summary>The most secure mode both sides support.</summary>
    Best,
}

/// <summary>$.sources.opcua[].securityPolicy.</summary>
[JsonConverter(typeof(OpcUaSecurityPolicyJson))]
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
[JsonConverter(typeof(OpcUaIdentityTypeJson))]
public enum OpcUaIdentityType
{
    Anonymous,
    Username,
    Certificate,
}

/// <summary>$.sources.opcua[].groups[].mode.</summary>
[JsonConverter(typeof(OpcUaGroupModeJson))]
public enum OpcUaGroupMode
{
    /// <summary>The server samples the nodes and reports what changed.</summary>
    Subscription,

    /// <summary>The gateway reads the nodes every publishing interval.</summary>
    Polling,
}

/// <summary>$.sources.opcua[].groups[].deadbandType: none, absolute, or percent of the node's EURange.</summary>
[JsonConverter(typeof(OpcUaDeadbandTypeJson))]
public enum OpcUaDeadbandType
{
    None,
    Absolute,
    Percent,
}

public sealed class OpcUaSecurityModeJson() : ConfigEnumConverter<OpcUaSecurityMode>(Names)
{
    public static readonly ConfigEnumNames<OpcUaSecurityMode> Names = new(
        (OpcUaSecurityMode.None, "none"), (OpcUaSecurityMode.Sign, "sign"), (OpcUaSecurityMode.SignAndEncrypt, "signAndEncrypt"), (OpcUaSecurityMode.Best, "best"));
}

public sealed class OpcUaSecurityPolicyJson() : ConfigEnumConverter<OpcUaSecurityPolicy>(Names)
{
    public static readonly ConfigEnumNames<OpcUaSecurityPolicy> Names = new(
        (OpcUaSecurityPolicy.None, "none"), (OpcUaSecurityPolicy.Basic256Sha256, "Basic256Sha256"), (OpcUaSecurityPolicy.Aes128Sha256RsaOaep, "Aes128_Sha256_RsaOaep"),
        (OpcUaSecurityPolicy.Aes256Sha256RsaPss, "Aes256_Sha256_RsaPss"), (OpcUaSecurityPolicy.Best, "best"));
}

public sealed class OpcUaIdentityTypeJson() : ConfigEnumConverter<OpcUaIdentityType>(Names)
{
    public static readonly ConfigEnumNames<OpcUaIdentityType> Names = new((OpcUaIdentityType.Anonymous, "anonymous"), (OpcUaIdentityType.Username, "username"), (OpcUaIdentityType.Certificate, "certificate"));
}

public sealed class OpcUaGroupModeJson() : ConfigEnumConverter<OpcUaGroupMode>(Names)
{
    public static readonly ConfigEnumNames<OpcUaGroupMode> Names = new((OpcUaGroupMode.Subscription, "subscription"), (OpcUaGroupMode.Polling, "polling"));
}

public sealed class OpcUaDeadbandTypeJson() : ConfigEnumConverter<OpcUaDeadbandType>(Names)
{
    public static readonly ConfigEnumNames<OpcUaDeadbandType> Names =
        new((OpcUaDeadbandType.None, "none"), (OpcUaDeadbandType.Absolute, "absolute"), (OpcUaDeadbandType.Percent, "percent"));
}
