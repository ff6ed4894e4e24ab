// The node-opcua server the EdgeTwin OPC UA tests run against.
// Usage: node server.js --port N [--pki DIR] [--namespaces urn:a,urn:b] [--items N] [--max-nodes-per-read N]
//                       [--token-lifetime MS] [--users name:password,…] [--no-anonymous]
//                       [--change-items N] [--change-interval MS] [--tick-ms MS --tick-nodes N] [--namespace-uri URI]
//                       [--values [--waveform-ms MS]] [--certificate FILE --private-key FILE (security.js)]
// --tick-ms: nodes s=Tick00000… whose value is the tick number k = floor(now / MS), set with source timestamp
// k × MS: a restarted server goes on with the same sequence, so a test can tell exactly which values exist.
// With --tick-ms, s=Unstamped has the same tick number as its value but no source timestamp at all (as some PLC
// servers report their values): only the server timestamp of each read tells when it was seen.
// Prints "LISTENING <endpointUrl>" once the endpoint accepts connections, and the namespace array as
// "NAMESPACES <json>". Stops on SIGTERM/SIGINT.
"use strict";
const path = require("path");
const os = require("os");
const {
  OPCUAServer, OPCUACertificateManager, Variant, DataType, VariantArrayType, StatusCodes,
  LocalizedText, QualifiedName, coerceNodeId, UserTokenPolicy, UserTokenType, MessageSecurityMode, DataValue, standardUnits,
} = require("node-opcua");

