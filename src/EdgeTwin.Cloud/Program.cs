using System.CommandLine;
using EdgeTwin.Cloud;

var config = new Option<string>("--config", "-c")
{
    Description = "Configuration file (JSON with comments; default $EDGETWIN_CLOUD_CONFIG, else /etc/edgetwin/cloud.json)",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("EDGETWIN_CLOUD_CONFIG") is { Length: > 0 } env ? env : "/etc/edgetwin/cloud.json",
};

var run = new Command("run", "Consume the gateways' Kafka topics into PostgreSQL and serve the twin API (SIGTERM stops it)") { config };
run.SetAction((r, ct) => Commands.RunAsync(r.GetValue(config)!, ct));

var migrate = new Command("migrate", "Apply the pending database migrations and exit") { config };
migrate.SetAction((r, ct) => Commands.MigrateAsync(r.GetValue(config)!, ct));

var check = new Command("check-config", "Validate the configuration; every error names its JSON path (exit 78 when invalid)") { config };
check.SetAction(r => Commands.CheckConfig(r.GetValue(config)!));

var pgOption = new Option<string>("--postgres") { Description = "Admin connection string of a scratch PostgreSQL (databases bench_* are created in it)", Required = true };
var psqlOption = new Option<string>("--psql") { Description = "psql for the \\copy baseline", DefaultValueFactory = _ => "/usr/lib/postgresql/15/bin/psql" };
var pointsOption = new Option<int>("--points") { Description = "Points for the throughput runs", DefaultValueFactory = _ => 300_000 };
var rateOption = new Option<int>("--rate") { Description = "Offered points/s for the delay run", DefaultValueFactory = _ => 10_000 };
var secondsOption = new Option<double>("--seconds") { Description = "Length of the delay run", DefaultValueFactory = _ => 20 };
var bench = new Command("bench", "Ingest benchmark on librdkafka's mock cluster (tests/bench/cloud-ingest.sh)") { pgOption, psqlOption, pointsOption, rateOption, secondsOption };
bench.SetAction((r, ct) => EdgeTwin.Cloud.Bench.IngestBench.RunAsync(r.GetValue(pgOption)!, r.GetValue(psqlOption)!, r.GetValue(pointsOption), r.GetValue(rateOption), r.GetValue(secondsOption), ct));

var root = new RootCommand("edgetwin-cloud: the EdgeTwin cloud companion (Kafka → PostgreSQL/TimescaleDB, the twin API)") { run, migrate, check, bench };
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
