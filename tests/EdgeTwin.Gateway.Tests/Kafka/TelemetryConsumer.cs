using System.Globalization;
using System.Text;
using Confluent.Kafka;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests.Kafka;

/// <summary>One telemetry message as the test needs it: its idempotent key, where it lies, when it was produced, and its flag.</summary>
internal sealed record Delivered(string Key, int Partition, long Offset, DateTime Created, bool Replayed)
{
    public long Ticks => long.Parse(Key.AsSpan(Key.LastIndexOf('|') + 1), CultureInfo.InvariantCulture);

    public string Series => Key[..Key.LastIndexOf('|')];
}

/// <summary>
/// Consumes the telemetry topic on a thread of its own from the start of the test, keeping only what the
/// assertions need (hundreds of thousands of whole messages would take hundreds of megabytes).
/// </summary>
internal sealed class TelemetryConsumer : IDisposable
{
    private static readonly byte[] ReplayedField = Encoding.UTF8.GetBytes("\"replayed\":true");

    private readonly IConsumer<Ignore, byte[]> _consumer;
    private readonly List<Delivered> _delivered = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public TelemetryConsumer(string bootstrapServers, string topic, int partitions)
    {
        _consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "edgetwin-outage-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = 1,
        }).Build();
        _consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        _thread = new Thread(Run) { IsBackground = true, Name = "outage-consumer" };
        _thread.Start();
    }

    /// <summary>A few whole messages, replayed and not, for the schema check.</summary>
    public List<string> Samples { get; } = [];

    public int Count
    {
        get { lock (_delivered) return _delivered.Count; }
    }

    public int CountWhere(Func<Delivered, bool> predicate)
    {
        lock (_delivered) return _delivered.Count(predicate);
    }

    public void WaitFor(Func<int, bool> done, TimeSpan timeout, GatewayProcess? daemon)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(Count))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the consumer read {Count} messages in {timeout}" + (daemon is null ? "" : Environment.NewLine + daemon.Output));
            }
            Thread.Sleep(50);
        }
    }

    /// <summary>Reads on for a quiet <paramref name="period"/> (to catch anything extra), then returns everything read.</summary>
    public List<Delivered> Drain(TimeSpan period)
    {
        Thread.Sleep(period);
        _stop.Cancel();
        _thread.Join();
        return _delivered;
    }

    private void Run()
    {
        int replayedSamples = 0, freshSamples = 0;
        while (!_stop.IsCancellationRequested)
        {
            var r = _consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (r is null || r.IsPartitionEOF) continue;
            var value = r.Message.Value;
            var replayed = value.AsSpan().IndexOf(ReplayedField) >= 0;
            if (replayed ? replayedSamples++ < 100 : freshSamples++ < 100) Samples.Add(Encoding.UTF8.GetString(value));
            var key = Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("key"));
            lock (_delivered) _delivered.Add(new Delivered(key, r.Partition.Value, r.Offset.Value, r.Message.Timestamp.UtcDateTime, replayed));
        }
    }

    public void Dispose()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
            _thread.Join();
        }
        _consumer.Close();
        _consumer.Dispose();
        _stop.Dispose();
    }
}
