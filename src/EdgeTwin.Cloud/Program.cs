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

var root = new RootCommand("edgetwin-cloud: the EdgeTwin cloud companion (Kafka → PostgreSQL/TimescaleDB, the twin API)") { run, migrate, check };
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
