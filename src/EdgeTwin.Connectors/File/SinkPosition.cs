namespace EdgeTwin.Connectors.File;

/// <summary>
/// What the file sink durably holds: every segment up to <see cref="Segment"/> (null: none yet), ending at
/// byte <see cref="Length"/> of the active file <see cref="File"/> (a bare name inside the sink's directory).
/// Bytes of the active file beyond <see cref="Length"/> belong to a batch that was never confirmed.
/// </summary>
internal readonly record struct SinkPosition(long? Segment, string File, long Length);
