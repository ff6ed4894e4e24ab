using System.Text;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Encoding;

/// <summary>
/// Decodes the structures a technician meets first when looking at a server, by their binary encoding ids (the
/// ExtensionObject's TypeId): ServerStatusDataType, BuildInfo, Range, EUInformation and Argument. Field order and
/// wire types as in OPC 10000-5 and OPC 10000-8; UA Binary as in OPC 10000-6 §5.2.
/// </summary>
public static class WellKnownStructures
{
    public const uint ArgumentBinary = 298;
    public const uint BuildInfoBinary = 340;
    public const uint ServerStatusBinary = 864;
    public const uint RangeBinary = 886;
    public const uint EUInformationBinary = 889;

    /// <summary>
    /// The decoded structure, or null when <paramref name="value"/> is not a binary-encoded structure of these five.
    /// A body that does not hold what its type id says throws <see cref="UaDecodingException"/> with the byte offset
    /// within the body.
    /// </summary>
    public static UaStructure? TryDecode(ExtensionObject value)
    {
        if (value.Encoding != ExtensionObjectEncoding.Binary || value.TypeId.NamespaceIndex != 0 || value.TypeId.IdType != NodeIdType.Numeric) return null;
        var reader = new UaBinaryReader(value.Body);
        UaStructure? decoded = value.TypeId.NumericIdentifier switch
        {
            ServerStatusBinary => ReadServerStatus(ref reader),
            BuildInfoBinary => ReadBuildInfo(ref reader),
            RangeBinary => new UaRange(reader.ReadDouble(), reader.ReadDouble()),
            EUInformationBinary => new EUInformation(reader.ReadString(), reader.ReadInt32(), reader.ReadLocalizedText(), reader.ReadLocalizedText()),
            ArgumentBinary => ReadArgument(ref reader),
            _ => null,
        };
        if (decoded is not null && !reader.End)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, reader.Position, $"{reader.Remaining} byte(s) left over after the last field of a structure i={value.TypeId.NumericIdentifier}");
        }

        return decoded;
    }

    /// <summary>
    /// The UNECE common code packed into an EUInformation's UnitId (OPC 10000-8 §5.6.3: up to three ASCII characters,
    /// most significant first, e.g. 4408652 = "CEL"); null when it does not hold one.
    /// </summary>
    public static string? UneceCode(int unitId)
    {
        if (unitId <= 0) return null;
        var code = new StringBuilder(3);
        for (var shift = 16; shift >= 0; shift -= 8)
        {
            var c = (unitId >> shift) & 0xFF;
            if (c == 0) continue;
            if (c is < 0x20 or > 0x7E) return null;
            code.Append((char)c);
        }

        return code.Length > 0 && unitId >> 24 == 0 ? code.ToString() : null;
    }

    private static ServerStatusDataType ReadServerStatus(ref UaBinaryReader reader)
    {
        var start = reader.ReadDateTime();
        var current = reader.ReadDateTime();
        var state = (ServerState)reader.ReadInt32();
        var build = ReadBuildInfo(ref reader);
        return new ServerStatusDataType(start, current, state, build, reader.ReadUInt32(), reader.ReadLocalizedText());
    }

    private static BuildInfo ReadBuildInfo(ref UaBinaryReader reader) =>
        new(reader.ReadString(), reader.ReadString(), reader.ReadString(), reader.ReadString(), reader.ReadString(), reader.ReadDateTime());

    private static Argument ReadArgument(ref UaBinaryReader reader)
    {
        var name = reader.ReadString();
        var dataType = reader.ReadNodeId();
        var valueRank = reader.ReadInt32();
        var count = reader.ReadArrayLength(4);
        uint[]? dimensions = null;
        if (count >= 0)
        {
            dimensions = new uint[count];
            for (var i = 0; i < count; i++) dimensions[i] = reader.ReadUInt32();
        }

        return new Argument(name, dataType, valueRank, dimensions, reader.ReadLocalizedText());
    }
}
