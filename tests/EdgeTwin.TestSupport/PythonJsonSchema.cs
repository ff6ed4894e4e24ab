namespace EdgeTwin.TestSupport;

/// <summary>
/// Validates wire points with an independent JSON Schema implementation: Python's jsonschema (Debian package
/// python3-jsonschema, installed by tests/run.sh). Each point is checked against the schema file its own
/// schema_version names under config/schema, as a consumer is told to.
/// </summary>
public static class PythonJsonSchema
{
    private const string Script = """
        import json, sys
        import jsonschema
        schema_dir, points_file = sys.argv[1], sys.argv[2]
        schemas = {}
        failures = 0
        with open(points_file, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                point = json.loads(line)
                version = point.get("schema_version")
                if version not in schemas:
                    with open(f"{schema_dir}/telemetry-point-{version}.schema.json", encoding="utf-8") as s:
                        schemas[version] = jsonschema.Draft7Validator(json.load(s))
                for error in schemas[version].iter_errors(point):
                    failures += 1
                    print(f"line {number} ({version}): {'/'.join(str(p) for p in error.absolute_path)}: {error.message}")
        print(f"checked, {failures} error(s)")
        """;

    /// <summary>Every schema error of the JSON lines in <paramref name="jsonLines"/> ("line N (version): path: message"); empty when all are valid.</summary>
    public static IReadOnlyList<string> Validate(IEnumerable<string> jsonLines)
    {
        var dir = Path.Combine(Path.GetTempPath(), "edgetwin-jsonschema-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var points = Path.Combine(dir, "points.jsonl");
            File.WriteAllLines(points, jsonLines);
            var script = Path.Combine(dir, "validate.py");
            File.WriteAllText(script, Script);
            var (code, output) = Shell.Run("python3", script, RepoRoot.Combine("config", "schema"), points);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (code != 0 || !lines.Any(l => l.StartsWith("checked, ", StringComparison.Ordinal)))
            {
                throw new InvalidOperationException($"python3 jsonschema did not run (exit {code}; install python3-jsonschema):\n{output}");
            }
            return [.. lines.Where(l => !l.StartsWith("checked, ", StringComparison.Ordinal))];
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
