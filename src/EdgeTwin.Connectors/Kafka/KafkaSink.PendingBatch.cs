using Confluent.Kafka;
using EdgeTwin.Core.Pipeline;

namespace EdgeTwin.Connectors.Kafka;

public sealed partial class KafkaSink
{
    /// <summary>
    /// One batch's delivery reports, kept across retries of the same batch. Reports arrive on librdkafka's poll
    /// thread; the counts and the completion are the only state shared with it.
    /// </summary>
    private sealed class PendingBatch
    {
        private const byte Pending = 0, Delivered = 1, Refused = 2;

        private readonly long _first;
        private readonly long _last;
        private readonly byte[] _state;
        private readonly List<SinkRejection> _rejections = [];
        private readonly object _gate = new();
        private int _attempt;
        private int _outstanding;
        private int _failed;
        private Error? _failure;
        private bool _allSent;
        private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public PendingBatch(SinkBatch batch)
        {
            _first = batch.FirstSegmentId;
            _last = batch.LastSegmentId;
            _state = new byte[batch.Points.Count];
        }

        public Error? Failure => _failure;

        public int FailedCount => _failed;

        public int DeliveredCount => _state.Count(s => s == Delivered);

        public List<SinkRejection> Rejections
        {
            get
            {
                lock (_gate)
                {
                    _rejections.Sort((a, b) => a.Index.CompareTo(b.Index));
                    return _rejections;
                }
            }
        }

        public bool Matches(SinkBatch batch) => batch.FirstSegmentId == _first && batch.LastSegmentId == _last && batch.Points.Count == _state.Length;

        public bool IsSettled(int index) => Volatile.Read(ref _state[index]) != Pending;

        /// <summary>Starts an attempt and returns its number; reports of an abandoned (cancelled) attempt only record deliveries.</summary>
        public int BeginAttempt()
        {
            lock (_gate)
            {
                _attempt++;
                _outstanding = 0;
                _failed = 0;
                _failure = null;
                _allSent = false;
                _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
                return _attempt;
            }
        }

        public void Reject(int index, string reason)
        {
            lock (_gate)
            {
                _state[index] = Refused;
                _rejections.Add(new SinkRejection(index, reason));
            }
        }

        public void Report(int attempt, int index, Error? error, bool permanent)
        {
            lock (_gate)
            {
                if (attempt != _attempt)
                {
                    if (error is null && _state[index] == Pending) Volatile.Write(ref _state[index], Delivered);
                    return;
                }
                if (error is null) Volatile.Write(ref _state[index], Delivered);
                else if (permanent)
                {
                    _state[index] = Refused;
                    _rejections.Add(new SinkRejection(index, $"refused by Kafka: {Describe(error)}"));
                }
                else
                {
                    _failed++;
                    _failure ??= error;
                }
                _outstanding--;
                if (_allSent && _outstanding == 0) _done.TrySetResult();
            }
        }

        /// <summary>Declares how many messages this attempt produced (their reports may have come already) and waits for the rest.</summary>
        public Task WaitAsync(int sent, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                _outstanding += sent;
                _allSent = true;
                if (_outstanding == 0) _done.TrySetResult();
                return _done.Task.WaitAsync(cancellationToken);
            }
        }
    }
}
