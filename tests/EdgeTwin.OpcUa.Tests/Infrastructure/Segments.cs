using System.Buffers;

namespace EdgeTwin.OpcUa.Tests.Infrastructure;

/// <summary>Builds multi-segment sequences, the shape a pipe hands over when data arrives in pieces.</summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes) => Split(bytes, Enumerable.Range(1, Math.Max(0, bytes.Length - 1)).ToArray());

    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var bounds = cuts.Where(c => c > 0 && c < bytes.Length).Distinct().Order().Append(bytes.Length).ToArray();
        var start = 0;
        Segment? first = null;
        Segment? last = null;
        foreach (var end in bounds)
        {
            var segment = new Segment(bytes.AsMemory(start, end - start));
            if (first is null)
            {
                first = last = segment;
            }
            else
            {
                last = last!.Append(segment);
            }

            start = end;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
            return next;
        }
    }
}
