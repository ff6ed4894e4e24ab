namespace EdgeTwin.Connectors.File;

/// <summary>
/// The steps by which the file sink makes a batch durable, in the order they happen. Tests observe them (and
/// stop the sink at each one, as kill -9 would) through <see cref="JsonlFileSink.StepHook"/>.
/// </summary>
internal enum DurabilityStep
{
    /// <summary>A chunk of lines was written into the active file (not yet synced).</summary>
    ChunkWritten,

    /// <summary>The active file was fsync'd: the batch's lines are durable but not yet recorded.</summary>
    DataSynced,

    /// <summary>The new position was written to <c>position.json.tmp</c> and fsync'd, not yet renamed.</summary>
    PositionTempSynced,

    /// <summary><c>position.json.tmp</c> was renamed over <c>position.json</c>; the directory is not yet synced.</summary>
    PositionRenamed,

    /// <summary>The sink's directory was fsync'd: files created and renamed in it so far are durable.</summary>
    DirectorySynced,

    /// <summary>The position write is complete (the directory was fsync'd after the rename): it is durable.</summary>
    PositionDurable,

    /// <summary>A new file was created and its directory entry fsync'd; the position does not name it yet.</summary>
    FileCreated,

    /// <summary>Recovery cut the active file back to the recorded length.</summary>
    TailTruncated,
}
