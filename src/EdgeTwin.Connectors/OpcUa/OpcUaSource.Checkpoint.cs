using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgeTwin.OpcUa.Client;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Connectors.OpcUa;

// The session checkpoint committed with each batch, so that a restart resumes the session and its subscriptions, and
// the fingerprint that says whether resuming is safe.
public sealed partial class OpcUaSource
{
    // The session and, per subscription, the last sequence number whose batch is durable: committed with the batch
    // itself, so after a crash the next run resumes the session and has the server republish exactly what follows.
    // The authentication token is kept with the queue, in the state directory.
    private KeyValuePair<string, string>? Checkpoint(UaClientEvent notification)
    {
        if (notification is not { Session: { } session, Message: { } message, Subscription.Current: { } current } || current.Session != session)
        {
            return null;
        }

        _safe[current] = Math.Max(_safe.GetValueOrDefault(current), message.SequenceNumber);
        var text = new StringBuilder(CheckpointHeader).Append('\n').Append(_fingerprint).Append('\n')
            .Append(session.SessionId.ToString()).Append('\n').Append(session.AuthenticationToken.ToString());
        foreach (var subscription in _subscriptions)
        {
            var on = subscription.Current is { } s && s.Session == session ? s : null;
            text.Append('\n').Append(CultureInfo.InvariantCulture, $"{on?.SubscriptionId ?? 0}:{(on is null ? 0 : _safe.GetValueOrDefault(on))}");
        }

        return new(CheckpointKey, text.ToString());
    }

    private const string CheckpointHeader = "opcua-session 1";

    private UaSessionResumption? ParseCheckpoint(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var lines = text.Split('\n');
        if (lines.Length < 4 || lines[0] != CheckpointHeader || lines[1] != _fingerprint)
        {
            Log.NotResumed(_log, Name, "the node groups changed since the session was created");
            return null;
        }

        try
        {
            var subscriptions = new List<UaSubscriptionResumption>();
            foreach (var line in lines.AsSpan(4))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                subscriptions.Add(new UaSubscriptionResumption(
                    uint.Parse(line.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture),
                    uint.Parse(line.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture)));
            }

            return new UaSessionResumption(NodeId.Parse(lines[2]), NodeId.Parse(lines[3]), subscriptions);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            Log.NotResumed(_log, Name, "its checkpoint is unreadable: " + ex.Message);
            return null;
        }
    }

    // What the server-side subscriptions were made of: a session is resumed only when the same monitored items, with
    // the same client handles, would be created again; otherwise a handle could name another node.
    private static string Fingerprint(OpcUaSourceConfig config, OpcUaNode[] nodes)
    {
        var text = new StringBuilder(config.Url).Append('\n');
        for (var g = 0; g < config.Groups.Count; g++)
        {
            var group = config.Groups[g];
            if (group.Mode == OpcUaGroupMode.Polling)
            {
                continue;
            }

            text.Append(CultureInfo.InvariantCulture, $"group {g} {group.PublishingIntervalMs} {group.SamplingIntervalMs} {group.QueueSize} {OpcUaDeadbandTypeJson.Names.NameOf(group.DeadbandType)} {group.DeadbandValue}\n");
            foreach (var node in nodes.Where(n => n.Group == g))
            {
                text.Append(CultureInfo.InvariantCulture, $"{node.Handle} {node.Text}\n");
            }
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 16);
    }
}
