using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using EdgeTwin.Cloud.Config;
using EdgeTwin.Cloud.Data;
using EdgeTwin.Cloud.Ingest;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace EdgeTwin.Cloud.Bench;

/// <summary>
/// <c>edgetwin-cloud bench</c> (tests/bench/cloud-ingest.sh): on librdkafka's mock cluster and the given PostgreSQL,
/// (1) <c>psql \copy</c> of N rows into an empty telemetry table, the limit; (2) the same N points as Kafka messages
/// through the ingest service into another empty table, end to end; (3) points produced at a steady rate, and the
/// delay from each message's Kafka timestamp to the commit that made its row visible (p50, p99).
/// </summary>
internal static class IngestBench
{
    private const int Series = 100;

    // Warnings only: a database retry or a Kafka error shows up in the benchmark's output.
    private static readonly ILoggerFactory Logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));

    public static async Task<int> RunAsync(string adminConnection, string psql, int points, int rate, double seconds, CancellationToken ct)
    {
        var run = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
        using var cluster = new MockCluster(3, 4, ["edge-telemetry", "edge-events", "edge-twin-metadata"]);
        var epoch = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        string Json(int i, DateTime t) => "{\"schema_version\":\"1.0\",\"gateway_id\":\"gw-bench\",\"asset_id\":\"asset-" + (i % Series / 10).ToString(CultureInfo.InvariantCulture)
            + "\",\"metric\":\"m" + (i % 10).ToString(CultureInfo.InvariantCulture) + "\",\"ts\":\"" + t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)
            + "\",\"value\":" + (i * 0.5).ToString("R", CultureInfo.InvariantCulture) + ",\"quality\":\"good\",\"status_code\":0,\"source\":\"sim:bench\",\"tags\":{\"unit\":\"bar\"}}";
        DateTime TimeOf(int i) => epoch.AddTicks((long)(i / Series) * 10_000 + 1);

        // 1. The limit: psql \copy of the same rows into an empty table.
        var copyDb = await CreateDatabaseAsync(adminConnection, $"bench_copy_{run}", ct).ConfigureAwait(false);
        var csv = Path.Combine(Path.GetTempPath(), $"edgetwin-bench-{run}.csv");
        await using (var w = new StreamWriter(csv, false, new UTF8Encoding(false)))
        {
            for (var i = 0; i < points; i++)
            {
                var t = TimeOf(i);
                var frac = t.Ticks % 10;
                await w.WriteLineAsync($"{new DateTime(t.Ticks - frac, DateTimeKind.Utc):yyyy-MM-dd HH:mm:ss.ffffff}+00,{frac},asset-{i % Series / 10},m{i % 10},{(i * 0.5).ToString("R", CultureInfo.InvariantCulture)},good,0,bar,\"{{\"\"unit\"\":\"\"bar\"\"}}\",\"\",\"\",sim:bench,gw-bench,f").ConfigureAwait(false);
            }
        }
        var cs = new NpgsqlConnectionStringBuilder(copyDb);
        var psi = new ProcessStartInfo(psql) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-h", cs.Host!, "-p", cs.Port.ToString(CultureInfo.InvariantCulture), "-U", cs.Username!, "-d", cs.Database!, "-v", "ON_ERROR_STOP=1", "-c",
            $"\\copy telemetry (time, time_frac, asset_id, metric, value, quality, status_code, unit, tags, model, model_version, source, gateway_id, replayed) FROM '{csv}' CSV" })
            psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using (var p = Process.Start(psi)!)
        {
            var err = p.StandardError.ReadToEndAsync(ct);
            await p.WaitForExitAsync(ct).ConfigureAwait(false);
            if (p.ExitCode != 0) throw new InvalidOperationException("psql \\copy failed: " + await err.ConfigureAwait(false));
        }
        var copySeconds = sw.Elapsed.TotalSeconds;
        File.Delete(csv);
        Check(await CountAsync(copyDb, ct).ConfigureAwait(false), points, "psql \\copy");
        Console.WriteLine($"psql \\copy: {points} rows in {copySeconds:F2} s = {points / copySeconds:F0} rows/s");

        // 2. End to end: the same points in Kafka first, then the service drains them.
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            // Batches of up to 256 KB: the mock brokers serve one batch per partition per fetch, and a batch larger than the
            // consumer's max.partition.fetch.bytes (1 MB) stalled its partition on the mock cluster.
            BootstrapServers = cluster.BootstrapServers, LingerMs = 20, Acks = Acks.All, EnableIdempotence = true, BatchNumMessages = 10_000, BatchSize = 256 << 10, CompressionType = CompressionType.Lz4,
        })
            .SetLogHandler((_, _) => { }).Build();
        for (var i = 0; i < points; i++) Produce(producer, i, Json(i, TimeOf(i)));
        Flushed(producer);
        var e2eDb = await CreateDatabaseAsync(adminConnection, $"bench_e2e_{run}", ct).ConfigureAwait(false);
        var stats = new IngestStats();
        double e2eSeconds;
        long measured;
        using (var service = Service(cluster.BootstrapServers, e2eDb, stats, "bench-e2e"))
        {
            await service.StartAsync(ct).ConfigureAwait(false);
            // Timed from the first committed batch: the consumer group's join (seconds on the mock cluster) is not ingest.
            while (Interlocked.Read(ref stats.Batches) == 0) await Alive(service, 5, ct).ConfigureAwait(false);
            var first = Interlocked.Read(ref stats.Telemetry);
            sw.Restart();
            stats.ResetProfile();
            while (Interlocked.Read(ref stats.Telemetry) < points) await Alive(service, 5, ct).ConfigureAwait(false);
            e2eSeconds = sw.Elapsed.TotalSeconds;
            measured = points - first;
            await service.StopAsync(ct).ConfigureAwait(false);
        }
        Check(await CountAsync(e2eDb, ct).ConfigureAwait(false), points, "Kafka → PostgreSQL");
        var e2eRate = measured / e2eSeconds;
        Console.WriteLine($"Kafka → PostgreSQL: {measured} rows in {e2eSeconds:F2} s = {e2eRate:F0} rows/s ({e2eRate / (points / copySeconds):F2} × psql \\copy)");
        Console.WriteLine($"  ingest loop profile: {stats.Profile()}");

        // 3. Delay at a steady rate: produced in 10 ms ticks, from the Kafka timestamp to the committed row.
        var latDb = await CreateDatabaseAsync(adminConnection, $"bench_lat_{run}", ct).ConfigureAwait(false);
        stats = new IngestStats();
        using (var service = Service(cluster.BootstrapServers, latDb, stats, "bench-latency"))
        {
            await service.StartAsync(ct).ConfigureAwait(false);
            // The group joins and reads the backlog of phase 2 (a new group starts at the beginning) before the clock runs.
            while (Interlocked.Read(ref stats.Telemetry) < points) await Alive(service, 50, ct).ConfigureAwait(false);
            stats.ResetDelays();
            var total = (int)(rate * seconds);
            var perTick = Math.Max(1, rate / 100);
            var start = Stopwatch.StartNew();
            var live = epoch.AddDays(1);
            for (var i = 0; i < total; i++)
            {
                if (i % perTick == 0)
                {
                    var due = TimeSpan.FromSeconds((double)i / rate);
                    var wait = due - start.Elapsed;
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, ct).ConfigureAwait(false);
                }
                Produce(producer, i, Json(i, live.AddTicks((long)(i / Series) * 10_000 + 1)));
            }
            Flushed(producer);
            var offered = total / start.Elapsed.TotalSeconds;
            while (Interlocked.Read(ref stats.Telemetry) < points + total) await Alive(service, 50, ct).ConfigureAwait(false);
            await service.StopAsync(ct).ConfigureAwait(false);
            Console.WriteLine($"delay at {offered:F0} points/s over {seconds:F0} s: p50 {stats.DelayPercentile(0.5):F1} ms, p99 {stats.DelayPercentile(0.99):F1} ms, max {stats.DelayPercentile(1):F1} ms (Kafka timestamp → row committed)");
        }
        return 0;
    }

    private static readonly DeliveryErrors Errors = new();

    private static void Produce(IProducer<byte[], byte[]> producer, int i, string json)
    {
        var message = new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes($"asset-{i % Series / 10}"), Value = Encoding.UTF8.GetBytes(json) };
        while (true)
        {
            try
            {
                producer.Produce("edge-telemetry", message, r =>
                {
                    if (!r.Error.IsError) return;
                    Interlocked.Increment(ref Errors.Failed);
                    Errors.First ??= r.Error.ToString();
                });
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(10));
            }
        }
    }

    /// <summary>Waits a little, and fails when the service's loop has died instead of waiting for rows forever.</summary>
    private static async Task Alive(IngestService service, int ms, CancellationToken ct)
    {
        await Task.Delay(ms, ct).ConfigureAwait(false);
        if (service.ExecuteTask is { IsCompleted: true } t) throw new InvalidOperationException("the ingest loop stopped", t.Exception);
    }

    private static void Flushed(IProducer<byte[], byte[]> producer)
    {
        var left = producer.Flush(TimeSpan.FromMinutes(2));
        if (left > 0 || Interlocked.Read(ref Errors.Failed) > 0)
            throw new InvalidOperationException($"producing to the mock cluster: {left} messages undelivered, {Errors.Failed} failed ({Errors.First})");
    }

    private static IngestService Service(string bootstrap, string db, IngestStats stats, string group)
    {
        var config = new CloudConfig();
        config.Kafka.BootstrapServers = bootstrap;
        config.Kafka.GroupId = group;
        config.Postgres.ConnectionString = db;
        config.Ingest.BatchMessages = 10_000;
        config.Ingest.BatchMilliseconds = 20;
        // The mock brokers answer a fetch with one batch per partition: ask again at once rather than after 500 ms.
        config.Kafka.Properties["fetch.wait.max.ms"] = "5";
        return new IngestService(config, stats, Logs.CreateLogger<IngestService>());
    }

    private static void Check(long have, long want, string what)
    {
        if (have != want) throw new InvalidOperationException($"{what}: {have} rows, expected {want}");
    }

    private static async Task<string> CreateDatabaseAsync(string admin, string name, CancellationToken ct)
    {
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        var db = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        await Migrator.MigrateAsync(db, NullLogger.Instance, ct).ConfigureAwait(false);
        return db;
    }

    private static async Task<long> CountAsync(string db, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(db);
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM telemetry", conn);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Delivery reports that came back with an error (written on librdkafka's poll thread).</summary>
    private sealed class DeliveryErrors
    {
        public long Failed;
        public string? First;
    }
}
