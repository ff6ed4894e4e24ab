using System.Threading.Channels;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Storage;

namespace EdgeTwin.Gateway.Pipeline;

/// <summary>
/// The bounded channel between the sources and the pipeline thread: its capacity is the back-pressure. Sources read
/// their last committed checkpoint through it.
/// </summary>
public sealed class IngestChannel : IIngestWriter
{
    private readonly Channel<IngestBatch> _channel;
    private readonly DurableQueue _queue;

    public IngestChannel(int capacityBatches, DurableQueue queue)
    {
        _channel = Channel.CreateBounded<IngestBatch>(new BoundedChannelOptions(capacityBatches)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _queue = queue;
    }

    public ChannelReader<IngestBatch> Reader => _channel.Reader;

    public int Backlog => _channel.Reader.Count;

    public ValueTask WriteAsync(IngestBatch batch, CancellationToken cancellationToken) => _channel.Writer.WriteAsync(batch, cancellationToken);

    public string? GetCheckpoint(string key) => _queue.GetCheckpoint(key);

    /// <summary>No more batches: the pipeline drains what is left and stops.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
