using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests.Api;

/// <summary>The test's own Prometheus parser must itself reject what is wrong, or the metrics test proves nothing.</summary>
public sealed class PrometheusTextTests
{
    private const string Valid = """
        # HELP requests_total Requests, with a \\ and a\nnew line in the help
        # TYPE requests_total counter
        requests_total{path="/a\"b\\c\nd",code="200"} 12
        requests_total{path="/",code="500"} 1 1700000000000
        # TYPE temp gauge
        temp -3.5e-2
        temp_other NaN
        # TYPE lat_seconds histogram
        lat_seconds_bucket{le="0.1"} 1
        lat_seconds_bucket{le="1"} 3
        lat_seconds_bucket{le="+Inf"} 4
        lat_seconds_sum 2.5
        lat_seconds_count 4

        """;

    [Fact]
    public void Parse_ValidExposition_ReadsFamiliesLabelsAndEscapes()
    {
        var m = PrometheusText.Parse(Valid);
        Assert.Equal("counter", m["requests_total"].Type);
        Assert.Equal("Requests, with a \\ and a\nnew line in the help", m["requests_total"].Help);
        Assert.Equal("/a\"b\\c\nd", m["requests_total"].Samples[0].Labels["path"]);
        Assert.Equal(-0.035, m["temp"].Samples.Single().Value);
        Assert.True(double.IsNaN(m["temp_other"].Samples.Single().Value));
        Assert.Equal("untyped", m["temp_other"].Type);
        Assert.Equal(5, m["lat_seconds"].Samples.Count);
    }

    [Theory]
    [InlineData("m{a=\"x\\t\"} 1\n", "unknown escape")]
    [InlineData("m{a=\"1\",a=\"2\"} 1\n", "duplicate label")]
    [InlineData("m 1\nm 2\n", "duplicate series")]
    [InlineData("m 1\n# TYPE m gauge\n", "after its samples")]
    [InlineData("# TYPE m gauge\n# TYPE m counter\n", "second TYPE")]
    [InlineData("a 1\nb 1\na{x=\"1\"} 1\n", "not contiguous")]
    [InlineData("m one\n", "not a float")]
    [InlineData("m{a=\"1\",} 1\n", "trailing comma")]
    [InlineData("m{a=1} 1\n", "expected")]
    [InlineData("9m 1\n", "bad metric name")]
    [InlineData("m 1", "line feed")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count 2\n", "+Inf")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "not cumulative")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", "_count")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 2\n", "_sum")]
    [InlineData("# TYPE h histogram\nh 1\n", "does not belong")]
    public void Parse_InvalidExposition_IsRejectedWithTheReason(string text, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => PrometheusText.Parse(text));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }
}
