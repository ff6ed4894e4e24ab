using Microsoft.Extensions.Logging;

namespace EdgeTwin.Connectors.File;

/// <summary>The file sink's log messages; event ids 3100–3199 belong to it.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "File sink {Sink}: no position file in {Directory}, started {File}")]
    public static partial void StartedFresh(ILogger logger, string sink, string directory, string file);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "File sink {Sink}: {Directory} holds {Count} sink files but no position file; they are left as they are and a new file is started")]
    public static partial void FilesWithoutPosition(ILogger logger, string sink, string directory, int count);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "File sink {Sink}: resumed {File} at byte {Length}, holding segments up to {Segment}")]
    public static partial void Resumed(ILogger logger, string sink, string file, long length, long? segment);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "File sink {Sink}: dropped {Bytes} bytes after byte {Length} of {File}, left by a batch that was never confirmed")]
    public static partial void TruncatedTail(ILogger logger, string sink, string file, long length, long bytes);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "File sink {Sink}: removed {File}, an empty file left by an interrupted rotation")]
    public static partial void RemovedOrphan(ILogger logger, string sink, string file);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "File sink {Sink}: {File} is newer than the active file named by the position file but not empty; it is left alone")]
    public static partial void UnexpectedNewerFile(ILogger logger, string sink, string file);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Information, Message = "File sink {Sink}: rotated {Completed} ({Length} bytes), now writing {File}")]
    public static partial void Rotated(ILogger logger, string sink, string completed, long length, string file);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Information, Message = "File sink {Sink}: deleted {File}, beyond the {MaxFiles} completed files kept")]
    public static partial void Pruned(ILogger logger, string sink, string file, int maxFiles);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Warning, Message = "File sink {Sink}: could not delete {File}; it is tried again at the next rotation")]
    public static partial void PruneFailed(ILogger logger, string sink, string file, Exception exception);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Debug, Message = "File sink {Sink}: segments {First}..{Last} are already held (up to {Held}); nothing written")]
    public static partial void AlreadyHeld(ILogger logger, string sink, long first, long last, long held);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Warning, Message = "File sink {Sink}: writing segments {First}..{Last} failed; the position is reloaded from disk before the retry")]
    public static partial void SendFailed(ILogger logger, string sink, long first, long last, Exception exception);
}
