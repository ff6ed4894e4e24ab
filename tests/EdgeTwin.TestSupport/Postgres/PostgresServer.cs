using Npgsql;

namespace EdgeTwin.TestSupport.Postgres;

/// <summary>
/// A private PostgreSQL 15 cluster (Debian's binaries in /usr/lib/postgresql/15/bin): initdb into a temporary
/// directory, listening on a free loopback port, stopped and removed on dispose. PostgreSQL refuses to run as root,
/// so when the tests run as root (tests/run.sh) the cluster belongs to the 'postgres' system user.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";

    private readonly string _dir;
    private readonly string _data;
    private readonly string? _runAs;
    private int _databases;

    public PostgresServer()
    {
        if (!File.Exists(Path.Combine(BinDirectory, "initdb")))
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({BinDirectory}/initdb is missing): apt-get install postgresql-15");
        _runAs = Environment.UserName == "root" ? "postgres" : null;
        _dir = Path.Combine(Path.GetTempPath(), "edgetwin-pg-" + Guid.NewGuid().ToString("N")[..8]);
        _data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(_dir);
        if (_runAs is not null) Run("/bin/chown", TimeSpan.FromSeconds(10), _runAs, _dir);
        Port = FreePort.Pick();
        Pg("initdb", TimeSpan.FromSeconds(60), "-D", _data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        Start();
    }

    public int Port { get; }

    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false;Timeout=5";

    /// <summary>A new empty database of its own for one test; its connection string.</summary>
    public string CreateDatabase(string prefix)
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databases)}";
        using (var conn = new NpgsqlConnection(AdminConnectionString))
        {
            conn.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            cmd.ExecuteNonQuery();
        }
        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name};Timeout=5;Command Timeout=30";
    }

    /// <summary>Starts the server and waits until it accepts connections.</summary>
    public void Start() => Pg("pg_ctl", TimeSpan.FromSeconds(60), "-D", _data, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "50",
        "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -k {_dir} -c fsync=off -c max_connections=60", "start");

    /// <summary>Stops the server (fast shutdown: open sessions are cut, as in an outage).</summary>
    public void Stop() => Pg("pg_ctl", TimeSpan.FromSeconds(60), "-D", _data, "-w", "-m", "fast", "stop");

    public long Scalar(string connectionString, string sql)
    {
        using var conn = Open(connectionString);
        using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public List<object?[]> Rows(string connectionString, string sql)
    {
        using var conn = Open(connectionString);
        using var cmd = new NpgsqlCommand(sql, conn);
        using var r = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>An unpooled connection: the tests' own reads must not meet a session cut by a stopped server.</summary>
    private static NpgsqlConnection Open(string connectionString)
    {
        var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        conn.Open();
        return conn;
    }

    public void Dispose()
    {
        try
        {
            Pg("pg_ctl", TimeSpan.FromSeconds(30), "-D", _data, "-w", "-m", "immediate", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        NpgsqlConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private void Pg(string tool, TimeSpan timeout, params string[] args)
    {
        var exe = Path.Combine(BinDirectory, tool);
        if (_runAs is null) Run(exe, timeout, args);
        else Run("/sbin/runuser", timeout, ["-u", _runAs, "--", exe, .. args]);
    }

    private static void Run(string exe, TimeSpan timeout, params string[] args) => Shell.CheckWith(exe, args, timeout);
}
