namespace EdgeTwin.Buffers.Tests;

public sealed class PooledBufferWriterTests
{
    [Fact]
    public void GetSpan_LargerThanFreeSpace_GrowsAndKeepsWhatWasWritten()
    {
        using var writer = new PooledBufferWriter(16);
        "0123456789"u8.CopyTo(writer.GetSpan(10));
        writer.Advance(10);

        var span = writer.GetSpan(1000);

        Assert.True(span.Length >= 1000);
        Assert.Equal("0123456789"u8.ToArray(), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Reset_KeepsTheBufferAndForgetsTheBytes()
    {
        using var writer = new PooledBufferWriter(64);
        writer.GetSpan(8);
        writer.Advance(8);
        var capacity = writer.Capacity;

        writer.Reset();

        Assert.Equal(0, writer.WrittenCount);
        Assert.Equal(capacity, writer.Capacity);
    }

    [Fact]
    public void Advance_BeyondWhatWasHandedOut_Throws()
    {
        using var writer = new PooledBufferWriter(16);
        var free = writer.GetSpan().Length;

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(free + 1));
    }

    [Fact]
    public void GetSpan_AfterDispose_Throws()
    {
        var writer = new PooledBufferWriter(16);
        writer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => writer.GetSpan());
    }

    [Fact]
    public void GetMemory_GrowsLikeGetSpan_AndWrittenMemoryShowsTheBytes()
    {
        using var writer = new PooledBufferWriter(16);
        "abc"u8.CopyTo(writer.GetMemory(3).Span);
        writer.Advance(3);

        var memory = writer.GetMemory(5000);

        Assert.True(memory.Length >= 5000);
        Assert.Equal("abc"u8.ToArray(), writer.WrittenMemory.ToArray());
    }

    [Fact]
    public void Advance_Negative_Throws()
    {
        using var writer = new PooledBufferWriter(16);

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(-1));
    }

    [Fact]
    public void Constructor_CapacityBelowOne_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PooledBufferWriter(0));

    [Fact]
    public void Dispose_Twice_IsHarmless()
    {
        var writer = new PooledBufferWriter(16);
        writer.Dispose();
        writer.Dispose();

        Assert.Equal(0, writer.WrittenCount);
    }
}
