using System.Reflection;
using System.Text.RegularExpressions;
using EdgeTwin.Gateway.Cli;
using EdgeTwin.Gateway.Doctor;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests;

/// <summary>The README's exit-code table and the code's constants say the same.</summary>
public sealed partial class ExitCodesTableTests
{
    private static readonly Type[] Holders = [typeof(ExitCodes), typeof(DoctorCommand)];

    [Fact]
    public void EveryRow_NamesAConstantWithThatValue_AndEveryConstantHasARow()
    {
        var rows = Rows();
        Assert.NotEmpty(rows);
        foreach (var (code, type, name) in rows)
        {
            var holder = Assert.Single(Holders, h => h.Name == type);
            var field = holder.GetField(name, BindingFlags.Public | BindingFlags.Static);
            Assert.True(field is { IsLiteral: true }, $"README names {type}.{name}, which is no constant");
            Assert.True((int)field.GetRawConstantValue()! == code, $"README says {type}.{name} is {code}; the code says {field.GetRawConstantValue()}");
        }

        foreach (var holder in Holders)
        {
            foreach (var field in holder.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(int)))
            {
                Assert.True(rows.Any(r => r.Type == holder.Name && r.Name == field.Name), $"{holder.Name}.{field.Name} ({field.GetRawConstantValue()}) has no row in the README's exit-code table");
            }
        }
    }

    [Fact]
    public void ACommandLineTheParserRefuses_ExitsWithTheDocumentedCode()
    {
        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "no-such-verb");
        Assert.True(code == ExitCodes.Error, $"exit {code}: {output}");
        (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "check-config");
        Assert.True(code == ExitCodes.Error, $"exit {code}: {output}");
    }

    private static List<(int Code, string Type, string Name)> Rows()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot.Path, "README.md"));
        var start = readme.IndexOf("\n## Exit codes\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no '## Exit codes' section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = end < 0 ? readme[start..] : readme[start..end];
        return [.. Row().Matches(section).Select(m => (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value, m.Groups[3].Value))];
    }

    [GeneratedRegex(@"^\| (\d+) \| `(\w+)\.(\w+)` \|", RegexOptions.Multiline)]
    private static partial Regex Row();
}
