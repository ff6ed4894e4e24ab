using System.Collections.Concurrent;
using System.Threading.Channels;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;

namespace EdgeTwin.OpcUa.Subscriptions;

/// <summary>
/// The Publish loop of one session (OPC 10000-4 §5.14.5): keeps several Publish requests outstanding, hands
/// each NotificationMessage to <see cref="Messages"/>, sends the acknowledgements the consumer gives with the
/// next requests, and asks for missed sequence numbers with Republish. Keep-alives are not handed on; they
/// only move <see cref="LastResponse"/>. A full consumer queue stops new requests, so the server holds the
/// data instead of this process.
/// </summary>
public sealed class UaPublisher : IAsyncDisposable
{
    private static readonly StatusCode BadNoSubscription = new(0x80790000);
    private static readonly StatusCode BadTooManyPublishRequests = new(0x80780000);

    private readonly UaSession _session;
    private readonly UaPublisherOptions _options;
    private readonly Channel<UaPublishedMessage> _messages;
    private readonly ConcurrentQueue<SubscriptionAcknowledgement> _acks;
    private readonly ConcurrentDictionary<uint, SubscriptionState> _subscriptions = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private int _activeWorkers;

    public UaPublisher(UaSession session, UaPublisherOptions? options = null)
        : this(session, options, new ConcurrentQueue<SubscriptionAcknowledgement>())
    {
    }

