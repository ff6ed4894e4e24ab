using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Tests.Types;

public class NodeIdParseTests
{
    [Theory]
    [InlineData("i=2255", "i=2255")]
    [InlineData("ns=2;s=Demo.Static.Scalar.Double", "ns=2;s=Demo.Static.Scalar.Double")]
    [InlineData("ns=1;g=09087e75-8e5e-499b-954f-f2a9603db28a", "ns=1;g=09087e75-8e5e-499b-954f-f2a9603db28a")]
    [InlineData("ns=1;b=M/RbKBsRVkePCePcx24oRA==", "ns=1;b=M/RbKBsRVkePCePcx24oRA==")]
    [InlineData("s=a;b", "s=a;b")]
    public void Parse_FormatsBackToTheSameText(string text, string expected) => Assert.Equal(expected, NodeId.Parse(text).ToString());

    [Fact]
    public void Parse_NsuForm_KeepsTheUriAndUnescapesIt()
    {
        var id = ExpandedNodeId.Parse("nsu=urn:plc%3Bline%251;s=Line1.Pressure");
        Assert.Equal("urn:plc;line%1", id.NamespaceUri);
        Assert.Equal("Line1.Pressure", id.NodeId.StringIdentifier);
        Assert.Equal("nsu=urn:plc%3Bline%251;s=Line1.Pressure", id.ToString());
    }

    [Fact]
    public void Parse_ServerIndex() => Assert.Equal(3u, ExpandedNodeId.Parse("svr=3;ns=1;i=5").ServerIndex);

    [Theory]
    [InlineData("")]
    [InlineData("x=1")]
    [InlineData("i=-1")]
    [InlineData("ns=70000;i=1")]
    [InlineData("g=nope")]
    [InlineData("nsu=;i=1")]
    [InlineData("nsu=urn:a")]
    [InlineData("nsu=urn:%zz;i=1")]
    public void Parse_RejectsMalformedText(string text) => Assert.Throws<FormatException>(() => ExpandedNodeId.Parse(text));

    [Fact]
    public void NodeIdParse_RefusesTheNsuForm() => Assert.Throws<FormatException>(() => NodeId.Parse("nsu=urn:a;i=1"));

    [Fact]
    public void Equality_ComparesIdentifierValues()
    {
        Assert.Equal(new NodeId(new byte[] { 1, 2 }, 1), new NodeId(new byte[] { 1, 2 }, 1));
        Assert.Equal(new NodeId(new byte[] { 1, 2 }, 1).GetHashCode(), new NodeId(new byte[] { 1, 2 }, 1).GetHashCode());
        Assert.NotEqual(new NodeId(1, 1), new NodeId(1, 2));
        Assert.NotEqual(new NodeId("1", 0), new NodeId(1, 0));
        Assert.True(new NodeId(0).IsNull);
        Assert.True(NodeId.Null.IsNull);
    }
}
