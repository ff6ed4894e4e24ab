using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Services;

/// <summary>The header of every service request (OPC 10000-4 §7.33).</summary>
public readonly record struct RequestHeader(NodeId AuthenticationToken, DateTime Timestamp, uint RequestHandle, uint TimeoutHint)
{
    public void Write(ref UaBinaryWriter writer)
    {
        writer.WriteNodeId(AuthenticationToken);
        writer.WriteDateTime(Timestamp);
        writer.WriteUInt32(RequestHandle);
        writer.WriteUInt32(0); // ReturnDiagnostics: none
        writer.WriteString(null); // AuditEntryId
        writer.WriteUInt32(TimeoutHint);
        writer.WriteExtensionObject(null); // AdditionalHeader
    }
}
