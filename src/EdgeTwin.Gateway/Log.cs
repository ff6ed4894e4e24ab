using Microsoft.Extensions.Logging;

namespace EdgeTwin.Gateway;

/// <summary>Gateway log messages; event ids 1000–1099 hosting, 1100–1199 pipeline, 1200–1299 sinks and sources.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "EdgeTwin {Version} starting: gateway {GatewayId}, config {ConfigSource} (hash {ConfigHash}), state in {StateDirectory}")]
    public static partial void Starting(ILogger logger, string version, string gatewayId, string configSource, string configHash, string stateDirectory);

    [LoggerMessage(1001, LogLevel.Information, "Pipeline up: {Sources}, {Sinks}, {Assets}, {Mappings}")]
    public static partial void Ready(ILogger logger, string sources, string sinks, string assets, string mappings);

    [LoggerMessage(1002, LogLevel.Warning, "Queue recovery: {Problem}")]
    public static partial void RecoveryProblem(ILogger logger, string problem);

    [LoggerMessage(1003, LogLevel.Information, "Stopped: {Readings} readings in, {Accepted} points committed, {Duplicates} duplicates dropped, {LateUnverified} late unverified, {Quarantined} quarantined")]
    public static partial void Stopped(ILogger logger, long readings, long accepted, long duplicates, long lateUnverified, long quarantined);

    [LoggerMessage(1004, LogLevel.Critical, "Cannot start: {Reason}")]
    public static partial void CannotStart(ILogger logger, string reason);

    [LoggerMessage(1005, LogLevel.Critical, "Cannot open the state directory {Directory}: {Reason}")]
    public static partial void StateDirectoryFailed(ILogger logger, string directory, string reason);

    [LoggerMessage(1006, LogLevel.Debug, "status.json not written")]
    public static partial void StatusNotWritten(ILogger logger, Exception error);

    [LoggerMessage(1007, LogLevel.Information, "API listening on {Url} (status page /, metrics /metrics); mutating endpoints need the token from {TokenOrigin}")]
    public static partial void ApiListening(ILogger logger, string url, string tokenOrigin);

    [LoggerMessage(1008, LogLevel.Critical, "Cannot start the API on {Address}:{Port}: {Reason}")]
    public static partial void ApiCannotStart(ILogger logger, string address, int port, string reason);

    [LoggerMessage(1016, LogLevel.Warning, "{Signals} arrived blocked from the process that started the gateway; unblocked, so reload and stop signals work")]
    public static partial void SignalsWereBlocked(ILogger logger, string signals);

    [LoggerMessage(1017, LogLevel.Warning, "SIGHUP arrived ignored from the process that started the gateway (nohup?); it is handled now: a hangup re-reads the configuration and never stops the gateway")]
    public static partial void HangupWasIgnored(ILogger logger);

    [LoggerMessage(1019, LogLevel.Warning, "SIGINT arrived ignored from the process that started the gateway (a background job of a shell?); it is handled now: SIGINT stops the gateway gracefully, as SIGTERM does")]
    public static partial void InterruptWasIgnored(ILogger logger);

    [LoggerMessage(1018, LogLevel.Information, "Configuration reload (SIGHUP) deferred: the gateway is starting, stopping or already reloading; the file is read again once it has started")]
    public static partial void ReloadDeferred(ILogger logger);

    [LoggerMessage(1014, LogLevel.Error, "Pipeline stalled: batches waiting and no progress for {Seconds} s ({Backlog} batch(es) queued); systemd watchdog pings withheld")]
    public static partial void WatchdogWithheld(ILogger logger, long seconds, int backlog);

    [LoggerMessage(1015, LogLevel.Information, "Pipeline moving again; systemd watchdog pings resumed")]
    public static partial void WatchdogResumed(ILogger logger);

    [LoggerMessage(1010, LogLevel.Error, "Configuration reload rejected, the running configuration stays: {Source}: {Errors}")]
    public static partial void ReloadRejected(ILogger logger, string source, string errors);

    [LoggerMessage(1011, LogLevel.Information, "Configuration reload (SIGHUP): {Source} is valid (hash {ConfigHash}); restarting the pipeline on the same queue")]
    public static partial void Reloading(ILogger logger, string source, string configHash);

    [LoggerMessage(1012, LogLevel.Information, "Configuration reload ignored: {Reason}")]
    public static partial void ReloadIgnored(ILogger logger, string reason);

    [LoggerMessage(1013, LogLevel.Error, "The reloaded configuration could not be started; going back to the previous one")]
    public static partial void ReloadRolledBack(ILogger logger);

    [LoggerMessage(1099, LogLevel.Critical, "Pipeline thread failed")]
    public static partial void PipelineFailed(ILogger logger, Exception error);

    [LoggerMessage(1100, LogLevel.Warning, "Queue full, sources are being slowed (block policy): {Reason}")]
    public static partial void QueueBlocked(ILogger logger, string reason);

    [LoggerMessage(1101, LogLevel.Information, "Queue accepting again after {Millis} ms blocked")]
    public static partial void QueueUnblocked(ILogger logger, long millis);

    [LoggerMessage(1102, LogLevel.Error, "Commit failed ({Error}); retrying in {DelayMs} ms. Nothing was acknowledged upstream")]
    public static partial void CommitFailed(ILogger logger, string error, long delayMs);

    [LoggerMessage(1103, LogLevel.Error, "Queue maintenance failed: {Error}")]
    public static partial void MaintenanceFailed(ILogger logger, string error);

    [LoggerMessage(1104, LogLevel.Warning, "Stopping with {Batches} batch(es) not committed: their sources were not acknowledged and will redeliver")]
    public static partial void AbandonedBatches(ILogger logger, int batches);

    [LoggerMessage(1105, LogLevel.Information, "Storage recovered after a failure; pipeline resumed")]
    public static partial void StorageRecovered(ILogger logger);

    [LoggerMessage(1106, LogLevel.Information, "Quarantine replay: {Replayed} entr(ies) re-run, {Cured} cured ({Duplicates} already queued), {Remaining} still quarantined")]
    public static partial void QuarantineReplayed(ILogger logger, int replayed, int cured, int duplicates, int remaining);

    [LoggerMessage(1200, LogLevel.Warning, "Sink {Sink} failed ({Error}); retrying with backoff, its segments stay queued")]
    public static partial void SinkFailed(ILogger logger, string sink, string error);

    [LoggerMessage(1203, LogLevel.Warning, "Sink {Sink}: circuit opened after repeated failures, no send for {BreakSeconds} s (last error: {Error})")]
    public static partial void CircuitOpened(ILogger logger, string sink, double breakSeconds, string error);

    [LoggerMessage(1204, LogLevel.Information, "Sink {Sink}: circuit half-open, trying one send")]
    public static partial void CircuitHalfOpen(ILogger logger, string sink);

    [LoggerMessage(1205, LogLevel.Information, "Sink {Sink}: circuit closed, uplink delivering again")]
    public static partial void CircuitClosed(ILogger logger, string sink);

    [LoggerMessage(1201, LogLevel.Information, "Sink {Sink} resumes after segment {Cursor}")]
    public static partial void SinkResumes(ILogger logger, string sink, long cursor);

    [LoggerMessage(1202, LogLevel.Warning, "Sink {Sink} rejected {Count} point(s) for good; quarantined (first: {Reason})")]
    public static partial void SinkRejected(ILogger logger, string sink, int count, string reason);

    [LoggerMessage(1206, LogLevel.Warning, "Sink {Sink} is behind: {Points} queued points are backlog (the oldest waited {WaitedSeconds:F1} s); fresh segments after {LaneFrom} go first on the live lane, the backlog drains behind them flagged replayed, {Rate}")]
    public static partial void LaneOpened(ILogger logger, string sink, long points, double waitedSeconds, long laneFrom, string rate);

    [LoggerMessage(1207, LogLevel.Information, "Sink {Sink}: backlog drained ({Points} points replayed in {Seconds:F1} s); back to queue order after segment {Cursor}")]
    public static partial void LaneClosed(ILogger logger, string sink, long points, double seconds, long cursor);

    [LoggerMessage(1210, LogLevel.Error, "Source {Source} failed ({Error}); restarting it with backoff")]
    public static partial void SourceFailed(ILogger logger, string source, string error);

    [LoggerMessage(1211, LogLevel.Information, "Source {Source} finished: {State}")]
    public static partial void SourceFinished(ILogger logger, string source, string state);
}
