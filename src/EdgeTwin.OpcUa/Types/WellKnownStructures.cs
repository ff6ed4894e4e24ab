namespace EdgeTwin.OpcUa.Types;

/// <summary>ServerState (OPC 10000-5 §12.6): the State field of <see cref="ServerStatusDataType"/>.</summary>
public enum ServerState
{
    Running = 0,
    Failed = 1,
    NoConfiguration = 2,
    Suspended = 3,
    Shutdown = 4,
    Test = 5,
    CommunicationFault = 6,
    Unknown = 7,
}

/// <summary>A structure decoded from an ExtensionObject by <see cref="Encoding.WellKnownStructures"/>.</summary>
public abstract record UaStructure
{
    /// <summary>
    /// Its fields by their OPC UA names, in the order a technician reads them (what it is before when and where), as
    /// the types they are: string, double, int, uint, DateTime, LocalizedText, ServerState, NodeId, uint[] or a
    /// nested <see cref="UaStructure"/>. The one list both the wire's JSON and the CLI's text are written from.
    /// </summary>
    public abstract IReadOnlyList<UaField> Fields();
}

/// <summary>One field of a <see cref="UaStructure"/>.</summary>
public readonly record struct UaField(string Name, object? Value);

/// <summary>BuildInfo (binary encoding i=340): who made the server software, and which build it is.</summary>
public sealed record BuildInfo(string? ProductUri, string? ManufacturerName, string? ProductName, string? SoftwareVersion, string? BuildNumber, DateTime BuildDate) : UaStructure
{
    public override IReadOnlyList<UaField> Fields() =>
        [new("ProductName", ProductName), new("ManufacturerName", ManufacturerName), new("SoftwareVersion", SoftwareVersion), new("BuildNumber", BuildNumber), new("BuildDate", BuildDate), new("ProductUri", ProductUri)];
}

/// <summary>ServerStatusDataType (binary encoding i=864): the value of Server.ServerStatus (i=2256).</summary>
/// <param name="State">The ServerState as sent; a value outside the enumeration is kept as it came.</param>
public sealed record ServerStatusDataType(DateTime StartTime, DateTime CurrentTime, ServerState State, BuildInfo BuildInfo, uint SecondsTillShutdown, LocalizedText ShutdownReason) : UaStructure
{
    public override IReadOnlyList<UaField> Fields() =>
        [new("State", State), new("StartTime", StartTime), new("CurrentTime", CurrentTime), new("SecondsTillShutdown", SecondsTillShutdown), new("ShutdownReason", ShutdownReason), new("BuildInfo", BuildInfo)];
}

/// <summary>Range (binary encoding i=886): an AnalogItem's EURange or InstrumentRange.</summary>
public sealed record UaRange(double Low, double High) : UaStructure
{
    public override IReadOnlyList<UaField> Fields() => [new("Low", Low), new("High", High)];
}

/// <summary>EUInformation (binary encoding i=889): an AnalogItem's EngineeringUnits.</summary>
/// <param name="UnitId">For the UNECE namespace, the unit's common code packed into an Int32 (see <see cref="Encoding.WellKnownStructures.UneceCode"/>); -1 when none.</param>
public sealed record EUInformation(string? NamespaceUri, int UnitId, LocalizedText DisplayName, LocalizedText Description) : UaStructure
{
    public override IReadOnlyList<UaField> Fields() => [new("DisplayName", DisplayName), new("Description", Description), new("UnitId", UnitId), new("NamespaceUri", NamespaceUri)];
}

/// <summary>Argument (binary encoding i=298): one element of a method's InputArguments or OutputArguments.</summary>
public sealed record Argument(string? Name, NodeId DataType, int ValueRank, uint[]? ArrayDimensions, LocalizedText Description) : UaStructure
{
    public override IReadOnlyList<UaField> Fields() => [new("Name", Name), new("DataType", DataType), new("ValueRank", ValueRank), new("ArrayDimensions", ArrayDimensions), new("Description", Description)];
}
