using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Core.Tests.Config;

/// <summary>
/// The validation framework on a small document of its own: the shape checker and binder, closed sets of names
/// (enums) reported in the technician's words, and errors placed where the section validator meets them.
/// </summary>
public sealed class ConfigFrameworkTests
{
    [Fact]
    public void ConfigError_ToString_IsPathThenMessage() =>
        Assert.Equal("$.queue.fullPolicy: 'x' is not 'block' or 'dropOldest'", new ConfigError("$.queue.fullPolicy", "'x' is not 'block' or 'dropOldest'").ToString());

    [Fact]
    public void Load_NameOutsideTheSet_IsPlacedByTheValidator_AmongItsOtherErrors()
    {
        var errors = Fails("""{ "count": -1, "mode": "sideways", "limit": 0 }""");

        Assert.Equal(["$.count", "$.mode", "$.limit"], errors.Select(e => e.Path));
        Assert.Equal("'sideways' is not \"on\" or \"off\" (line 1, column 24)", errors[1].Message);
    }

    [Fact]
    public void Load_NameOutsideTheSet_BesideATypeError_ReportsBothWithoutBinding()
    {
        var errors = Fails("""{ "count": "many", "mode": "sideways" }""");

        Assert.Equal(["$.count", "$.mode"], errors.Select(e => e.Path));
        Assert.StartsWith("expected a whole number, found a string (\"many\")", errors[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("'sideways' is not \"on\" or \"off\"", errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OptionalEnum_IsCheckedLikeARequiredOne()
    {
        var error = Assert.Single(Fails("""{ "backup": "On" }"""));

        Assert.Equal("$.backup", error.Path);
        Assert.StartsWith("'On' is not \"on\" or \"off\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WrongTokenForAnEnum_NamesTheAllowedValues_NotADotNetType()
    {
        var errors = Fails("""{ "mode": 1, "backup": true }""");

        Assert.Equal(["expected \"on\" or \"off\", found a number (1) (line 1, column 11)", "expected \"on\" or \"off\", found true (line 1, column 24)"], errors.Select(e => e.Message));
    }

    [Fact]
    public void Load_NullForARequiredEnum_NamesTheAllowedValues_AndNullForAnOptionalOneBinds()
    {
        var error = Assert.Single(Fails("""{ "mode": null, "backup": null }"""));

        Assert.Equal("$.mode", error.Path);
        Assert.Equal("expected \"on\" or \"off\", found null (line 1, column 11)", error.Message);
        Assert.Null(ConfigDocument.Load("""{ "backup": null }""", "test.json", SampleContext.Default.Sample, Validate).Backup);
    }

    [Fact]
    public void Load_KnownNames_BindAndWriteBackTheSame()
    {
        var sample = ConfigDocument.Load("""{ "mode": "off", "backup": "on" }""", "test.json", SampleContext.Default.Sample, Validate);

        Assert.Equal(SampleMode.Off, sample.Mode);
        Assert.Equal(SampleMode.On, sample.Backup);
        Assert.Equal("""{"mode":"off","backup":"on","count":0,"limit":1}""", JsonSerializer.Serialize(sample, SampleContext.Default.Sample));
    }

    [Fact]
    public void Known_UndefinedValueSetInCode_IsReportedWithTheAllowedNames()
    {
        var check = new ConfigCheck([], []);

        Assert.False(check.Known("$.mode", ConfigEnumNames<SampleMode>.Undefined, SampleModeJson.Names));
        Assert.True(check.Known("$.mode", SampleMode.Off, SampleModeJson.Names));

        var error = Assert.Single(check.Errors);
        Assert.Equal("$.mode: is not \"on\" or \"off\"", error.ToString());
    }

    [Fact]
    public void Each_NullEntry_IsAnErrorAtItsIndex_AndTheOthersAreValidated()
    {
        var check = new ConfigCheck([], []);
        var seen = new List<string>();

        check.Each(["a", null, "c"], "$.list", (item, at) => seen.Add(at + "=" + item));

        Assert.Equal(["$.list[0]=a", "$.list[2]=c"], seen);
        Assert.Equal("$.list[1]: is null", Assert.Single(check.Errors).ToString());
    }

    [Fact]
    public void Check_SourceAndSinkNames_AreUniqueWithinTheirKind()
    {
        var check = new ConfigCheck([], []);

        check.SourceName("$.sources.a[0].name", "x");
        check.SinkName("$.sinks.b[0].name", "x");
        check.SourceName("$.sources.c[0].name", "x");

        Assert.Equal("$.sources.c[0].name", Assert.Single(check.Errors).Path);
        Assert.Equal(1, check.SourceCount);
        Assert.Equal(1, check.SinkCount);
    }

    private static IReadOnlyList<ConfigError> Fails(string json) =>
        Assert.Throws<ConfigException>(() => ConfigDocument.Load(json, "test.json", SampleContext.Default.Sample, Validate)).Errors;

    private static IReadOnlyList<ConfigError> Validate(Sample sample, IReadOnlyList<ConfigError> badValues)
    {
        var check = new ConfigCheck([], [], badValues);
        if (sample.Count < 0) check.Error("$.count", "must not be negative");
        check.Known("$.mode", sample.Mode, SampleModeJson.Names);
        if (sample.Backup is { } backup) check.Known("$.backup", backup, SampleModeJson.Names);
        if (sample.Limit < 1) check.Error("$.limit", "must be at least 1");
        return check.Errors;
    }
}

public sealed class Sample
{
    [JsonIgnore]
    public SampleMode Mode { get; set; } = SampleMode.On;

    [JsonPropertyName("mode"), JsonConverter(typeof(SampleModeJson))]
    public string ModeText { get => SampleModeJson.Names.Text(Mode); set => Mode = SampleModeJson.Names.Parse(value); }

    [JsonIgnore]
    public SampleMode? Backup { get; set; }

    [JsonPropertyName("backup"), JsonConverter(typeof(SampleModeJson))]
    public string? BackupText { get => Backup is { } value ? SampleModeJson.Names.Text(value) : null; set => Backup = value is null ? null : SampleModeJson.Names.Parse(value); }

    public int Count { get; set; }

    public int Limit { get; set; } = 1;
}

public enum SampleMode
{
    On,
    Off,
}

public sealed class SampleModeJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<SampleMode> Names = new((SampleMode.On, "on"), (SampleMode.Off, "off"));
}

[JsonSourceGenerationOptions(
    RespectNullableAnnotations = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Sample))]
internal sealed partial class SampleContext : JsonSerializerContext;
