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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheCallerContinuesOnTheReceivingThread_OnlyWhenCompletingInline(bool inline)
    {
        using var pending = new PendingRequest(0, 0, completeInline: inline);
        var continuedOn = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var caller = Continue(pending, continuedOn);
        var receiving = new Thread(() => pending.Append(new ReadOnlySequence<byte>([1]), final: true));
        receiving.Start();
        var thread = await continuedOn.Task.WaitAsync(TimeSpan.FromSeconds(10));
        receiving.Join();
        await caller;
        Assert.Equal(inline, thread == receiving.ManagedThreadId);
    }

    [Fact]
    public async Task AFailedInlineRequest_ContinuesOnAPoolThread_NotInsideTheCodeThatFailedIt()
    {
        using var pending = new PendingRequest(0, 0, completeInline: true);
        var continuedOn = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var caller = Continue(pending, continuedOn);
        var failing = new Thread(() => pending.Fail(new UaServiceException(StatusCode.BadConnectionClosed, "gone")));
        failing.Start();
        failing.Join();
        var thread = await continuedOn.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(failing.ManagedThreadId, thread);
        var ex = await Assert.ThrowsAsync<UaServiceException>(() => caller);
        Assert.Equal(StatusCode.BadConnectionClosed, ex.Status);
    }

    private static async Task Continue(PendingRequest pending, TaskCompletionSource<int> continuedOn)
    {
        try
        {
            using var message = await pending.Task.ConfigureAwait(false);
            pending.MarkConsumed();
        }
        finally
        {
            continuedOn.TrySetResult(Environment.CurrentManagedThreadId);
        }
    }
}
