using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.OpcUa;
using EdgeTwin.OpcUa.Client;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Connectors.OpcUa;

// From server values to readings: polling groups, the conversion of a data value (timestamp, status, value) to a
// reading, and reports of unusable nodes.
public sealed partial class OpcUaSource
{
    private async Task PollAsync(UaClient client, OpcUaNodeGroupConfig group, OpcUaNode[] nodes, IIngestWriter writer, CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromMilliseconds(group.PublishingIntervalMs);
        var ids = nodes.Select(n => n.Id).ToArray();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                DataValue[] values;
                try
                {
                    values = await client.ReadValuesAsync(ids, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The client reconnects on its own; the next poll waits for it.
                    Log.PollFailed(_log, Name, _config.Url, ex.Message);
                    await Task.Delay(period, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await EnsureTypesAsync(client, cancellationToken).ConfigureAwait(false);
                var batch = IngestBatch.Rent(Name, nodes.Length);
                var now = _time.GetUtcNow().UtcTicks;
                for (var i = 0; i < nodes.Length; i++)
                {
                    var status = values[i].EffectiveStatus;
                    // A node that stays bad is reported when it turns bad, not at every poll.
                    if (status.IsBad && nodes[i].LastStatus == status.Code)
                    {
                        continue;
                    }

                    // A server that sends no source timestamp gives every read a new server timestamp, so dedup
                    // cannot tell a repeated value: it is forwarded when its value or status changes, stamped with
                    // the server timestamp of the read that saw the change.
                    if (!status.IsBad && values[i].SourceTimestamp is null && !nodes[i].UnstampedChanged(OpcUaValues.ToPointValue(values[i].Value, _config.MaxArrayElements, out _, out _, Types, nodes[i].EnumNames), status.Code))
                    {
                        continue;
                    }

                    nodes[i].LastStatus = status.Code;
                    batch.Add(ToReading(nodes[i], values[i], now));
                }

                Interlocked.Add(ref _values, batch.Count);
                await writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                await Task.Delay(period, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task WriteAsync(IIngestWriter writer, Reading reading, CancellationToken cancellationToken)
    {
        var batch = IngestBatch.Rent(Name, 1);
        batch.Add(reading);
        await writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    private Reading ToReading(OpcUaNode node, DataValue value, long nowTicks)
    {
        var status = value.EffectiveStatus;
        var ticks = (value.SourceTimestamp ?? value.ServerTimestamp)?.Ticks ?? 0;
        if (status.IsBad)
        {
            var gone = status.Is(StatusCode.BadNodeIdUnknown) || status.Is(StatusCode.BadNodeIdInvalid);
            return Report(node, status, gone ? "the server does not know the node" : "the server reports a Bad value", ticks > 0 ? ticks : nowTicks);
        }

        node.LastStatus = status.Code;
        var point = OpcUaValues.ToPointValue(value.Value, _config.MaxArrayElements, out var error, out var tooLarge, Types, node.EnumNames);
        if (error is null && node.Selector is { } selector && point.Kind != PointValueKind.None) point = selector.Select(point, out error);
        return error is null
            ? new Reading(node.Address, ticks, point, status.Code, null, node.Asset, node.Metric)
            : new Reading(node.Address, ticks, PointValue.None, status.Code, null, node.Asset, node.Metric,
                Error: $"OPC UA {_config.Url} node {node.Text}: {error}", ErrorReason: tooLarge ? QuarantineReason.PayloadTooLarge : QuarantineReason.InvalidPayload);
    }

    private Reading Report(OpcUaNode node, StatusCode status, string detail, long ticks)
    {
        Interlocked.Increment(ref _unavailable);
        var gone = status.Is(StatusCode.BadNodeIdUnknown) || status.Is(StatusCode.BadNodeIdInvalid);
        Log.NodeUnavailable(_log, Name, _config.Url, node.Text, status.ToString(), detail);
        return new Reading(node.Address, ticks, PointValue.None, status.Code, Quality.Bad, node.Asset, node.Metric,
            Error: $"OPC UA {_config.Url} node {node.Text}: {detail} (status {status})",
            ErrorReason: gone ? QuarantineReason.NodeUnavailable : QuarantineReason.BadStatus);
    }
}
