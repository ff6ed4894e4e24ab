using System.Runtime.InteropServices;
using EdgeTwin.Core.Config;
using EdgeTwin.Gateway.Api;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Gateway.Hosting;
using EdgeTwin.Gateway.Systemd;
using EdgeTwin.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace EdgeTwin.Gateway.Cli;

/// <summary><c>edgetwin run</c>: the daemon on the Generic Host, systemd-aware, with a graceful stop on SIGTERM.</summary>
public static class RunCommand
{
    public static async Task<int> RunAsync(string? configPath, bool exitWhenDrained, CancellationToken cancellationToken)
    {
        EdgeTwinConfig config;
        string source;
        try
        {
            (config, source) = ConfigSource.Resolve(configPath);
        }
        catch (ConfigException ex)
        {
            await Console.Error.WriteLineAsync("edgetwin: invalid configuration, not starting." + Environment.NewLine + ex.Message).ConfigureAwait(false);
            return ExitCodes.Config;
        }

        // SIGINT and SIGTERM stop the gateway gracefully, however long that takes: the running host stops on them once
        // it has started (it has no signal handlers of its own), and between the two hosts of a reload the loop below ends instead of starting the next.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var onInterrupt = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Stop(c, stop));
        using var onTerminate = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Stop(c, stop));
        cancellationToken = stop.Token;

