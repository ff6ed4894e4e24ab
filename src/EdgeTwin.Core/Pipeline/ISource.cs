namespace EdgeTwin.Core.Pipeline;

/// <summary>A southbound source: reads equipment and writes batches of readings until cancelled.</summary>
public interface ISource
{
    string Name { get; }

    /// <summary>Human-readable connection state for status output ("connected", "reconnecting: …").</summary>
    string State { get; }

    /// <summary>
    /// True when the source has nothing more to send until new input arrives (a simulator past StopAfter, a
    /// drop folder with an empty inbox). Lets <c>run --exit-when-drained</c> know when everything is through.
    /// </summary>
    bool IsIdle { get; }

    /// <summary>
    /// The connection to the equipment, for /readyz and the per-source connection-state gauge. A source with a
    /// session (OPC UA, MQTT) reports its own; one without (a simulator, a folder) is connected while it runs.
    /// The gateway reports <see cref="SourceConnectionState.Disconnected"/> on its behalf while it restarts a
    /// source that failed, and <see cref="SourceConnectionState.Finished"/> once it has returned.
    /// </summary>
    SourceConnectionState Connection => SourceConnectionState.Connected;

    Task RunAsync(IIngestWriter writer, CancellationToken cancellationToken);
}
