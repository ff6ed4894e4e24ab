namespace EdgeTwin.Core.Pipeline;

/// <summary>
/// Where sources put their batches. <see cref="WriteAsync"/> waits while the pipeline is saturated or the
/// queue is full under the block policy: that wait is the back-pressure that reaches the sources.
/// </summary>
public interface IIngestWriter
{
    ValueTask WriteAsync(IngestBatch batch, CancellationToken cancellationToken);

    /// <summary>The checkpoint a source committed last (see <see cref="IngestBatch.Checkpoint"/>), or null.</summary>
    string? GetCheckpoint(string key);
}
