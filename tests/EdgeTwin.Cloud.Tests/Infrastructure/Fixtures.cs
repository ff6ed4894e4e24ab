namespace EdgeTwin.Cloud.Tests.Infrastructure;

/// <summary>One PostgreSQL cluster for the whole test run; each test makes its own database in it.</summary>
public sealed class PostgresFixture : IDisposable
{
    public PostgresServer Server { get; } = new();

    public string Scratch { get; } = Path.Combine(Path.GetTempPath(), "edgetwin-cloud-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        Server.Dispose();
        try
        {
            Directory.Delete(Scratch, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>Tests that use the shared cluster run one after another (2 cores; one of them stops the server).</summary>
[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>;