        using var notifier = ServiceNotifier.FromEnvironment();
        using var bridge = new ReloadWatchdog(notifier, ServiceNotifier.WatchdogInterval(), TimeProvider.System);
        using var reload = new ReloadSignal(source);
        EdgeTwinConfig? previous = null;
        while (true)
        {
            var outcome = await RunOnceAsync(config, source, exitWhenDrained, notifier, bridge, reload, cancellationToken).ConfigureAwait(false);
            // Null: a reloaded configuration could not be started. With nothing to go back to (the rollback itself
            // failed) that is a failure systemd should see and restart us for, never a clean exit.
            var code = outcome.Code ?? ExitCodes.TempFail;
            if (reload.Pending is not { } next || cancellationToken.IsCancellationRequested)
            {
                if (outcome.Code is null && previous is not null)
                {
                    // The new configuration could not be opened (its state directory, a sink's settings): go back to the one that ran.
                    reload.Log?.Invoke(l => Log.ReloadRolledBack(l));
                    (config, previous) = (previous, null);
                    continue;
                }
                return code;
            }
            if (outcome.Code is not ExitCodes.Ok) return code; // the pipeline failed while stopping: exit, systemd restarts us
            // Stopped gracefully for a reload: everything acknowledged is committed, the queue checkpointed on disk.
            previous = config;
            config = next;
            reload.Pending = null;
        }
    }

    private static void Stop(PosixSignalContext context, CancellationTokenSource stop)
    {
        context.Cancel = true; // the default action would end the process at once
        stop.Cancel();
    }

    /// <summary>The outcome of one host run: an exit code, or null when the configuration could not be opened.</summary>
    private readonly record struct RunOutcome(int? Code);

    private static async Task<RunOutcome> RunOnceAsync(EdgeTwinConfig config, string source, bool exitWhenDrained, ServiceNotifier notifier, ReloadWatchdog bridge, ReloadSignal reload, CancellationToken cancellationToken)
    {
        var reloading = reload.Generation > 0;
        // With the API on, the host is the slim WebApplication builder's: one Generic Host runs Kestrel and the
        // pipeline's services, and one SIGTERM stops them all (Kestrel first, the pipeline last).
        var web = config.Api.Enabled ? ApiHost.CreateBuilder(config) : null;
        IHostApplicationBuilder builder = web is not null ? web : Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "edgetwin" });
        ConfigureLogging(builder.Logging, config);
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(config.Gateway.ShutdownTimeoutSeconds);
            o.ServicesStartConcurrently = false;
            o.ServicesStopConcurrently = false;
        });
        // Stop signals are ours alone (see the handlers in RunAsync): the host's own would cancel a start half-way.
        builder.Services.AddSingleton<IHostLifetime, SignalFreeLifetime>();

        // The loggers exist before the host does: the queue's integrity check logs during Open.
        using var loggers = LoggerFactory.Create(l => ConfigureLogging(l, config));
        var log = loggers.CreateLogger("EdgeTwin.Gateway");
        reload.Log = f => f(log);
        Log.Starting(log, GatewayRuntime.Version, config.Gateway.Id, source, ConfigLoader.Hash(config), config.Gateway.StateDirectory);
        if (DaemonSignals.WereBlocked.Count > 0 && reload.Generation == 0) Log.SignalsWereBlocked(log, string.Join(", ", DaemonSignals.WereBlocked));
        if (DaemonSignals.HangupWasIgnored && reload.Generation == 0) Log.HangupWasIgnored(log);
        if (DaemonSignals.InterruptWasIgnored && reload.Generation == 0) Log.InterruptWasIgnored(log);

        if (web is not null && ApiPortProbe.WhyNotBindable(config.Api.Address, config.Api.Port, source) is { } unbindable)
        {
            // Before anything starts: one line that says what to change, not the web host's exception.
            Log.ApiCannotStart(log, config.Api.Address, config.Api.Port, unbindable);
            return new(reloading ? null : ExitCodes.Unavailable);
        }

        GatewayRuntime runtime;
        try
        {
            runtime = GatewayRuntime.Open(config, source, loggers, TimeProvider.System);
        }
        catch (QueueLockedException ex)
        {
            Log.CannotStart(log, ex.Message);
            return new(reloading ? null : ExitCodes.TempFail);
        }
        catch (Exception ex) when (ex is StorageException or IOException or UnauthorizedAccessException)
        {
            Log.StateDirectoryFailed(log, config.Gateway.StateDirectory, (ex as StorageException)?.InnerException?.Message ?? ex.Message);
            return new(reloading ? null : ExitCodes.IoError);
        }

        using (runtime)
        {
            foreach (var problem in runtime.Queue.Recovery.Problems) Log.RecoveryProblem(log, problem);
            try
            {
                runtime.CreateEndpoints(loggers);
            }
            catch (ArgumentException ex)
            {
                // A source or sink refused its settings (a check only it can make): that is a configuration error too.
                Log.CannotStart(log, ex.Message);
                return new(reloading ? null : ExitCodes.Config);
            }
            ApiToken? token = null;
            if (web is not null)
            {
                try
                {
                    token = ApiToken.Resolve(config.Api, config.Gateway.StateDirectory, source);
                }
                catch (ConfigException ex)
                {
                    await Console.Error.WriteLineAsync("edgetwin: invalid configuration, not starting." + Environment.NewLine + ex.Message).ConfigureAwait(false);
                    return new(reloading ? null : ExitCodes.Config);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Log.StateDirectoryFailed(log, config.Gateway.StateDirectory, "cannot write the API token: " + ex.Message);
                    return new(reloading ? null : ExitCodes.IoError);
                }
            }
            foreach (var service in runtime.HostedServices(loggers)) builder.Services.AddSingleton(service);
            if (exitWhenDrained) builder.Services.AddSingleton<IHostedService>(sp => new DrainWatcher(runtime, sp.GetRequiredService<IHostApplicationLifetime>()));
            // Registered last, so READY=1 follows the start of every other service.
            builder.Services.AddSingleton<IHostedService>(sp => new ServiceNotifyWorker(runtime, notifier,
                sp.GetRequiredService<IHostApplicationLifetime>(), loggers.CreateLogger<ServiceNotifyWorker>(), () => reload.Pending is not null, bridge));

            using var host = web is not null ? ApiHost.Build(web, runtime, token!, log) : ((HostApplicationBuilder)builder).Build();
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            // A pipeline that died cannot do its job: stop, exit non-zero (70), and let systemd restart us.
            _ = runtime.Pipeline!.Completion.ContinueWith(
                _ => lifetime.StopApplication(),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            // Armed once the host has started: a restart requested during the start would cancel it half-way.
            lifetime.ApplicationStarted.Register(() => reload.Arm(config, () =>
            {
                notifier.Send("RELOADING=1\nMONOTONIC_USEC=" + ServiceNotifier.MonotonicMicroseconds() + "\nSTATUS=reloading the configuration");
                // Stopping this host and starting the next (or rolling back) each get the shutdown timeout, plus a minute.
                bridge.Begin(TimeSpan.FromSeconds(config.Gateway.ShutdownTimeoutSeconds * 2 + 60));
                lifetime.StopApplication();
            }));
            var summary = ConfigSummary.Of(config, runtime.Registry);
            Log.Ready(log, summary.Sources, summary.Sinks, summary.Assets, summary.Mappings);
            // A stop signal that arrives while the host starts is acted on once it has started: cancelling the
            // start half-way would end in the host's start-up failure, logged with a stack trace, for a plain stop.
            var stopGate = new object();
            var hostStarted = false;
            var stopRequested = false;
            lifetime.ApplicationStarted.Register(() =>
            {
                lock (stopGate)
                {
                    hostStarted = true;
                    if (!stopRequested) return;
                }
                lifetime.StopApplication();
            });
            using var stopOnSignal = cancellationToken.Register(() =>
            {
                lock (stopGate)
                {
                    stopRequested = true;
                    if (!hostStarted) return;
                }
                lifetime.StopApplication();
            });
            try
            {
                await host.RunAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (web is not null && ex is IOException or System.Net.Sockets.SocketException)
            {
                // Kestrel starts last and could not bind (port taken, no permission). Stop what did start, so the
                // pipeline commits what it took in before we exit.
                Log.ApiCannotStart(log, config.Api.Address, config.Api.Port, ex.Message);
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(config.Gateway.ShutdownTimeoutSeconds));
                await host.StopAsync(stopping.Token).ConfigureAwait(false);
                return new(reloading ? null : ExitCodes.Unavailable);
            }
            reload.Disarm();
            var m = runtime.Metrics;
            Log.Stopped(log, m.ReadingsIn, m.Accepted, m.Duplicates, m.LateUnverified, m.Quarantined);
            return new(runtime.Pipeline?.Completion.IsFaulted == true ? ExitCodes.Software : ExitCodes.Ok);
        }
    }

    public static void ConfigureLogging(ILoggingBuilder logging, EdgeTwinConfig config)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(Enum.Parse<LogLevel>(config.Gateway.LogLevel, ignoreCase: true));
        logging.AddFilter("Microsoft", LogLevel.Warning);
        if (Environment.GetEnvironmentVariable("JOURNAL_STREAM") is not null || Environment.GetEnvironmentVariable("INVOCATION_ID") is not null)
        {
            // journald adds its own timestamps; the systemd format adds <N> priority prefixes it understands.
            logging.AddConsole(o => o.FormatterName = ConsoleFormatterNames.Systemd);
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
        }
    }

    /// <summary>Stops the host once every source finished and every sink confirmed everything (tests, bench).</summary>
    private sealed class DrainWatcher(GatewayRuntime runtime, IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(200, stoppingToken).ConfigureAwait(false);
                if (runtime.IsDrained())
                {
                    lifetime.StopApplication();
                    return;
                }
            }
        }
    }
}
