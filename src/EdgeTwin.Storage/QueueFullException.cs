namespace EdgeTwin.Storage;

/// <summary>The queue cannot take a segment now (byte budget or free-disk watermark) under the block policy.</summary>
public sealed class QueueFullException : Exception
{
    public QueueFullException(string message) : base(message) { }
}
