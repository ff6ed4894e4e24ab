namespace EdgeTwin.Connectors.Mqtt;

/// <summary>
/// Where a received topic goes: the first subscription (in configuration order) whose filter matches it, the
/// asset and metric its template reads from the topic (or the subscription's fixed ones), and the reading
/// address <c>mqtt:{topic}</c>, which <c>$.mappings</c> may map. Topics repeat, so each one is resolved once
/// and cached (up to <see cref="MaxCachedTopics"/>; past that the cache starts over).
/// </summary>
public sealed class MqttTopicRouter
{
    public const string AddressPrefix = "mqtt:";
    private const int MaxCachedTopics = 65536;
    private readonly IReadOnlyList<MqttSubscription> _subscriptions;
    private readonly Dictionary<string, MqttTopicBinding> _cache = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public MqttTopicRouter(IReadOnlyList<MqttSubscription> subscriptions) => _subscriptions = subscriptions;

    public MqttTopicBinding Route(string topic)
    {
        lock (_gate)
        {
            if (_cache.TryGetValue(topic, out var cached)) return cached;
            if (_cache.Count >= MaxCachedTopics) _cache.Clear();
            var binding = Resolve(topic);
            _cache[topic] = binding;
            return binding;
        }
    }

    private MqttTopicBinding Resolve(string topic)
    {
        foreach (var sub in _subscriptions)
        {
            if (sub.Template.TryMatch(topic, out var asset, out var metric))
            {
                return new MqttTopicBinding(topic, AddressPrefix + topic, sub, asset ?? sub.Asset, metric ?? sub.Metric);
            }
        }
        // A topic no subscription asked for: a subscription an earlier configuration left in the broker's session.
        return new MqttTopicBinding(topic, AddressPrefix + topic, null, null, null);
    }
}

/// <summary>A topic resolved by <see cref="MqttTopicRouter"/>.</summary>
public sealed class MqttTopicBinding
{
    private const int MaxCachedMetrics = 256;
    private readonly Dictionary<string, string> _metricAddresses = new(StringComparer.Ordinal);

    public MqttTopicBinding(string topic, string address, MqttSubscription? subscription, string? asset, string? metric)
    {
        Topic = topic;
        Address = address;
        Subscription = subscription;
        Asset = asset;
        Metric = metric;
    }

    public string Topic { get; }

    /// <summary><c>mqtt:{topic}</c>: the reading's source address.</summary>
    public string Address { get; }

    /// <summary>Null when no configured subscription matches the topic.</summary>
    public MqttSubscription? Subscription { get; }

    public string? Asset { get; }

    public string? Metric { get; }

    /// <summary>
    /// The address of one metric of a multi-metric payload, <c>mqtt:{topic}#{metric}</c>: '#' never occurs in a topic
    /// name, and a distinct address per metric lets <c>$.mappings</c> scale or rename each one.
    /// </summary>
    public string AddressOf(string metric)
    {
        lock (_metricAddresses)
        {
            if (_metricAddresses.TryGetValue(metric, out var address)) return address;
            address = string.Concat(Address, "#", metric);
            if (_metricAddresses.Count < MaxCachedMetrics) _metricAddresses[metric] = address;
            return address;
        }
    }
}
