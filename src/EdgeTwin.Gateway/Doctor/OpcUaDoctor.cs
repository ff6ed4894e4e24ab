using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Gateway.Cli.OpcUa;
using EdgeTwin.OpcUa;
using EdgeTwin.OpcUa.Pki;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Transport;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Gateway.Doctor;

/// <summary>
/// The doctor's look at each configured OPC UA source, beyond a TCP connect: a session with the configured
/// identity, the server's NamespaceArray against every nsu= URI the configuration uses, and one read of every
/// configured node. A technician learns before the daemon starts that a password is wrong, a namespace URI is
/// misspelt or gone, or a node does not exist, each with the JSON path of the node in the configuration.
/// </summary>
internal static class OpcUaDoctor
{
    private const int Listed = 5;

    public static async Task<DoctorCheck> CheckAsync(int index, OpcUaSourceConfig source, string stateDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var subject = $"OPC UA source {source.Name} {source.Url} ($.sources.opcua[{index}])";
        var username = source.Identity.Type == OpcUaIdentityType.Username;
        var target = new OpcUaTarget(source.Url, timeout.TotalSeconds, username ? source.Identity.Username : null, username ? source.Identity.Password : null);
        if (source.SecurityPolicy != OpcUaSecurityPolicy.None)
        {
            // The channel the daemon would open: its policy, mode and PKI folder (the server's certificate must be trusted there).
            target = target with { Policy = OpcUaSource.PolicyName(source.SecurityPolicy), Mode = ModeName(source.SecurityMode), Pki = PkiOf(source, stateDirectory) };
        }

        var who = username ? $"user {source.Identity.Username}" : "anonymous";
        var nodes = ConfiguredNodes(index, source);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var clock = Stopwatch.StartNew();
        try
        {
            await using var connection = await OpcUaConnection.OpenAsync(target, deadline.Token).ConfigureAwait(false);
            var opened = clock.Elapsed;
            var namespaces = connection.Session.Namespaces;
            var problems = new List<string>();
            var resolved = new List<(string Path, string Text, NodeId Id)>();
            foreach (var (path, text, id) in nodes)
            {
                if (id.NamespaceUri is { } uri && !namespaces.Uris.Contains(uri, StringComparer.Ordinal))
                    problems.Add($"{path}: {text}: the server has no namespace '{uri}'");
                else if (namespaces.TryResolve(id, out var nodeId))
                    resolved.Add((path, text, nodeId));
                else
                    problems.Add($"{path}: {text}: cannot be resolved on this server");
            }

            var uncertain = new List<string>();
            var good = 0;
            if (resolved.Count > 0)
            {
                var values = await connection.Session.ReadAsync([.. resolved.Select(r => new ReadValueId(r.Id))], TimestampsToReturn.Both, 0, deadline.Token).ConfigureAwait(false);
                for (var i = 0; i < resolved.Count; i++)
                {
                    var status = values[i].EffectiveStatus;
                    if (status.IsBad) problems.Add($"{resolved[i].Path}: {resolved[i].Text}: {StatusCodeNames.Describe(status)}");
                    else if (status.IsUncertain) uncertain.Add($"{resolved[i].Path}: {resolved[i].Text}: {StatusCodeNames.Describe(status)}");
                    else good++;
                }
            }

            var summary = $"session as {who} in {opened.TotalMilliseconds:F0} ms; {good} of {nodes.Count} configured node(s) read Good";
            if (problems.Count > 0)
                return new DoctorCheck("opcua", subject, DoctorOutcome.Failed, summary + $"; {problems.Count} cannot be read (their readings would be quarantined):" + List(problems) + List(uncertain));
            if (uncertain.Count > 0)
                return new DoctorCheck("opcua", subject, DoctorOutcome.Warning, summary + $"; {uncertain.Count} Uncertain:" + List(uncertain));
            return new DoctorCheck("opcua", subject, DoctorOutcome.Ok, summary);
        }
        catch (UaServiceException ex) when (ex.Status.Is(StatusCode.BadUserAccessDenied) || ex.Status.Is(StatusCode.BadIdentityTokenRejected) || ex.Status.Is(StatusCode.BadIdentityTokenInvalid))
        {
            return new DoctorCheck("opcua", subject, DoctorOutcome.Failed, $"the server refused the identity ({who}): {StatusCodeNames.Describe(ex.Status)} ($.sources.opcua[{index}].identity)");
        }
        catch (UaServiceException ex)
        {
            return new DoctorCheck("opcua", subject, DoctorOutcome.Failed, $"the server answered with an error: {ex.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DoctorCheck("opcua", subject, DoctorOutcome.Failed, $"no OPC UA session within {timeout.TotalSeconds:F0} s");
        }
        catch (Exception ex) when (ex is SocketException or IOException or UaTcpProtocolException)
        {
            return new DoctorCheck("opcua", subject, DoctorOutcome.Failed, $"no OPC UA session: {ex.Message}");
        }
    }

    /// <summary>
    /// The gateway's own certificate of a secured source: a warning under 30 days before it expires, a failure once it
    /// has (servers refuse it). Null for a source over SecurityPolicy None.
    /// </summary>
    public static DoctorCheck? CheckCertificate(int index, OpcUaSourceConfig source, string stateDirectory, DateTime now)
    {
        if (source.SecurityPolicy == OpcUaSecurityPolicy.None)
        {
            return null;
        }

        var pki = new UaPki(PkiOf(source, stateDirectory));
        var subject = $"OPC UA certificate of source {source.Name} ({pki.OwnCerts}, $.sources.opcua[{index}])";
        using var own = pki.NewestOwn();
        if (own is null)
        {
            return new DoctorCheck("opcua", subject, DoctorOutcome.Ok, "none yet: created at the first secured connection");
        }

        var until = own.NotAfter.ToUniversalTime();
        var days = (int)Math.Floor((until - now).TotalDays);
        var renew = $"`edgetwin opcua cert renew --pki {pki.Root}`, then give it (`edgetwin opcua cert show --pki {pki.Root}`) to the servers' administrators";
        if (until <= now)
        {
            return new DoctorCheck("opcua", subject, DoctorOutcome.Failed, $"{own.Thumbprint} expired on {until:u}: servers refuse it; renew it with {renew}");
        }

        return days < 30
            ? new DoctorCheck("opcua", subject, DoctorOutcome.Warning, $"{own.Thumbprint} expires in {days} day(s), on {until:u}; the daemon renews it at 80 % of its life, or now with {renew}")
            : new DoctorCheck("opcua", subject, DoctorOutcome.Ok, $"{own.Thumbprint} valid until {until:u} ({days} days left)");
    }

    private static string PkiOf(OpcUaSourceConfig source, string stateDirectory) => source.PkiDirectory ?? Path.Combine(stateDirectory, "pki");

    private static string? ModeName(OpcUaSecurityMode mode) => mode switch
    {
        OpcUaSecurityMode.Sign => "Sign",
        OpcUaSecurityMode.SignAndEncrypt => "SignAndEncrypt",
        _ => null,
    };

    private static List<(string Path, string Text, ExpandedNodeId Id)> ConfiguredNodes(int index, OpcUaSourceConfig source)
    {
        var nodes = new List<(string, string, ExpandedNodeId)>();
        for (var g = 0; g < source.Groups.Count; g++)
        {
            for (var n = 0; n < source.Groups[g].Nodes.Count; n++)
            {
                // The configuration was validated before the doctor got here: every node id parses.
                var text = source.Groups[g].Nodes[n].Node;
                nodes.Add(($"$.sources.opcua[{index}].groups[{g}].nodes[{n}].node", text, ExpandedNodeId.Parse(text)));
            }
        }
        return nodes;
    }

    private static string List(List<string> lines)
    {
        if (lines.Count == 0) return "";
        var text = new StringBuilder();
        foreach (var line in lines.Take(Listed)) text.Append('\n').Append(line);
        if (lines.Count > Listed) text.Append('\n').Append($"… and {lines.Count - Listed} more");
        return text.ToString();
    }
}
