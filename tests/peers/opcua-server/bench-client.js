// node-opcua's own client, subscribed to the same items as `edgetwin bench opcua`: the other half of
// tests/bench/opcua-vs-node.sh. Every second it prints "COUNT <unix ms> <data changes so far>".
// Usage: node bench-client.js --url URL [--items N] [--seconds S] [--publishing-interval MS] [--sampling-interval MS]
//                             [--publish-requests N] [--security-policy NAME --security-mode MODE --pki DIR]
"use strict";
const { ClientSidePublishEngine } = require("node-opcua-client/dist/private/client_publish_engine");
const {
  OPCUAClient, AttributeIds, TimestampsToReturn, ClientSubscription, ClientMonitoredItemGroup, MessageSecurityMode, SecurityPolicy, OPCUACertificateManager,
} = require("node-opcua");

function option(name, fallback) {
  const i = process.argv.indexOf("--" + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const url = option("url", "opc.tcp://127.0.0.1:4840/UA/EdgeTwinTest");
const items = parseInt(option("items", "10000"), 10);
const seconds = parseFloat(option("seconds", "60"));
const publishingInterval = parseFloat(option("publishing-interval", "100"));
const samplingInterval = parseFloat(option("sampling-interval", "100"));
const publishRequests = parseInt(option("publish-requests", "5"), 10);
// --security-policy Basic256Sha256 --security-mode SignAndEncrypt --pki DIR: a secured channel, the client's own
// certificate in DIR, the server's accepted on first use (as `edgetwin bench opcua --trust-server` does).
const securityPolicy = option("security-policy", "None");
const securityMode = option("security-mode", "None");
const pki = option("pki", null);
const perCall = 1000; // the test server's MaxMonitoredItemsPerCall

async function main() {
  // Publish requests kept in flight (the library's default is 5), set like `edgetwin bench opcua --publish-requests`.
  ClientSidePublishEngine.publishRequestCountInPipeline = publishRequests;
  if (!(securityPolicy in SecurityPolicy) || !(securityMode in MessageSecurityMode)) {
    throw new Error(`unknown --security-policy ${securityPolicy} or --security-mode ${securityMode}`);
  }
  const client = OPCUAClient.create({
    endpointMustExist: false, securityMode: MessageSecurityMode[securityMode], securityPolicy: SecurityPolicy[securityPolicy], keepSessionAlive: true,
    ...(pki ? { clientCertificateManager: new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: true }) } : {}),
  });
  await client.connect(url);
  const session = await client.createSession();
  const namespaceIndex = (await session.readNamespaceArray()).indexOf("urn:edgetwin:test");
  const subscription = ClientSubscription.create(session, {
    requestedPublishingInterval: publishingInterval, requestedLifetimeCount: 600, requestedMaxKeepAliveCount: 10,
    maxNotificationsPerPublish: 0, publishingEnabled: true, priority: 0,
  });
  let changes = 0;
  for (let start = 0; start < items; start += perCall) {
    const nodes = [];
    for (let i = start; i < Math.min(items, start + perCall); i++) {
      nodes.push({ nodeId: `ns=${namespaceIndex};s=Item${String(i).padStart(5, "0")}`, attributeId: AttributeIds.Value });
    }
    const group = ClientMonitoredItemGroup.create(subscription, nodes, { samplingInterval, queueSize: 10, discardOldest: true }, TimestampsToReturn.Both);
    group.on("changed", () => { changes++; });
    await new Promise((resolve, reject) => { group.once("initialized", resolve); group.once("err", reject); });
  }
  const report = () => console.log(`COUNT ${Date.now()} ${changes}`);
  const timer = setInterval(report, 1000);
  const stop = async () => {
    clearInterval(timer);
    report();
    try { await subscription.terminate(); await session.close(); await client.disconnect(); } catch (_) { /* leaving anyway */ }
    process.exit(0);
  };
  setTimeout(stop, seconds * 1000);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  console.error("FAILED " + (err && err.stack ? err.stack : err));
  process.exit(1);
});
