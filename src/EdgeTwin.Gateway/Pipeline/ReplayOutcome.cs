namespace EdgeTwin.Gateway.Pipeline;

/// <summary>
/// What a quarantine replay did: of <see cref="Replayed"/> entries, <see cref="Cured"/> now map and validate (of
/// which <see cref="Duplicates"/> were already in the queue), <see cref="Remaining"/> are still quarantined.
/// </summary>
public sealed record ReplayOutcome(int Replayed, int Cured, int Duplicates, int Remaining);
