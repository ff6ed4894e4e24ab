using System.Buffers;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;

namespace EdgeTwin.OpcUa.Tests.SecureChannel;

/// <summary>Reassembly of response chunks stays within the MaxMessageSize and MaxChunkCount we announced.</summary>
public class PendingRequestTests
{
    [Fact]
    public async Task ChunksAreJoinedInOrder_UntilTheFinalOne()
    {
        using var pending = new PendingRequest(100, 3);
        pending.Append(new ReadOnlySequence<byte>([1, 2]), final: false);
        pending.Append(new ReadOnlySequence<byte>([3]), final: false);
        Assert.False(pending.Task.IsCompleted);
        pending.Append(new ReadOnlySequence<byte>([4, 5]), final: true);
        using var message = await pending.Task;
        pending.MarkConsumed();
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, message.Memory.ToArray());
    }

    [Fact]
    public async Task MoreChunksThanAnnounced_FailsWithBadResponseTooLarge()
    {
        using var pending = new PendingRequest(0, 2);
        pending.Append(new ReadOnlySequence<byte>([1]), final: false);
        pending.Append(new ReadOnlySequence<byte>([2]), final: false);
        pending.Append(new ReadOnlySequence<byte>([3]), final: true);
        var ex = await Assert.ThrowsAsync<UaServiceException>(() => pending.Task);
        Assert.Equal(StatusCode.BadResponseTooLarge, ex.Status);
    }

    [Fact]
    public async Task MoreBytesThanAnnounced_FailsWithBadResponseTooLarge()
    {
        using var pending = new PendingRequest(4, 0);
        pending.Append(new ReadOnlySequence<byte>([1, 2, 3]), final: false);
        pending.Append(new ReadOnlySequence<byte>([4, 5]), final: true);
        var ex = await Assert.ThrowsAsync<UaServiceException>(() => pending.Task);
        Assert.Equal(StatusCode.BadResponseTooLarge, ex.Status);
    }
}
