using Confluent.Kafka;
using EdgeTwin.Core.Pipeline;

namespace EdgeTwin.Connectors.Kafka;

/// <summary>The uplink's state as librdkafka reports it: up, or every broker down and why (<see cref="ISinkLink"/>).</summary>
public sealed partial class KafkaSink
{
    private volatile bool _uplinkDown;
    private volatile string? _downReason;
    // The last connection error librdkafka reported (it names the broker and the error): why every broker is down.
    private volatile string? _lastTransportError;

    /// <summary>False from a "all brokers down" report until the next successful delivery.</summary>
    public bool UplinkUp => !_uplinkDown;

    /// <summary>While every broker is down: the bootstrap servers and the last connection error, as librdkafka reported them.</summary>
    public string? DownReason => _uplinkDown ? _downReason : null;

    private void OnClientError(Error error)
    {
        if (error.IsFatal) _fatal = error;
        if (error.Code == ErrorCode.Local_AllBrokersDown)
        {
            if (!_uplinkDown)
            {
                var detail = _lastTransportError is { } transport ? $"{error.Reason}; {transport}" : error.Reason;
                _downReason = $"bootstrap {_config.BootstrapServers}: {detail}";
                _uplinkDown = true;
                Log.UplinkDown(_logger, Name, _downReason);
            }
            return;
        }
        if (error.Code is ErrorCode.Local_Transport or ErrorCode.Local_Resolve or ErrorCode.Local_Authentication or ErrorCode.Local_Ssl) _lastTransportError = error.Reason;
        Log.ClientError(_logger, Name, error.Code.ToString(), error.Reason);
    }
}
