using EdgeTwin.Core.Config;
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

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "edgetwin" });
        ConfigureLogging(builder.Logging, config);
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(config.Gateway.ShutdownTimeoutSeconds);
            o.ServicesStartConcurrently = false;
            o.ServicesStopConcurrently = false;
        });

        // The loggers exist before the host does: the queue's integrity check logs during Open.
        using var loggers = LoggerFactory.Create(l => ConfigureLogging(l, config));
        var log = loggers.CreateLogger("EdgeTwin.Gateway");
        Log.Starting(log, GatewayRuntime.Version, config.Gateway.Id, source, ConfigLoader.Hash(config), config.Gateway.StateDirectory);

        GatewayRuntime runtime;
        try
        {
            runtime = GatewayRuntime.Open(config, source, loggers, TimeProvider.System);
        }
        catch (QueueLockedException ex)
        {
            Log.CannotStart(log, ex.Message);
            return ExitCodes.TempFail;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.StateDirectoryFailed(log, config.Gateway.StateDirectory, ex.Message);
            return ExitCodes.IoError;
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
                return ExitCodes.Config;
            }
            foreach (var service in runtime.HostedServices(loggers)) builder.Services.AddSingleton(service);
            // Registered last, so READY=1 follows the start of every other service.
            builder.Services.AddSingleton<IHostedService>(sp => new ServiceNotifyWorker(runtime, ServiceNotifier.FromEnvironment(),
                sp.GetRequiredService<IHostApplicationLifetime>(), loggers.CreateLogger<ServiceNotifyWorker>()));
            if (exitWhenDrained) builder.Services.AddSingleton<IHostedService>(sp => new DrainWatcher(runtime, sp.GetRequiredService<IHostApplicationLifetime>()));

            using var host = builder.Build();
            // A pipeline that died cannot do its job: stop, exit non-zero (70), and let systemd restart us.
            _ = runtime.Pipeline!.Completion.ContinueWith(
                _ => host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication(),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            Log.Ready(log, runtime.Sources.Count, runtime.Sinks.Count, runtime.Registry.Assets.Count, runtime.Registry.MappingCount);
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
            var m = runtime.Metrics;
            Log.Stopped(log, m.ReadingsIn, m.Accepted, m.Duplicates, m.Quarantined);
            return runtime.Pipeline?.Completion.IsFaulted == true ? ExitCodes.Software : ExitCodes.Ok;
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
