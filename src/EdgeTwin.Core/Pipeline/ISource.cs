namespace EdgeTwin.Core.Pipeline;

/// <summary>A southbound source: reads equipment and writes batches of readings until cancelled.</summary>
public interface ISource
{
    string Name { get; }

    /// <summary>Human-readable connection state for status output ("connected", "reconnecting: …").</summary>
    string State { get; }

    Task RunAsync(IIngestWriter writer, CancellationToken cancellationToken);
}
