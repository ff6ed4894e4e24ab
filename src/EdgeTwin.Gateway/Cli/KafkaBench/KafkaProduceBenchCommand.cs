using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using EdgeTwin.Connectors.Kafka;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Gateway.Cli.KafkaBench;

/// <summary>
/// `edgetwin bench kafka`: Confluent.Kafka's own producer on pre-encoded "key TAB value" lines, with the Kafka
/// sink's producer settings, headers and one delivery handler: the most the package delivers with a confirmation
/// per message, the middle figure of tests/bench/kafka-drain.sh between kcat and the gateway's drain.
/// --without-reports and --without-headers show what each costs.
/// </summary>
internal static class KafkaProduceBenchCommand
{
    private static readonly TimeSpan FlushSlice = TimeSpan.FromMilliseconds(100);

    public static async Task<int> RunAsync(string input, string bootstrap, string topic, IReadOnlyList<string> properties, bool reports, bool withHeaders, CancellationToken cancellationToken)
    {
        var config = new KafkaSinkConfig { Name = "bench", BootstrapServers = bootstrap };
        foreach (var property in properties)
        {
            var at = property.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
            {
                Console.Error.WriteLine($"edgetwin bench kafka: --property '{property}' is not NAME=VALUE");
                return ExitCodes.Usage;
            }
            config.Properties[property[..at]] = property[(at + 1)..];
        }

        List<byte[]> keys, values;
        try
        {
            (keys, values) = ReadLines(input);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            Console.Error.WriteLine($"edgetwin bench kafka: {e.Message}");
            return ExitCodes.DataError;
        }
        if (keys.Count == 0)
        {
            Console.Error.WriteLine($"edgetwin bench kafka: {input} has no \"key TAB value\" line");
            return ExitCodes.DataError;
        }

        var count = keys.Count;
        // The sink's per-message header is the idempotent key ("asset|metric|ticks"): made before the clock starts.
        var keyHeaders = new byte[count][];
        for (var i = 0; i < count; i++) keyHeaders[i] = IdempotentKeyLike(keys[i], i);
        long settled = 0, failed = 0;
        string? firstError = null;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnDelivery(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstError, $"{report.Error.Code}: {report.Error.Reason}", null);
            }
            if (Interlocked.Increment(ref settled) == count) done.TrySetResult();
        }
        Action<DeliveryReport<byte[], byte[]>> handler = OnDelivery;

        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaSink.BuildProducerConfig(config)).Build();
        var headers = KafkaSink.ConstantHeaders("bench");
        var message = new Message<byte[], byte[]> { Headers = withHeaders ? headers : null };
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            message.Key = keys[i];
            message.Value = values[i];
            if (withHeaders)
            {
                headers.Remove(KafkaSink.KeyHeader);
                headers.Add(KafkaSink.KeyHeader, keyHeaders[i]);
            }
            while (true)
            {
                try
                {
                    // Without a handler the package asks librdkafka for no report: nothing of the message comes back.
                    producer.Produce(topic, message, reports ? handler : null);
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        if (reports)
        {
            while (!done.Task.IsCompleted && !cancellationToken.IsCancellationRequested) producer.Flush(FlushSlice);
            await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // No reports: the producer's queue running empty is the only sign that librdkafka is done with them.
            while (producer.Flush(FlushSlice) > 0) cancellationToken.ThrowIfCancellationRequested();
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var what = (reports, withHeaders) switch
        {
            (true, true) => $"{failed} failed",
            (true, false) => $"{failed} failed; without headers",
            (false, true) => "without delivery reports",
            (false, false) => "without delivery reports or headers",
        };
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"confluent.kafka: {count} messages in {seconds:0.00} s = {count / seconds:N0} msg/s ({what})"));
        if (failed > 0) Console.Error.WriteLine($"edgetwin bench kafka: {failed} of {count} messages failed, the first with {firstError}");
        return failed == 0 ? 0 : ExitCodes.Unavailable;
    }

    private static byte[] IdempotentKeyLike(byte[] assetKey, int index) =>
        Encoding.UTF8.GetBytes(IdempotentKey.Format(Encoding.UTF8.GetString(assetKey), "pressure", 639_028_000_000_000_000L + index));

    private static (List<byte[]> Keys, List<byte[]> Values) ReadLines(string path)
    {
        var keys = new List<byte[]>();
        var values = new List<byte[]>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0) continue;
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab <= 0) throw new FormatException($"{path} line {number}: no key before a TAB");
            keys.Add(Encoding.UTF8.GetBytes(line.AsSpan(0, tab).ToArray()));
            values.Add(Encoding.UTF8.GetBytes(line.AsSpan(tab + 1).ToArray()));
        }
        return (keys, values);
    }
}