    /// <summary>
    /// A loop that takes its acknowledgements from <paramref name="acknowledgements"/>: a client that replaces the
    /// loop after a lost channel hands the same queue on, so acknowledgements given meanwhile are still sent.
    /// </summary>
    internal UaPublisher(UaSession session, UaPublisherOptions? options, ConcurrentQueue<SubscriptionAcknowledgement> acknowledgements)
    {
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _acks = acknowledgements;
        _options = options ?? new UaPublisherOptions();
        _messages = Channel.CreateBounded<UaPublishedMessage>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
            AllowSynchronousContinuations = _options.DeliverInline,
        });
    }

    /// <summary>Messages in delivery order per subscription; completes with the error that ended the loop.</summary>
    public ChannelReader<UaPublishedMessage> Messages => _messages.Reader;

    /// <summary>When the last Publish response (data or keep-alive) arrived, in UTC.</summary>
    public DateTime LastResponse { get; private set; }

    /// <summary>
    /// Adds a subscription whose messages this loop delivers, and starts the loop if needed.
    /// <paramref name="lastDelivered"/> is the last sequence number an earlier loop delivered for it (a session
    /// that moved to a new channel): anything after it that the server no longer sends is asked for with Republish.
    /// </summary>
    public void Add(UaSubscription subscription, uint lastDelivered = 0)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        _subscriptions[subscription.SubscriptionId] = new SubscriptionState(subscription, lastDelivered);
        lock (_workers)
        {
            while (_workers.Count < _options.OutstandingRequests)
            {
                Interlocked.Increment(ref _activeWorkers);
                _workers.Add(Task.Run(WorkerAsync));
            }
        }
    }

    /// <summary>Queues an acknowledgement for the next Publish request: the server may then forget the message.</summary>
    public void Acknowledge(uint subscriptionId, uint sequenceNumber) => _acks.Enqueue(new SubscriptionAcknowledgement(subscriptionId, sequenceNumber));

    /// <summary>The sequence numbers the server still holds for retransmission, as of its last response.</summary>
    public IReadOnlyList<uint> AvailableSequenceNumbers(uint subscriptionId) =>
        _subscriptions.TryGetValue(subscriptionId, out var state) ? state.Available : [];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Task[] workers;
        lock (_workers)
        {
            workers = [.. _workers];
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        _messages.Writer.TryComplete();
        _stop.Dispose();
    }

    private async Task WorkerAsync()
    {
        var token = _stop.Token;
        SubscriptionAcknowledgement[] acks = [];
        try
        {
            while (!token.IsCancellationRequested)
            {
                acks = DrainAcknowledgements();
                PublishResponse response;
                try
                {
                    var hint = TimeoutHint();
                    var header = _session.Channel.CreateRequestHeader(_session.AuthenticationToken, hint);
                    response = await _session.Channel.CallWithHintAsync<PublishResponse>(header, new PublishRequest(acks), completeInline: true, token).ConfigureAwait(false);
                }
                catch (UaServiceException ex) when (ex.Status.Is(StatusCode.BadTimeout))
                {
                    Requeue(acks);
                    continue;
                }
                catch (UaServiceException ex) when (ex.Status.Is(BadNoSubscription))
                {
                    Requeue(acks);
                    await Task.Delay(100, token).ConfigureAwait(false);
                    continue;
                }
                catch (UaServiceException ex) when (ex.Status.Is(BadTooManyPublishRequests) && Volatile.Read(ref _activeWorkers) > 1)
                {
                    Requeue(acks);
                    return;
                }

                acks = [];
                LastResponse = DateTime.UtcNow;
                await HandleAsync(response, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            Requeue(acks);
        }
        catch (Exception ex)
        {
            // The request may never have reached the server: its acknowledgements go with the next loop.
            Requeue(acks);
            _messages.Writer.TryComplete(ex);
        }
        finally
        {
            Interlocked.Decrement(ref _activeWorkers);
        }
    }

    private async Task HandleAsync(PublishResponse response, CancellationToken token)
    {
        if (!_subscriptions.TryGetValue(response.SubscriptionId, out var state))
        {
            return;
        }

        state.Available = response.AvailableSequenceNumbers;
        var message = response.Message;
        await state.Gate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (message.IsKeepAlive)
            {
                // A keep-alive carries the next sequence number to come: anything before it that we have not
                // seen was missed (OPC 10000-4 §5.14.1.1).
                if (message.SequenceNumber > state.Last + 1 && !await AwaitInFlightAsync(state, message.SequenceNumber - 1, token).ConfigureAwait(false))
                {
                    await RecoverAsync(state, message.SequenceNumber - 1, token).ConfigureAwait(false);
                }

                return;
            }

            if (!state.Delivered.Add(message.SequenceNumber))
            {
                message.Release();
                return;
            }

            // Numbering starts at 1 (OPC 10000-4 §7.26): a first message numbered 2 means 1 is still on its way in
            // another Publish response, or lost; either way it is fetched first, so messages are handed on in order.
            if (message.SequenceNumber > state.Last + 1 && !await AwaitInFlightAsync(state, message.SequenceNumber - 1, token).ConfigureAwait(false))
            {
                await RecoverAsync(state, message.SequenceNumber - 1, token).ConfigureAwait(false);
            }

            await _messages.Writer.WriteAsync(new UaPublishedMessage(state.Subscription.SubscriptionId, message, Republished: false), token).ConfigureAwait(false);
            state.Advance(message.SequenceNumber);
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>
    /// Several Publish responses are in flight at once, and the workers that received them race for the gate: the
    /// response with the next number may be in another worker's hands, a moment from being handed on. Called with
    /// the gate held, this gives the gate up until <paramref name="upTo"/> is delivered or <see cref="ReorderGrace"/>
    /// has passed, and returns whether the gap closed. Only a gap that stays open is fetched with Republish.
    /// </summary>
    private static async Task<bool> AwaitInFlightAsync(SubscriptionState state, uint upTo, CancellationToken token)
    {
        var started = Environment.TickCount64;
        while (state.Last < upTo)
        {
            var left = ReorderGrace - TimeSpan.FromMilliseconds(Environment.TickCount64 - started);
            if (left <= TimeSpan.Zero) return false;
            var advanced = state.Advanced;
            state.Gate.Release();
            try
            {
                await advanced.WaitAsync(left, token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Checked below, with the gate held again.
            }
            finally
            {
                // Not cancellable: the caller releases the gate in its finally, so it must hold it again here.
                await state.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        return true;
    }

    /// <summary>How long a gap in the sequence numbers may wait for a response already received by another worker.</summary>
    internal static readonly TimeSpan ReorderGrace = TimeSpan.FromMilliseconds(200);

    // Republish every missing number in order, starting with the next expected one (OPC 10000-4 §6.7).
    private async Task RecoverAsync(SubscriptionState state, uint upTo, CancellationToken token)
    {
        for (var number = state.Last + 1; number <= upTo && number != 0; number++)
        {
            if (state.Delivered.Contains(number))
            {
                continue;
            }

            var message = await state.Subscription.RepublishAsync(number, token).ConfigureAwait(false);
            state.Delivered.Add(number);
            var published = message is null
                ? new UaPublishedMessage(state.Subscription.SubscriptionId, null, Republished: true, LostSequenceNumber: number)
                : new UaPublishedMessage(state.Subscription.SubscriptionId, message, Republished: true);
            await _messages.Writer.WriteAsync(published, token).ConfigureAwait(false);
            state.Advance(number);
        }
    }

    private SubscriptionAcknowledgement[] DrainAcknowledgements()
    {
        if (_acks.IsEmpty)
        {
            return [];
        }

        var acks = new List<SubscriptionAcknowledgement>();
        while (_acks.TryDequeue(out var ack))
        {
            acks.Add(ack);
        }

        return [.. acks];
    }

    private void Requeue(SubscriptionAcknowledgement[] acks)
    {
        foreach (var ack in acks)
        {
            _acks.Enqueue(ack);
        }
    }

    // The server holds a Publish request until it has data or a keep-alive is due; with several outstanding
    // requests the last one may wait several keep-alive periods.
    private TimeSpan TimeoutHint()
    {
        var longest = TimeSpan.FromSeconds(10);
        foreach (var state in _subscriptions.Values)
        {
            var period = state.Subscription.KeepAlivePeriod * (_options.OutstandingRequests + 1);
            if (period > longest)
            {
                longest = period;
            }
        }

        return longest;
    }

    private sealed class SubscriptionState(UaSubscription subscription, uint last)
    {
        private const int Remembered = 4096;

        public UaSubscription Subscription { get; } = subscription;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public HashSet<uint> Delivered { get; } = [];

        public uint Last { get; private set; } = last;

        public uint[] Available { get; set; } = [];

        private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes at the next <see cref="Advance"/>.</summary>
        public Task Advanced => Volatile.Read(ref _advanced).Task;

        public void Advance(uint number)
        {
            if (number > Last)
            {
                Last = number;
                Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }

            if (Delivered.Count > Remembered * 2)
            {
                Delivered.RemoveWhere(n => n + Remembered < Last);
            }
        }
    }
}
