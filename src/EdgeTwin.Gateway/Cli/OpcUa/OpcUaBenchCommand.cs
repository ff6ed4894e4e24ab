using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Subscriptions;

namespace EdgeTwin.Gateway.Cli.OpcUa;

/// <summary>
/// `edgetwin bench opcua`: the client half of tests/bench/opcua-vs-node.sh. Subscribes to many items and counts the
/// data changes it receives, acknowledging each message as soon as it is counted; every second it prints
/// "COUNT &lt;unix ms&gt; &lt;data changes so far&gt;" so that a script measuring this process from outside can take
/// the rate over its own window.
/// </summary>
internal static class OpcUaBenchCommand
{
    public sealed record Options(int Items, string NodeFormat, double Seconds, double PublishingIntervalMs, double SamplingIntervalMs, uint QueueSize, int PublishRequests);

    public static Task<int> RunAsync(OpcUaTarget target, Options options, CancellationToken cancellationToken) =>
        OpcUaConnection.RunAsync(target with { TimeoutSeconds = target.TimeoutSeconds + options.Seconds }, async token =>
        {
            if (options.Items < 1) throw new OpcUaUsageException($"--items must be at least 1, got {options.Items}");
            if (options.PublishRequests < 1) throw new OpcUaUsageException($"--publish-requests must be at least 1, got {options.PublishRequests}");
            var nodes = new string[options.Items];
            for (var i = 0; i < nodes.Length; i++)
            {
                try
                {
                    nodes[i] = string.Format(CultureInfo.InvariantCulture, options.NodeFormat, i);
                }
                catch (FormatException)
                {
                    throw new OpcUaUsageException($"--node-format '{options.NodeFormat}' is not a format with {{0}} for the item number");
                }

                OpcUaConnection.ParseNodeId(nodes[i]);
            }

            var started = Stopwatch.StartNew();
            await using var connection = await OpcUaConnection.OpenAsync(target, token).ConfigureAwait(false);
            var subscription = await UaSubscription.CreateAsync(connection.Session, new UaSubscriptionOptions
            {
                PublishingInterval = TimeSpan.FromMilliseconds(options.PublishingIntervalMs),
                MaxKeepAliveCount = 10,
                LifetimeCount = 600,
            }, token).ConfigureAwait(false);
            var requests = new MonitoredItemRequest[nodes.Length];
            for (var i = 0; i < nodes.Length; i++)
            {
                requests[i] = new MonitoredItemRequest(connection.Resolve(nodes[i]), (uint)i, options.SamplingIntervalMs, options.QueueSize);
            }

            var results = await subscription.CreateMonitoredItemsAsync(requests, TimestampsToReturn.Both, token).ConfigureAwait(false);
            var failed = results.Count(r => r.StatusCode.IsBad);
            if (failed > 0)
            {
                var first = Array.FindIndex(results, r => r.StatusCode.IsBad);
                throw new UaServiceException(results[first].StatusCode, $"{failed} of {nodes.Length} monitored items could not be created, the first {nodes[first]}");
            }

            Console.Error.WriteLine($"edgetwin: {nodes.Length} items monitored after {started.Elapsed.TotalSeconds:0.0} s");
            long changes = 0;
            var allocatedAtStart = GC.GetTotalAllocatedBytes();
            long messages = 0, republished = 0, lost = 0;
            await using var publisher = new UaPublisher(connection.Session, new UaPublisherOptions { OutstandingRequests = options.PublishRequests, DeliverInline = true });
            publisher.Add(subscription);
            using var report = new Timer(_ => Report(Interlocked.Read(ref changes)), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            var remaining = TimeSpan.FromSeconds(options.Seconds) - started.Elapsed;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stop.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
            // SIGTERM or SIGINT (a script stopping the run) ends it like the end of --seconds: last count, then close.
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }

            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            try
            {
                while (true)
                {
                    var published = await publisher.Messages.ReadAsync(stop.Token).ConfigureAwait(false);
                    messages++;
                    if (published.Republished) republished++;
                    if (published.LostSequenceNumber is not null) lost++;
                    if (published.Message is { } message)
                    {
                        Interlocked.Add(ref changes, message.DataChanges.Count);
                        message.Release();
                        publisher.Acknowledge(published.SubscriptionId, message.SequenceNumber);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The run is over.
            }

            Report(Interlocked.Read(ref changes));
            var total = Interlocked.Read(ref changes);
            var allocated = GC.GetTotalAllocatedBytes() - allocatedAtStart;
            var gc = GC.GetGCMemoryInfo();
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"edgetwin: {messages} notification messages, {republished} of them republished after a gap, {lost} lost; {allocated / Math.Max(1, total):0} bytes allocated per data change, {GC.CollectionCount(0)} gen0 / {GC.CollectionCount(2)} gen2 collections, GC heap {gc.HeapSizeBytes / 1048576.0:0.0} MiB ({gc.TotalCommittedBytes / 1048576.0:0.0} MiB committed)"));
            return ExitCodes.Ok;
        }, cancellationToken);

    private static void Report(long changes) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"COUNT {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {changes}"));
}
