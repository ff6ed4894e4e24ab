using EdgeTwin.OpcUa.Client;
using EdgeTwin.OpcUa.Subscriptions;
using EdgeTwin.OpcUa.Tests.Infrastructure;
using EdgeTwin.OpcUa.Types;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.Client;

/// <summary>
/// The client against a real node-opcua server whose Tick nodes count k = floor(now / 100 ms) with source timestamp
/// k × 100 ms, so every value the server produced is known.
/// </summary>
public partial class UaClientReconnectTests
{
    private const int TickMs = 100;
    private static readonly ExpandedNodeId Tick = ExpandedNodeId.Parse("nsu=urn:edgetwin:test;s=Tick00000");

    private static readonly UaSubscriptionOptions FastSubscription = new() { PublishingInterval = TimeSpan.FromMilliseconds(200), MaxKeepAliveCount = 5 };

    [Fact]
    public async Task CutConnection_SameSessionOnANewChannel_EveryValueArrivesOnce()
    {
        await using var server = await OpcUaTestServer.StartAsync("--tick-ms", TickMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var relay = new TcpRelay(server.Port);
        await using var client = NewClient(relay.EndpointUrl);
        client.Start();
        await client.SubscribeAsync(FastSubscription, [new UaMonitoredNode(Tick, 1, SamplingInterval: 0, QueueSize: 200)]);
        var log = new EventLog(client);

        await log.WaitForValuesAsync(10);
        relay.CutAll();
        await log.WaitForAsync(UaClientEventKind.ConnectionRestored);
        var restoredAt = log.Ticks.Count;
        await log.WaitForValuesAsync(restoredAt + 10);
        await log.StopAsync();

        Assert.Contains(UaClientEventKind.ConnectionLost, log.Kinds);
        Assert.DoesNotContain(UaClientEventKind.SessionRecreated, log.Kinds);
        Assert.Equal(1, client.SessionsCreated);
        Assert.Equal(1, client.Reconnects);
        // No message is handed on twice. The server may send a value again in a new message after the session moved
        // (same value, same source timestamp: the gateway's dedup drops it); no value may be missing.
        Assert.Equal(log.Sequences.Count, log.Sequences.Distinct().Count());
        AssertContiguous([.. log.Ticks.Distinct()], string.Join(" ", log.Trace) + " | " + string.Join(",", log.Kinds));
    }

    [Fact]
    public async Task RestartedServer_WithNamespacesReordered_NewSessionFollowsTheSameNode()
    {
        var server = await OpcUaTestServer.StartAsync("--tick-ms", "100");
        var port = server.Port;
        await using var client = NewClient(server.EndpointUrl);
        client.Start();
        await client.SubscribeAsync(FastSubscription, [new UaMonitoredNode(Tick, 7, SamplingInterval: 0, QueueSize: 200)]);
        var log = new EventLog(client);
        await log.WaitForValuesAsync(5);
        Assert.True(client.Session!.Namespaces.TryGetIndex("urn:edgetwin:test", out var before));

        server.Kill();
        await server.DisposeAsync();
        await log.WaitForAsync(UaClientEventKind.ConnectionLost);
        var killedAt = log.Ticks.Count;
        await using var restarted = await OpcUaTestServer.StartOnPortAsync(port, "--tick-ms", "100", "--namespaces", "urn:inserted:a,urn:inserted:b");
        await log.WaitForAsync(UaClientEventKind.SubscriptionRecreated);
        await log.WaitForValuesAsync(killedAt + 5);
        await log.StopAsync();

        Assert.True(client.Session!.Namespaces.TryGetIndex("urn:edgetwin:test", out var after));
        Assert.Equal(before + 2, after);
        Assert.Contains(UaClientEventKind.SessionRecreated, log.Kinds);
        Assert.Equal(2, client.SessionsCreated);
        // The values after the restart are still Tick00000's: tick numbers, not another node's value.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / TickMs;
        Assert.All(log.Ticks, t => Assert.InRange(t, now - 600, now + 5));
        Assert.Equal(log.Ticks.Count, log.Ticks.Distinct().Count());
        Assert.True(log.Ticks.SequenceEqual(log.Ticks.Order()), "ticks arrive in order: " + string.Join(" ", log.Trace) + " / " + string.Join(",", log.Kinds));
    }

    [Fact]
    public async Task RestartedServer_WithoutTheNamespace_TheItemIsReportedAndNotRemapped()
    {
        var server = await OpcUaTestServer.StartAsync("--tick-ms", "100");
        var port = server.Port;
        await using var client = NewClient(server.EndpointUrl);
        client.Start();
        await client.SubscribeAsync(FastSubscription, [new UaMonitoredNode(Tick, 3, SamplingInterval: 0)]);
        var log = new EventLog(client);
        await log.WaitForValuesAsync(3);

        server.Kill();
        await server.DisposeAsync();
        // The same node ids exist, under another namespace URI, at the index the old one had.
        await using var restarted = await OpcUaTestServer.StartOnPortAsync(port, "--tick-ms", "100", "--namespace-uri", "urn:edgetwin:other");
        var failed = await log.WaitForAsync(UaClientEventKind.ItemFailed);
        var count = log.Ticks.Count;
        await Task.Delay(1000);
        await log.StopAsync();

        Assert.Equal(3u, failed.Item!.ClientHandle);
        Assert.True(failed.Status.Is(StatusCode.BadNodeIdUnknown), failed.Status.ToString());
        Assert.Contains("urn:edgetwin:test", failed.Detail, StringComparison.Ordinal);
        Assert.Equal(count, log.Ticks.Count);
        var read = await client.ReadValuesAsync([Tick]);
        Assert.True(read[0].EffectiveStatus.Is(StatusCode.BadNodeIdUnknown));
    }

    [Fact]
    public async Task SilentNetwork_WithoutSubscriptions_TheKeepAliveReadNoticesAndReconnects()
    {
        await using var server = await OpcUaTestServer.StartAsync();
        await using var relay = new TcpRelay(server.Port);
        await using var client = NewClient(relay.EndpointUrl);
        client.Start();
        await client.WaitConnectedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var log = new EventLog(client);

        relay.FreezeExisting();
        var lost = await log.WaitForAsync(UaClientEventKind.ConnectionLost);
        await client.WaitConnectedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var values = await client.ReadValuesAsync([ExpandedNodeId.Parse("nsu=urn:edgetwin:test;s=Item00004")]);
        await log.StopAsync();

        Assert.Contains("keep-alive", lost.Detail, StringComparison.Ordinal);
        Assert.Equal(4.0, values[0].Value.AsDouble());
        Assert.Equal(2, relay.Connections);
    }

    private static UaClient NewClient(string url) => new(new UaClientOptions
    {
        EndpointUrl = url,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromSeconds(1),
        KeepAliveInterval = TimeSpan.FromSeconds(1),
        Channel = new EdgeTwin.OpcUa.SecureChannel.UaSecureChannelOptions { RequestTimeout = TimeSpan.FromSeconds(3) },
    });

    private static void AssertContiguous(IReadOnlyList<long> ticks, string trace)
    {
        for (var i = 1; i < ticks.Count; i++)
        {
            Assert.True(ticks[i] == ticks[i - 1] + 1, $"tick {ticks[i - 1]} is followed by {ticks[i]} (position {i} of {ticks.Count}): {trace}");
        }
    }

    /// <summary>Reads the client's events, acknowledging every notification, and keeps what arrived.</summary>
    private sealed class EventLog
    {
        private readonly UaClient _client;
        private readonly List<UaClientEvent> _events = [];
        private readonly List<long> _ticks = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _reader;

        public EventLog(UaClient client)
        {
            _client = client;
            _reader = Task.Run(ReadAsync);
        }

        public List<string> Trace { get; } = [];

        public List<uint> Sequences { get; } = [];

        public IReadOnlyList<long> Ticks
        {
            get
            {
                lock (_ticks)
                {
                    return [.. _ticks];
                }
            }
        }

        public IReadOnlyList<UaClientEventKind> Kinds
        {
            get
            {
                lock (_events)
                {
                    return [.. _events.Select(e => e.Kind)];
                }
            }
        }

        public async Task WaitForValuesAsync(int count) =>
            await WaitAsync(() => Ticks.Count >= count ? true : null, $"{count} values (have {Ticks.Count}; events {string.Join(",", Kinds)})");

        public async Task<UaClientEvent> WaitForAsync(UaClientEventKind kind) =>
            await WaitAsync(() =>
            {
                lock (_events)
                {
                    return _events.FirstOrDefault(e => e.Kind == kind);
                }
            }, $"a {kind} event (events {string.Join(",", Kinds)})");

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _reader;
        }

        private static async Task<T> WaitAsync<T>(Func<T?> probe, string what)
            where T : class
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                if (probe() is { } found)
                {
                    return found;
                }

                await Task.Delay(50);
            }

            throw new TimeoutException("timed out waiting for " + what);
        }

        private async Task WaitAsync(Func<bool?> probe, string what) => await WaitAsync<object>(() => probe() == true ? new object() : null, what);

        private async Task ReadAsync()
        {
            try
            {
                await foreach (var e in _client.Events.ReadAllAsync(_stop.Token))
                {
                    lock (_events)
                    {
                        _events.Add(e);
                    }

                    if (e is { Kind: UaClientEventKind.Notification, Message: { } message })
                    {
                        lock (_ticks)
                        {
                            _ticks.AddRange(message.DataChanges.Select(c => (long)c.Value.Value.AsDouble()));
                            Sequences.Add(message.SequenceNumber);
                            Trace.AddRange(message.DataChanges.Select(c => $"{(long)c.Value.Value.AsDouble()}@{message.SequenceNumber}{(e.Republished ? "r" : "")}"));
                        }

                        _client.Acknowledge(e);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
