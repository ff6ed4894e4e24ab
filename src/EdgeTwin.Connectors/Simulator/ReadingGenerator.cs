using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Simulator;

/// <summary>
/// The hot loop: produces readings n, n+1, … round-robin over the channels. Every reading is a pure function
/// of (seed, epoch, n): the asset models are closed form in time, time comes from n in integers, and the
/// noise is drawn at index n of a counter-based stream. Positioning at any n is O(1).
/// </summary>
internal sealed class ReadingGenerator
{
    private readonly SimulatorChannel[] _channels;
    private readonly SimulationTimeline _timeline;
    private readonly ulong _noiseKey;
    private long _next;
    private int _channel;
    private long _sample;
    private long _timestamp;
    private double _seconds;

    public ReadingGenerator(SimulatorChannel[] channels, SimulationTimeline timeline, ulong noiseKey, long start)
    {
        if (channels.Length != timeline.ChannelCount) throw new ArgumentException("channel count differs from the timeline's", nameof(channels));
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        _channels = channels;
        _timeline = timeline;
        _noiseKey = noiseKey;
        _next = start;
        _channel = (int)(start % channels.Length);
        _sample = start / channels.Length;
        SetSampleTime();
    }

    /// <summary>The sequence number of the next reading.</summary>
    public long Next => _next;

    /// <summary>Adds the next <paramref name="count"/> readings to <paramref name="batch"/>.</summary>
    public void Fill(IngestBatch batch, int count)
    {
        var channels = _channels;
        for (var i = 0; i < count; i++)
        {
            var reading = Read(channels);
            batch.Add(in reading);
        }
    }

    /// <summary>The next reading.</summary>
    public Reading Read() => Read(_channels);

    private Reading Read(SimulatorChannel[] channels)
    {
        ref readonly var slot = ref channels[_channel];
        var noise = SplitMix64.Gaussian(SplitMix64.At(_noiseKey, _next));
        var value = slot.Asset.Value(slot.Channel, _seconds, noise);
        var reading = slot.Reading(_timestamp, value);
        _next++;
        if (++_channel == channels.Length)
        {
            _channel = 0;
            _sample++;
            SetSampleTime();
        }
        return reading;
    }

    private void SetSampleTime()
    {
        _timestamp = _timeline.TimestampOf(_sample);
        // Models run on absolute UTC seconds, so their schedules and the daily cycle do not depend on the epoch.
        _seconds = _timestamp / (double)TimeSpan.TicksPerSecond;
    }
}
