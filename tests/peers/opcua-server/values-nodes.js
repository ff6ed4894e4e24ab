// The values test's nodes (server.js --values): a variable of every built-in type, arrays of several types, a
// matrix, an enumeration with EnumStrings and one with EnumValues (and the same two without a DataTypeDefinition, as
// a server older than 1.04 has them), structures (built-in ones and a nested custom
// one with an optional field, defined in values-types.xml with its DataTypeDefinition), and with
// --waveform-ms MS a 65,536-sample float64 waveform that changes every MS milliseconds.
// Each node is ns=<urn:edgetwin:test:values>;s=V.<Name>. Prints "VALUES <json>": every node's value as the
// gateway should forward it (the test compares against it, so what the server holds is said once, here).
"use strict";
const path = require("path");
const {
  Variant, DataType, VariantArrayType, StatusCodes, LocalizedText, QualifiedName, coerceNodeId, DataValue,
  generateAddressSpaceRaw, makeNodeId, AttributeIds,
} = require("node-opcua");

const VALUES_NS = "urn:edgetwin:test:values";

async function addValueNodes(addressSpace, option) {
  // The loader builds its structure constructors once per address space: drop the server's so they are built again
  // with this namespace's types.
  delete addressSpace.$$extraDataTypeManager;
  await generateAddressSpaceRaw(addressSpace, [path.join(__dirname, "values-types.xml")], async (f) => require("fs").promises.readFile(f, "utf8"), {});
  const ns = addressSpace.getNamespace(VALUES_NS);
  const root = ns.addFolder(addressSpace.rootFolder.objects, { browseName: "Values", nodeId: "s=V" });
  const expected = {};
  const add = (name, dataType, value, wire, extra) => {
    const options = { dataType, value };
    if (extra && extra.arrayType !== undefined) options.arrayType = extra.arrayType;
    if (extra && extra.dimensions) options.dimensions = extra.dimensions;
    ns.addVariable({
      componentOf: root, browseName: name, nodeId: "s=V." + name,
      dataType: extra && extra.dataTypeNode ? extra.dataTypeNode : dataType,
      valueRank: options.arrayType === VariantArrayType.Array ? 1 : options.arrayType === VariantArrayType.Matrix ? extra.dimensions.length : -1,
      ...(extra && extra.arrayType === VariantArrayType.Matrix ? { arrayDimensions: extra.dimensions } : {}),
      value: new Variant(options),
    });
    expected[name] = wire;
  };
  const array = { arrayType: VariantArrayType.Array };
  const nsIndex = ns.index;

  // Scalars of every built-in type (DataValue and DiagnosticInfo are not variable values).
  add("Boolean", DataType.Boolean, false, { value: false });
  add("SByte", DataType.SByte, -5, { value: -5 });
  add("Byte", DataType.Byte, 7, { value: 7 });
  add("Int16", DataType.Int16, -300, { value: -300 });
  add("UInt16", DataType.UInt16, 65000, { value: 65000 });
  add("Int32", DataType.Int32, -123456, { value: -123456 });
  add("UInt32", DataType.UInt32, 4000000000, { value: 4000000000 });
  const scalar = { arrayType: VariantArrayType.Scalar };
  add("Int64", DataType.Int64, [0x7F, 0xFFFFFFFF], { value: 549755813887 }, scalar); // [high, low] words
  add("UInt64", DataType.UInt64, [0, 42], { value: 42 }, scalar);
  add("Float", DataType.Float, 0.25, { value: 0.25 });
  add("Double", DataType.Double, 6.02214076e23, { value: 6.02214076e23 });
  add("String", DataType.String, "Grüße \"zitiert\"\n", { value: "Grüße \"zitiert\"\n" });
  add("DateTime", DataType.DateTime, new Date(Date.UTC(2026, 11, 6, 19, 7, 13, 456)), { value: "2026-12-06T19:07:13.4560000Z" });
  add("Guid", DataType.Guid, "72962B91-FA75-4AE6-8D28-B404DC7DAF63", { value: "72962b91-fa75-4ae6-8d28-b404dc7daf63" });
  add("ByteString", DataType.ByteString, Buffer.from([0, 1, 2, 254, 255]), { value: "AAEC/v8=" });
  add("XmlElement", DataType.XmlElement, "<a b=\"1\">x</a>", { value: "<a b=\"1\">x</a>" });
  add("NodeId", DataType.NodeId, coerceNodeId("ns=1;s=Target"), { value: "ns=1;s=Target" });
  add("ExpandedNodeId", DataType.ExpandedNodeId, coerceNodeId("ns=1;i=42"), { value: "ns=1;i=42" });
  add("StatusCode", DataType.StatusCode, StatusCodes.UncertainLastUsableValue, { value: StatusCodes.UncertainLastUsableValue.value });
  add("QualifiedName", DataType.QualifiedName, new QualifiedName({ namespaceIndex: 1, name: "Qn" }), { value: "1:Qn" });
  add("LocalizedText", DataType.LocalizedText, new LocalizedText({ locale: "de-DE", text: "Druck" }), { value: "Druck", tags: { locale: "de-DE" } });

  // Arrays of several types and a matrix.
  add("Array.Double", DataType.Double, new Float64Array([0.5, -0.25, 1e300]), { value: [0.5, -0.25, 1e300] }, array);
  add("Array.Int16", DataType.Int16, new Int16Array([-1, 0, 32767]), { value: [-1, 0, 32767] }, array);
  add("Array.Boolean", DataType.Boolean, [true, false, true], { value: [true, false, true] }, array);
  add("Array.String", DataType.String, ["a", "", "ü"], { value: ["a", "", "ü"] }, array);
  add("Array.DateTime", DataType.DateTime, [new Date(Date.UTC(2026, 0, 1)), new Date(Date.UTC(2026, 5, 30, 12))],
    { value: ["2026-01-01T00:00:00.0000000Z", "2026-06-30T12:00:00.0000000Z"] }, array);
  add("Array.LocalizedText", DataType.LocalizedText, [new LocalizedText({ locale: "en", text: "On" }), new LocalizedText({ text: "Aus" })],
    { value: ["On", "Aus"] }, array);
  add("Matrix.Int32", DataType.Int32, new Int32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    { value: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dimensions: [2, 3, 2] }, { arrayType: VariantArrayType.Matrix, dimensions: [2, 3, 2] });

  // Enumerations: one with EnumStrings, one with EnumValues (not zero-based).
  const pumpState = ns.addEnumerationType({ browseName: "PumpState", enumeration: ["Stopped", "Running", "Fault"] });
  const alarmLevel = ns.addEnumerationType({ browseName: "AlarmLevel", enumeration: [
    { displayName: "Low", value: 10 }, { displayName: "High", value: 20 }, { displayName: "Critical", value: 30 }] });
  add("Enum.Strings", DataType.Int32, 1, { value: 1, tags: { enum: "Running" } }, { dataTypeNode: pumpState });
  add("Enum.Values", DataType.Int32, 20, { value: 20, tags: { enum: "High" } }, { dataTypeNode: alarmLevel });
  // As a server older than OPC UA 1.04 holds them: no DataTypeDefinition attribute, only the EnumStrings or EnumValues
  // property of the data type.
  const legacy = (type) => {
    const read = type.readAttribute.bind(type);
    type.readAttribute = (context, attributeId, ...rest) => attributeId === AttributeIds.DataTypeDefinition
      ? new DataValue({ statusCode: StatusCodes.BadAttributeIdInvalid }) : read(context, attributeId, ...rest);
    return type;
  };
  const valveState = legacy(ns.addEnumerationType({ browseName: "ValveState", enumeration: ["Closed", "Opening", "Open"] }));
  const legacyLevel = legacy(ns.addEnumerationType({ browseName: "LegacyLevel", enumeration: [
    { displayName: "Minor", value: 100 }, { displayName: "Major", value: 200 }] }));
  add("Enum.LegacyStrings", DataType.Int32, 2, { value: 2, tags: { enum: "Open" } }, { dataTypeNode: valveState });
  add("Enum.LegacyValues", DataType.Int32, 200, { value: 200, tags: { enum: "Major" } }, { dataTypeNode: legacyLevel });

  // Structures: built-in ones, decoded without asking the server, and the custom nested one with its optional field.
  const range = addressSpace.constructExtensionObject(coerceNodeId("i=884"), { low: -10, high: 90.5 });
  add("Range", DataType.ExtensionObject, range, { value: { Low: -10, High: 90.5 } }, { dataTypeNode: coerceNodeId("i=884") });
  const driveType = addressSpace.findDataType("DriveStatus", nsIndex);
  const drive = addressSpace.constructExtensionObject(driveType, {
    name: "Drive 1",
    status: { speed: 1480.5, running: true, label: new LocalizedText({ locale: "en", text: "ok" }) },
    since: new Date(Date.UTC(2026, 11, 1, 6)),
    temperatures: [41.5, 42, 43.25],
    errorCode: 7,
  });
  add("Structure", DataType.ExtensionObject, drive, { value: {
    Name: "Drive 1", Status: { Speed: 1480.5, Running: true, Label: { Locale: "en", Text: "ok" } },
    Since: "2026-12-01T06:00:00.0000000Z", Temperatures: [41.5, 42, 43.25], ErrorCode: 7 } }, { dataTypeNode: driveType });
  add("Array.Structure", DataType.ExtensionObject, [range, range], { value: [{ Low: -10, High: 90.5 }, { Low: -10, High: 90.5 }] },
    { arrayType: VariantArrayType.Array, dataTypeNode: coerceNodeId("i=884") });

  console.log("VALUES " + JSON.stringify(expected));

  const waveformMs = parseInt(option("waveform-ms", "0"), 10);
  if (waveformMs > 0) {
    const samples = new Float64Array(65536);
    let k = 0;
    const wave = ns.addVariable({ componentOf: root, browseName: "Waveform", nodeId: "s=V.Waveform", dataType: "Double", valueRank: 1,
      arrayDimensions: [65536], minimumSamplingInterval: 0 });
    const tick = () => {
      k++;
      for (let i = 0; i < samples.length; i++) samples[i] = Math.sin((i + k) / 50) + k * 1e-6;
      wave.setValueFromSource(new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: samples }), StatusCodes.Good, new Date());
    };
    tick();
    return setInterval(tick, waveformMs);
  }
  return null;
}

module.exports = { addValueNodes, VALUES_NS };