function option(name, fallback) {
  const i = process.argv.indexOf("--" + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = parseInt(option("port", "4840"), 10);
const pki = option("pki", path.join(os.tmpdir(), "edgetwin-opcua-pki"));
const extraNamespaces = (option("namespaces", "") || "").split(",").filter((s) => s.length > 0);
const itemCount = parseInt(option("items", "100"), 10);
const maxNodesPerRead = parseInt(option("max-nodes-per-read", "50"), 10);
const tokenLifetime = parseInt(option("token-lifetime", "600000"), 10);
// name:password pairs for a user manager; with users, the None endpoint also offers a UserName token in clear.
const users = new Map((option("users", "") || "").split(",").filter((s) => s.includes(":"))
  .map((pair) => [pair.slice(0, pair.indexOf(":")), pair.slice(pair.indexOf(":") + 1)]));
const allowAnonymous = process.argv.indexOf("--no-anonymous") < 0;
// The first N items of the Many folder change every interval (the benchmark's load).
const changeItems = parseInt(option("change-items", "0"), 10);
const changeInterval = parseInt(option("change-interval", "100"), 10);
const TEST_NS = option("namespace-uri", "urn:edgetwin:test");
const tickMs = parseInt(option("tick-ms", "0"), 10);
const tickNodes = parseInt(option("tick-nodes", "1"), 10);

async function main() {
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: path.join(pki, "server"),
    automaticallyAcceptUnknownCertificate: true,
  });
  const server = new OPCUAServer({
    port,
    resourcePath: "/UA/EdgeTwinTest",
    serverCertificateManager,
    userCertificateManager: new OPCUACertificateManager({ rootFolder: path.join(pki, "user"), automaticallyAcceptUnknownCertificate: true }),
    allowAnonymous,
    userManager: { isValidUser: (userName, password) => users.has(userName) && users.get(userName) === password },
    defaultSecureTokenLifetime: tokenLifetime,
    ...require("./security").serverOptions(option),
    buildInfo: { productName: "EdgeTwinTestServer", buildNumber: "1", buildDate: new Date(0) },
    serverCapabilities: {
      maxBrowseContinuationPoints: 10,
      operationLimits: {
        maxNodesPerRead,
        maxNodesPerBrowse: 50,
        maxMonitoredItemsPerCall: 1000,
        maxNodesPerTranslateBrowsePathsToNodeIds: 50,
      },
    },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  // Namespaces registered before ours shift its index: the tests restart with another order.
  for (const uri of extraNamespaces) {
    addressSpace.registerNamespace(uri);
  }
  const ns = addressSpace.registerNamespace(TEST_NS);
  const objects = addressSpace.rootFolder.objects;
  const root = ns.addFolder(objects, { browseName: "EdgeTwin", nodeId: "s=EdgeTwin" });

  const variable = (parent, name, dataType, value, extra) =>
    ns.addVariable({
      componentOf: parent, browseName: name, nodeId: "s=" + name, dataType,
      value: new Variant(Object.assign({ dataType, value }, extra || {})),
      ...(extra && extra.arrayType === VariantArrayType.Array ? { valueRank: 1 } : {}),
      ...(extra && extra.arrayType === VariantArrayType.Matrix ? { valueRank: extra.dimensions.length, arrayDimensions: extra.dimensions } : {}),
    });

  const scalars = ns.addFolder(root, { browseName: "Scalars", nodeId: "s=Scalars" });
  variable(scalars, "Scalar.Boolean", DataType.Boolean, true);
  variable(scalars, "Scalar.SByte", DataType.SByte, -128);
  variable(scalars, "Scalar.Byte", DataType.Byte, 255);
  variable(scalars, "Scalar.Int16", DataType.Int16, -32768);
  variable(scalars, "Scalar.UInt16", DataType.UInt16, 65535);
  variable(scalars, "Scalar.Int32", DataType.Int32, -2147483648);
  variable(scalars, "Scalar.UInt32", DataType.UInt32, 4294967295);
  variable(scalars, "Scalar.Int64", DataType.Int64, [0x80000000, 0], { arrayType: VariantArrayType.Scalar }); // [high, low] words
  variable(scalars, "Scalar.UInt64", DataType.UInt64, [0xFFFFFFFF, 0xFFFFFFFF], { arrayType: VariantArrayType.Scalar });
  variable(scalars, "Scalar.Float", DataType.Float, 3.5);
  variable(scalars, "Scalar.Double", DataType.Double, -1.7976931348623157e308);
  variable(scalars, "Scalar.String", DataType.String, "Grüße, 世界");
  variable(scalars, "Scalar.DateTime", DataType.DateTime, new Date(Date.UTC(2026, 10, 24, 3, 0, 0, 123)));
  variable(scalars, "Scalar.Guid", DataType.Guid, "72962B91-FA75-4AE6-8D28-B404DC7DAF63");
  variable(scalars, "Scalar.ByteString", DataType.ByteString, Buffer.from([0, 1, 2, 254, 255]));
  variable(scalars, "Scalar.NodeId", DataType.NodeId, coerceNodeId("ns=1;s=Target"));
  variable(scalars, "Scalar.StatusCode", DataType.StatusCode, StatusCodes.BadNodeIdUnknown);
  variable(scalars, "Scalar.QualifiedName", DataType.QualifiedName, new QualifiedName({ namespaceIndex: 1, name: "Qn" }));
  variable(scalars, "Scalar.LocalizedText", DataType.LocalizedText, new LocalizedText({ locale: "de", text: "Druck" }));
  variable(scalars, "Scalar.EmptyString", DataType.String, "");
  variable(scalars, "Scalar.NullString", DataType.String, null);

  const arrays = ns.addFolder(root, { browseName: "Arrays", nodeId: "s=Arrays" });
  const array = { arrayType: VariantArrayType.Array };
  variable(arrays, "Array.Boolean", DataType.Boolean, [true, false, true], array);
  variable(arrays, "Array.Int32", DataType.Int32, [1, -2, 2147483647], array);
  variable(arrays, "Array.Double", DataType.Double, new Float64Array([0.5, -0.25, 1e300]), array);
  variable(arrays, "Array.String", DataType.String, ["a", "", "ü"], array);
  variable(arrays, "Array.Byte", DataType.Byte, new Uint8Array([1, 2, 3]), array);
  variable(arrays, "Array.Empty", DataType.Int32, [], array);
  // 5000 doubles (40 KB): a response that spans several chunks.
  variable(arrays, "Array.Large", DataType.Double, Float64Array.from({ length: 5000 }, (_, i) => i * 0.5), array);
  variable(arrays, "Matrix.Double", DataType.Double, new Float64Array([1, 2, 3, 4, 5, 6]),
    { arrayType: VariantArrayType.Matrix, dimensions: [2, 3] });

  // Values that change: a counter every 100 ms and a sine.
  const dynamic = ns.addFolder(root, { browseName: "Dynamic", nodeId: "s=Dynamic" });
  let counter = 0;
  const counterVar = ns.addVariable({ componentOf: dynamic, browseName: "Counter", nodeId: "s=Counter", dataType: "Int32", minimumSamplingInterval: 100,
    value: { get: () => new Variant({ dataType: DataType.Int32, value: counter }) } });
  const sineVar = ns.addVariable({ componentOf: dynamic, browseName: "Sine", nodeId: "s=Sine", dataType: "Double", minimumSamplingInterval: 100,
    value: { get: () => new Variant({ dataType: DataType.Double, value: Math.sin(counter / 10) }) } });
  // An AnalogItem (OPC 10000-8) whose EURange (0..200) makes a percent deadband meaningful: it follows the counter.
  // Its EngineeringUnits (percent, UNECE code P1) is an EUInformation structure, as a technician meets them.
  const tankLevel = ns.addAnalogDataItem({ componentOf: dynamic, browseName: "TankLevel", nodeId: "s=TankLevel", dataType: "Double",
    minimumSamplingInterval: 100, engineeringUnitsRange: { low: 0, high: 200 }, engineeringUnits: standardUnits.percent,
    value: { get: () => new Variant({ dataType: DataType.Double, value: counter % 200 }) } });
  const timer = setInterval(() => {
    counter++;
    counterVar.touchValue();
    sineVar.touchValue();
    tankLevel.touchValue();
  }, 100);

  // A multi-level tree, and a folder with more children than one browse returns.
  let parent = root;
  for (let level = 1; level <= 4; level++) {
    parent = ns.addFolder(parent, { browseName: "Level" + level, nodeId: "s=Level" + level });
  }
  variable(parent, "Leaf", DataType.Double, 42.5);

  const many = ns.addFolder(root, { browseName: "Many", nodeId: "s=Many" });
  const items = [];
  for (let i = 0; i < itemCount; i++) {
    const name = "Item" + String(i).padStart(5, "0");
    items.push(variable(many, name, DataType.Double, i));
  }
  let tick = 0;
  const changer = changeItems > 0 ? setInterval(() => {
    tick++;
    const now = new Date();
    for (let i = 0; i < Math.min(changeItems, items.length); i++) {
      items[i].setValueFromSource(new Variant({ dataType: DataType.Double, value: i + tick }), StatusCodes.Good, now);
    }
  }, changeInterval) : null;

  if (users.size > 0) {
    // node-opcua offers UserName on a None endpoint only with the password encrypted to its certificate;
    // the tests add a token policy with the password in clear, which a None endpoint may offer.
    for (const endpoint of server.endpoints) {
      for (const description of endpoint.endpointDescriptions()) {
        if (description.securityMode === MessageSecurityMode.None) {
          description.userIdentityTokens.unshift(new UserTokenPolicy({ policyId: "username_clear", tokenType: UserTokenType.UserName }));
        }
      }
    }
  }

  // Deterministic ticking nodes (see the usage above).
  let ticker = null;
  if (tickMs > 0) {
    const ticks = ns.addFolder(root, { browseName: "Ticks", nodeId: "s=Ticks" });
    const nodes = [];
    for (let i = 0; i < tickNodes; i++) {
      const name = "Tick" + String(i).padStart(5, "0");
      nodes.push(ns.addVariable({ componentOf: ticks, browseName: name, nodeId: "s=" + name, dataType: "Double", minimumSamplingInterval: 0 }));
    }
    let last = -1;
    const tick = () => {
      const k = Math.floor(Date.now() / tickMs);
      if (k === last) return;
      // A timer that fires late (a busy machine) still produces every tick, each with its own timestamp.
      for (let j = last < 0 ? k : last + 1; j <= k; j++) {
        const variant = new Variant({ dataType: DataType.Double, value: j });
        const at = new Date(j * tickMs);
        for (const node of nodes) node.setValueFromSource(variant, StatusCodes.Good, at);
      }
      last = k;
    };
    ns.addVariable({ componentOf: ticks, browseName: "Unstamped", nodeId: "s=Unstamped", dataType: "Double", minimumSamplingInterval: 0,
      value: { timestamped_get: () => new DataValue({ value: new Variant({ dataType: DataType.Double, value: Math.max(last, 0) }), statusCode: StatusCodes.Good }) } });
    tick();
    ticker = setInterval(tick, Math.max(1, Math.floor(tickMs / 4)));
    console.log("TICKS from " + last);
  }

  // --values [--waveform-ms MS]: a node of every value type (values-nodes.js).
  if (process.argv.indexOf("--values") >= 0) await require("./values-nodes").addValueNodes(addressSpace, option);

  await server.start();
  const endpointUrl = server.getEndpointUrl();
  console.log("NAMESPACES " + JSON.stringify(addressSpace.getNamespaceArray().map((n) => n.namespaceUri)));
  console.log("LISTENING " + endpointUrl);

  const stop = async () => {
    clearInterval(timer);
    if (changer) clearInterval(changer);
    if (ticker) clearInterval(ticker);
    await server.shutdown(0);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  console.error("FAILED " + (err && err.stack ? err.stack : err));
  process.exit(1);
});
