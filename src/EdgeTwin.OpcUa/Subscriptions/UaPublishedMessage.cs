namespace EdgeTwin.OpcUa.Subscriptions;

/// <summary>
/// One notification message handed to the consumer, or a gap: <see cref="Message"/> is null and
/// <see cref="LostSequenceNumber"/> names a message the server could no longer republish.
/// Acknowledge <see cref="NotificationMessage.SequenceNumber"/> once the data is safe.
/// </summary>
public sealed record UaPublishedMessage(uint SubscriptionId, NotificationMessage? Message, bool Republished, uint? LostSequenceNumber = null);
