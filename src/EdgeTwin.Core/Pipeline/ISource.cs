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

    Task RunAsync(IIngestWriter writer, CancellationToken cancellationToken);
}
