// Writes byte vectors encoded by node-opcua's own encoders, for EdgeTwin's decoder and encoder tests.
// Usage: node golden.js > ../../EdgeTwin.OpcUa.Tests/TestData/node-opcua-vectors.json
"use strict";
const { BinaryStream } = require("node-opcua-binary-stream");
const { Variant, DataType, VariantArrayType } = require("node-opcua-variant");
const { DataValue } = require("node-opcua-data-value");
const { StatusCodes } = require("node-opcua-status-code");
const { encodeNodeId, encodeExpandedNodeId } = require("node-opcua-basic-types");
const { coerceNodeId, makeExpandedNodeId, ExpandedNodeId, NodeIdType } = require("node-opcua-nodeid");
const { LocalizedText, QualifiedName } = require("node-opcua-data-model");

const vectors = [];
function capture(name, encode) {
  const stream = new BinaryStream(1 << 16);
  encode(stream);
  vectors.push({ name, hex: Buffer.from(stream.buffer.subarray(0, stream.length)).toString("hex").toUpperCase() });
}
const variant = (name, options) => capture(name, (s) => new Variant(options).encode(s));

capture("NodeId i=85", (s) => encodeNodeId(coerceNodeId("i=85"), s));
capture("NodeId i=2259", (s) => encodeNodeId(coerceNodeId("i=2259"), s));
capture("NodeId ns=2;i=70000", (s) => encodeNodeId(coerceNodeId("ns=2;i=70000"), s));
capture("NodeId ns=2;s=Line1.Pressure", (s) => encodeNodeId(coerceNodeId("ns=2;s=Line1.Pressure"), s));
capture("NodeId ns=1;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63", (s) => encodeNodeId(coerceNodeId("ns=1;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63"), s));
capture("NodeId ns=1;b=AQID", (s) => encodeNodeId(coerceNodeId("ns=1;b=AQID"), s));
capture("ExpandedNodeId nsu=urn:plc;s=X svr=2", (s) =>
  encodeExpandedNodeId(new ExpandedNodeId(NodeIdType.STRING, "X", 0, "urn:plc", 2), s));

variant("Variant Boolean true", { dataType: DataType.Boolean, value: true });
variant("Variant SByte -128", { dataType: DataType.SByte, value: -128 });
variant("Variant Int16 -32768", { dataType: DataType.Int16, value: -32768 });
variant("Variant UInt32 4294967295", { dataType: DataType.UInt32, value: 4294967295 });
variant("Variant Int64 -9223372036854775808", { dataType: DataType.Int64, value: [0x80000000, 0], arrayType: VariantArrayType.Scalar });
variant("Variant UInt64 18446744073709551615", { dataType: DataType.UInt64, value: [0xFFFFFFFF, 0xFFFFFFFF], arrayType: VariantArrayType.Scalar });
variant("Variant Float 3.5", { dataType: DataType.Float, value: 3.5 });
variant("Variant Double -1.7976931348623157e308", { dataType: DataType.Double, value: -1.7976931348623157e308 });
variant("Variant String Grüße", { dataType: DataType.String, value: "Grüße" });
variant("Variant String null", { dataType: DataType.String, value: null });
variant("Variant DateTime 2026-11-24T03:00:00.123Z", { dataType: DataType.DateTime, value: new Date(Date.UTC(2026, 10, 24, 3, 0, 0, 123)) });
variant("Variant Guid 72962B91-FA75-4AE6-8D28-B404DC7DAF63", { dataType: DataType.Guid, value: "72962B91-FA75-4AE6-8D28-B404DC7DAF63" });
variant("Variant ByteString 0001FEFF", { dataType: DataType.ByteString, value: Buffer.from([0, 1, 254, 255]) });
variant("Variant StatusCode BadNodeIdUnknown", { dataType: DataType.StatusCode, value: StatusCodes.BadNodeIdUnknown });
variant("Variant QualifiedName 1:Qn", { dataType: DataType.QualifiedName, value: new QualifiedName({ namespaceIndex: 1, name: "Qn" }) });
variant("Variant LocalizedText de Druck", { dataType: DataType.LocalizedText, value: new LocalizedText({ locale: "de", text: "Druck" }) });
variant("Variant NodeId ns=3;s=Target", { dataType: DataType.NodeId, value: coerceNodeId("ns=3;s=Target") });
variant("Variant Int32[] 1,-2,2147483647", { dataType: DataType.Int32, arrayType: VariantArrayType.Array, value: [1, -2, 2147483647] });
variant("Variant String[] a,,ü", { dataType: DataType.String, arrayType: VariantArrayType.Array, value: ["a", "", "ü"] });
variant("Variant Double matrix 2x3", { dataType: DataType.Double, arrayType: VariantArrayType.Matrix, dimensions: [2, 3], value: new Float64Array([1, 2, 3, 4, 5, 6]) });
variant("Variant Null", { dataType: DataType.Null });
capture("DataValue Double 1.5 Good source+server 2026-01-02T03:04:05Z", (s) => new DataValue({
  value: new Variant({ dataType: DataType.Double, value: 1.5 }),
  statusCode: StatusCodes.Good,
  sourceTimestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  serverTimestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
}).encode(s));
capture("DataValue status BadNodeIdUnknown", (s) => new DataValue({ statusCode: StatusCodes.BadNodeIdUnknown }).encode(s));

process.stdout.write(JSON.stringify({ generator: "node-opcua " + require("node-opcua/package.json").version, vectors }, null, 2) + "\n");
