using System.Runtime.InteropServices;
using EdgeTwin.Cloud.Api;
using EdgeTwin.Cloud.Config;
using EdgeTwin.Cloud.Data;
using EdgeTwin.Cloud.Ingest;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace EdgeTwin.Cloud;

/// <summary>The verbs. Exit codes follow sysexits.h, as the gateway's do.</summary>
internal static partial class Commands
{
    public const int Ok = 0;
    public const int Unavailable = 69;
    public const int Software = 70;
    public const int Config = 78;

    public static int CheckConfig(string path)
    {
        if (TryLoad(path) is not { } c) return Config;
        Console.WriteLine($"{path}: valid (kafka {c.Kafka.BootstrapServers}, group {c.Kafka.GroupId}, api {(c.Api.Listen.Length == 0 ? "off" : c.Api.Listen)})");
        return Ok;
    }

    /// <summary>The config at <paramref name="path"/>, or null after printing every error in it to stderr.</summary>
    private static CloudConfig? TryLoad(string path)
    {
        try
        {
            return CloudConfigLoader.Load(path);
        }
        catch (CloudConfigException e)
        {
            Console.Error.WriteLine(e.Message);
            return null;
        }
    }

    public static async Task<int> MigrateAsync(string path, CancellationToken cancellationToken)
    {
        if (TryLoad(path) is not { } config) return Config;
        try
        {
            var report = await Migrator.MigrateAsync(config.Postgres.ConnectionString, NullLogger.Instance, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"timescaledb: {(report.Timescale ? "available" : "not available (plain PostgreSQL tables)")}");
            foreach (var a in report.Applied) Console.WriteLine($"applied {a}");
            foreach (var s in report.Skipped) Console.WriteLine($"skipped {s} (needs timescaledb)");
            if (report.Applied.Count + report.Skipped.Count == 0) Console.WriteLine("schema up to date");
            return Ok;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            await Console.Error.WriteLineAsync($"migrate: the database is not reachable or refused a step: {e.Message}").ConfigureAwait(false);
            return Unavailable;
        }
    }

    public static async Task<int> RunAsync(string path, CancellationToken cancellationToken)
    {
        if (TryLoad(path) is not { } config) return Config;
        // SIGTERM and SIGINT stop the service gracefully at any stage: while it waits for the database, while it
        // starts, or once it runs. Without these, a signal before the host is up would end the process at once (143).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Stop(c, stop));
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Stop(c, stop));
        cancellationToken = stop.Token;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (config.Api.Listen.Length > 0) builder.WebHost.UseUrls(config.Api.Listen);
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton<IngestStats>();
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(config.Postgres.ConnectionString));
        builder.Services.AddHostedService<IngestService>();
        await using var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeTwin.Cloud");
        try
        {
            return await RunAppAsync(app, config, logger, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || app.Lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // SIGTERM while migrating or starting: a plain stop, not a failure for the supervisor to report.
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await app.StopAsync(stopping.Token).ConfigureAwait(false);
            return Ok;
        }
    }

    private static void Stop(PosixSignalContext context, CancellationTokenSource stop)
    {
        context.Cancel = true; // the default action would end the process at once
        stop.Cancel();
    }

    private static async Task<int> RunAppAsync(WebApplication app, CloudConfig config, ILogger logger, CancellationToken cancellationToken)
    {
        if (config.Postgres.MigrateOnStart)
        {
            // The database may come up after the service (a compose stack): wait for it rather than exit.
            var delay = TimeSpan.FromMilliseconds(200);
            while (true)
            {
                try
                {
                    await Migrator.MigrateAsync(config.Postgres.ConnectionString, logger, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException && !cancellationToken.IsCancellationRequested)
                {
                    LogMigrateRetry(logger, delay.TotalSeconds, e.Message);
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    delay = TimeSpan.FromSeconds(Math.Min(config.Ingest.RetryMaxSeconds, delay.TotalSeconds * 2));
                }
            }
        }
        if (config.Api.Listen.Length > 0) TwinApi.Map(app, config);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        LogStarted(logger, config.Kafka.BootstrapServers, config.Kafka.GroupId, config.Api.Listen.Length == 0 ? "off" : string.Join(",", app.Urls));
        await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        return Ok;
    }

    [LoggerMessage(1, LogLevel.Information, "edgetwin-cloud started: kafka {Bootstrap}, group {Group}, api {Api}")]
    private static partial void LogStarted(ILogger logger, string bootstrap, string group, string api);

    [LoggerMessage(2, LogLevel.Warning, "Migrations: the database is not reachable, retrying in {Seconds:F1} s: {Reason}")]
    private static partial void LogMigrateRetry(ILogger logger, double seconds, string reason);
}
