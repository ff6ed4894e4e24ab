namespace EdgeTwin.OpcUa.Types;

/// <summary>The kind of identifier a NodeId carries (OPC 10000-3 §8.2.3).</summary>
public enum NodeIdType : byte
{
    Numeric = 0,
    String = 1,
    Guid = 2,
    Opaque = 3,
}
