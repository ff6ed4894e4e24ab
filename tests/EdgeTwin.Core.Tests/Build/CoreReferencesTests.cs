using System.Xml.Linq;

namespace EdgeTwin.Core.Tests.Build;

/// <summary>
/// Core is the shared model and the contracts: it references no project of ours (no connector, no OPC UA client,
/// no storage) and no hosting or connector package (docs/architecture.md §3). A capability that Core needed would
/// make every new capability an edit of Core.
/// </summary>
public sealed class CoreReferencesTests
{
    private static readonly string[] ForbiddenPackagePrefixes = ["Microsoft.Extensions.Hosting", "Microsoft.AspNetCore", "MQTTnet", "Confluent.Kafka", "LiteDB", "librdkafka"];

    [Fact]
    public void CoreProject_ReferencesNoProject_AndNoHostingOrConnectorPackage()
    {
        var problems = Problems(File.ReadAllText(RepositoryFiles.Path("src", "EdgeTwin.Core", "EdgeTwin.Core.csproj")));

        Assert.True(problems.Count == 0, "src/EdgeTwin.Core/EdgeTwin.Core.csproj: " + string.Join("; ", problems));
    }

    [Theory]
    [InlineData("""<ProjectReference Include="..\EdgeTwin.OpcUa\EdgeTwin.OpcUa.csproj" />""", "project reference")]
    [InlineData("""<PackageReference Include="Microsoft.Extensions.Hosting" />""", "Microsoft.Extensions.Hosting")]
    [InlineData("""<PackageReference Include="Microsoft.Extensions.Hosting.Systemd" />""", "Microsoft.Extensions.Hosting.Systemd")]
    [InlineData("""<PackageReference Include="Microsoft.AspNetCore.OpenApi" Version="10.0.0" />""", "Microsoft.AspNetCore.OpenApi")]
    [InlineData("""<PackageReference Include="mqttnet" />""", "mqttnet")]
    [InlineData("""<PackageReference Include="Confluent.Kafka" />""", "Confluent.Kafka")]
    [InlineData("""<PackageReference Include="LiteDB" />""", "LiteDB")]
    [InlineData("""<PackageReference Include="librdkafka.redist" />""", "librdkafka.redist")]
    [InlineData("""<PackageReference Update="x" /><PackageReference Include="LiteDB" Condition="'$(X)' == ''" />""", "LiteDB")]
    public void Problems_ForbiddenReference_IsNamed(string items, string named)
    {
        var problems = Problems(Project(items));

        Assert.Contains(problems, p => p.Contains(named, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("""<PackageReference Include="Microsoft.Extensions.Logging.Abstractions" />""")]
    [InlineData("""<PackageReference Include="System.IO.Pipelines" /><InternalsVisibleTo Include="EdgeTwin.Core.Tests" />""")]
    public void Problems_AllowedReferences_AreNone(string items) => Assert.Empty(Problems(Project(items)));

    private static string Project(string items) => $"""<Project Sdk="Microsoft.NET.Sdk"><ItemGroup>{items}</ItemGroup></Project>""";

    private static List<string> Problems(string csproj)
    {
        var items = XDocument.Parse(csproj).Descendants().Where(e => e.Name.LocalName is "ProjectReference" or "PackageReference").ToList();
        var problems = items.Where(e => e.Name.LocalName == "ProjectReference")
            .Select(e => $"project reference to {(string?)e.Attribute("Include")}")
            .ToList();
        problems.AddRange(items
            .Where(e => e.Name.LocalName == "PackageReference" && (string?)e.Attribute("Include") is { } package
                && ForbiddenPackagePrefixes.Any(p => package.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            .Select(e => $"package reference to {(string?)e.Attribute("Include")}"));
        return problems;
    }
}
