using EdgeTwin.OpcUa.Client;
using EdgeTwin.OpcUa.Subscriptions;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Tests.Client;

/// <summary>What the client says when the server refuses to monitor an item: the status by name, and for a refused
/// deadband what the technician can change.</summary>
public class UaClientRefusalTests
{
    [Theory]
    [InlineData(0x8044_0000u, DeadbandType.Percent, 2.5, "BadMonitoredItemFilterUnsupported (0x80440000); a percent deadband of 2.5 % needs a node with an EURange (an AnalogItem)")]
    [InlineData(0x8044_0000u, DeadbandType.Absolute, 1.0, "BadMonitoredItemFilterUnsupported (0x80440000); the server does not support an absolute deadband of 1 on this node: use none")]
    [InlineData(0x8045_0000u, DeadbandType.Absolute, 0.5, "BadFilterNotAllowed (0x80450000); an absolute deadband of 0.5 applies only to numeric values")]
    [InlineData(0x808E_0000u, DeadbandType.Percent, 150.0, "BadDeadbandFilterInvalid (0x808E0000); a percent deadband of 150 % is not valid for this node")]
    [InlineData(0x8034_0000u, DeadbandType.None, 0.0, "the server refused to monitor it: BadNodeIdUnknown (0x80340000)")]
    [InlineData(0x8034_0000u, DeadbandType.Absolute, 1.0, "the server refused to monitor it: BadNodeIdUnknown (0x80340000)")]
    public void Refusal_NamesTheStatus_AndWhatTheDeadbandNeeds(uint code, DeadbandType deadband, double value, string expected)
    {
        var item = new UaMonitoredNode(ExpandedNodeId.Parse("nsu=urn:x;s=Node"), 1, Deadband: deadband, DeadbandValue: value);
        var detail = UaClient.RefusalDetail(item, new StatusCode(code));
        Assert.Contains(expected, detail, StringComparison.Ordinal);
        if (deadband == DeadbandType.None || code == 0x8034_0000u)
        {
            Assert.Equal(expected, detail);
        }
    }
}
