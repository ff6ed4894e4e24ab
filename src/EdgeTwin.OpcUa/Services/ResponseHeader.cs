using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Services;

/// <summary>The header of every service response (OPC 10000-4 §7.34).</summary>
public sealed record ResponseHeader(DateTime Timestamp, uint RequestHandle, StatusCode ServiceResult, DiagnosticInfo ServiceDiagnostics, string?[]? StringTable)
{
    public static ResponseHeader Read(ref UaBinaryReader reader)
    {
        var timestamp = reader.ReadDateTime();
        var handle = reader.ReadUInt32();
        var result = reader.ReadStatusCode();
        var diagnostics = reader.ReadDiagnosticInfo();
        var strings = reader.ReadStringArray();
        reader.ReadExtensionObject(); // AdditionalHeader: nothing we use
        return new ResponseHeader(timestamp, handle, result, diagnostics, strings);
    }

    public void Write(ref UaBinaryWriter writer)
    {
        writer.WriteDateTime(Timestamp);
        writer.WriteUInt32(RequestHandle);
        writer.WriteStatusCode(ServiceResult);
        writer.WriteDiagnosticInfo(ServiceDiagnostics);
        writer.WriteStringArray(StringTable);
        writer.WriteExtensionObject(null);
    }
}
