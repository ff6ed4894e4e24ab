using System.Text.Json;

namespace EdgeTwin.Cloud.Config;

/// <summary>A configuration that cannot be used; every error names its JSON path.</summary>
public sealed class CloudConfigException(string file, IReadOnlyList<string> errors)
    : Exception($"{file}: {errors.Count} configuration error(s):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads the configuration: JSON with comments and trailing commas, every property known (a misspelt one is an
/// error, not a silent default), every error with its JSON path. Environment variables override the secrets:
/// <c>EDGETWIN_CLOUD_POSTGRES</c> (the connection string) and <c>EDGETWIN_CLOUD_API_TOKEN</c>.
/// </summary>
public static class CloudConfigLoader
{
    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static CloudConfig Load(string path, Func<string, string?>? environment = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CloudConfigException(path, [$"$: cannot read the file: {e.Message}"]);
        }
        return Parse(text, path, environment ?? Environment.GetEnvironmentVariable);
    }

    public static CloudConfig Parse(string json, string file, Func<string, string?> environment)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, Options);
        }
        catch (JsonException e)
        {
            throw new CloudConfigException(file, [$"$: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}"]);
        }
        using (doc)
        {
            var reader = new Reader();
            var config = reader.Read(doc.RootElement);
            if (environment("EDGETWIN_CLOUD_POSTGRES") is { Length: > 0 } pg) config.Postgres.ConnectionString = pg;
            if (environment("EDGETWIN_CLOUD_API_TOKEN") is { Length: > 0 } token) config.Api.Token = token;
            reader.Validate(config);
            if (reader.Errors.Count > 0) throw new CloudConfigException(file, reader.Errors);
            return config;
        }
    }

    private sealed class Reader
    {
        public List<string> Errors { get; } = [];

        public CloudConfig Read(JsonElement root)
        {
            var c = new CloudConfig();
            if (!IsObject(root, "$")) return c;
            foreach (var p in root.EnumerateObject())
            {
                var path = "$." + p.Name;
                switch (p.Name)
                {
                    case "kafka": ReadKafka(p.Value, path, c.Kafka); break;
                    case "postgres":
                        Each(p.Value, path, (name, v, at) =>
                        {
                            if (name == "connectionString") c.Postgres.ConnectionString = Str(v, at) ?? c.Postgres.ConnectionString;
                            else if (name == "migrateOnStart") c.Postgres.MigrateOnStart = Bool(v, at, c.Postgres.MigrateOnStart);
                            else Unknown(at);
                        });
                        break;
                    case "ingest":
                        Each(p.Value, path, (name, v, at) =>
                        {
                            if (name == "batchMessages") c.Ingest.BatchMessages = Int(v, at, c.Ingest.BatchMessages);
                            else if (name == "batchMilliseconds") c.Ingest.BatchMilliseconds = Int(v, at, c.Ingest.BatchMilliseconds);
                            else if (name == "retryMaxSeconds") c.Ingest.RetryMaxSeconds = Num(v, at, c.Ingest.RetryMaxSeconds);
                            else Unknown(at);
                        });
                        break;
                    case "api":
                        Each(p.Value, path, (name, v, at) =>
                        {
                            if (name == "listen") c.Api.Listen = Str(v, at) ?? c.Api.Listen;
                            else if (name == "token") c.Api.Token = v.ValueKind == JsonValueKind.Null ? null : Str(v, at);
                            else Unknown(at);
                        });
                        break;
                    default: Unknown(path); break;
                }
            }
            return c;
        }

        public void Validate(CloudConfig c)
        {
            if (string.IsNullOrWhiteSpace(c.Kafka.BootstrapServers)) Errors.Add("$.kafka.bootstrapServers: required (host:port[,host:port])");
            if (string.IsNullOrWhiteSpace(c.Kafka.GroupId)) Errors.Add("$.kafka.groupId: must not be empty");
            if (string.IsNullOrWhiteSpace(c.Postgres.ConnectionString)) Errors.Add("$.postgres.connectionString: required (or the environment variable EDGETWIN_CLOUD_POSTGRES)");
            else
            {
                try
                {
                    _ = new Npgsql.NpgsqlConnectionStringBuilder(c.Postgres.ConnectionString);
                }
                catch (ArgumentException e)
                {
                    Errors.Add($"$.postgres.connectionString: not a valid Npgsql connection string: {e.Message}");
                }
            }
            if (c.Ingest.BatchMessages is < 1 or > 1_000_000) Errors.Add($"$.ingest.batchMessages: {c.Ingest.BatchMessages} is not between 1 and 1000000");
            if (c.Ingest.BatchMilliseconds is < 1 or > 60_000) Errors.Add($"$.ingest.batchMilliseconds: {c.Ingest.BatchMilliseconds} is not between 1 and 60000");
            if (c.Ingest.RetryMaxSeconds is < 0.1 or > 600) Errors.Add($"$.ingest.retryMaxSeconds: {c.Ingest.RetryMaxSeconds} is not between 0.1 and 600");
            if (c.Api.Listen.Length > 0 && !(Uri.TryCreate(c.Api.Listen, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                Errors.Add($"$.api.listen: '{c.Api.Listen}' is not an http(s) URL such as http://0.0.0.0:8480");
            if (c.Api.Token is { Length: < 16 }) Errors.Add("$.api.token: shorter than 16 characters");
        }

        private void ReadKafka(JsonElement e, string path, KafkaSection k) => Each(e, path, (name, v, at) =>
        {
            switch (name)
            {
                case "bootstrapServers": k.BootstrapServers = Str(v, at) ?? k.BootstrapServers; break;
                case "groupId": k.GroupId = Str(v, at) ?? k.GroupId; break;
                case "topics":
                    Each(v, at, (t, tv, tat) =>
                    {
                        var topic = Str(tv, tat);
                        if (topic is null) return;
                        if (topic.Length == 0) Errors.Add($"{tat}: must not be empty");
                        else if (t == "telemetry") k.TelemetryTopic = topic;
                        else if (t == "events") k.EventsTopic = topic;
                        else if (t == "twinMetadata") k.TwinMetadataTopic = topic;
                        else Unknown(tat);
                    });
                    break;
                case "properties":
                    Each(v, at, (prop, pv, pat) =>
                    {
                        if (prop is "group.id" or "enable.auto.commit" or "enable.auto.offset.store" or "bootstrap.servers")
                            Errors.Add($"{pat}: set by the service itself (offsets are committed after the database transaction)");
                        else if (Str(pv, pat) is { } s) k.Properties[prop] = s;
                    });
                    break;
                default: Unknown(at); break;
            }
        });

        private void Each(JsonElement e, string path, Action<string, JsonElement, string> visit)
        {
            if (!IsObject(e, path)) return;
            foreach (var p in e.EnumerateObject()) visit(p.Name, p.Value, path + "." + p.Name);
        }

        private bool IsObject(JsonElement e, string path)
        {
            if (e.ValueKind == JsonValueKind.Object) return true;
            Errors.Add($"{path}: expected an object, found {Kind(e)}");
            return false;
        }

        private void Unknown(string path) => Errors.Add($"{path}: unknown property");

        private string? Str(JsonElement e, string path)
        {
            if (e.ValueKind == JsonValueKind.String) return e.GetString();
            Errors.Add($"{path}: expected a string, found {Kind(e)}");
            return null;
        }

        private bool Bool(JsonElement e, string path, bool fallback)
        {
            if (e.ValueKind is JsonValueKind.True or JsonValueKind.False) return e.GetBoolean();
            Errors.Add($"{path}: expected true or false, found {Kind(e)}");
            return fallback;
        }

        private int Int(JsonElement e, string path, int fallback)
        {
            if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var i)) return i;
            Errors.Add($"{path}: expected an integer, found {Kind(e)}");
            return fallback;
        }

        private double Num(JsonElement e, string path, double fallback)
        {
            if (e.ValueKind == JsonValueKind.Number) return e.GetDouble();
            Errors.Add($"{path}: expected a number, found {Kind(e)}");
            return fallback;
        }

        private static string Kind(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Number => $"the number {e.GetRawText()}",
            JsonValueKind.String => $"the string \"{e.GetString()}\"",
            JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
            JsonValueKind.Null => "null",
            JsonValueKind.Array => "an array",
            _ => "an object",
        };
    }
}
