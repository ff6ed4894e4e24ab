using System.CommandLine;

namespace EdgeTwin.Gateway.Cli.OpcUa;

/// <summary>`edgetwin opcua …`: the technician's tools for an OPC UA server, on SecurityPolicy None or a secured channel.</summary>
internal static class OpcUaCommands
{
    /// <summary>The `opcua` verbs, and `bench opcua` (built here to share their options; Program adds it under `bench`).</summary>
    public static (Command OpcUa, Command Bench) Create()
    {
        var url = new Argument<string>("url") { Description = "The server, opc.tcp://host:port/path" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the server before giving up (exit 69)", DefaultValueFactory = _ => 10 };
        var user = new Option<string?>("--user") { Description = "Log in with this user name (the password goes encrypted for the server whenever its token policy allows)" };
        var password = new Option<string?>("--password") { Description = "The password for --user (default: $EDGETWIN_OPCUA_PASSWORD)" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var policy = new Option<string>("--policy") { Description = "Security policy: None, Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss, or Best", DefaultValueFactory = _ => "None" };
        var mode = new Option<string?>("--mode") { Description = "Sign or SignAndEncrypt (default with a policy: the most secure the server offers)" };
        var pki = new Option<string?>("--pki") { Description = $"The PKI folder (own/, trusted/, issuers/, rejected/; default {OpcUaTarget.DefaultPki})" };
        var trustServer = new Option<bool>("--trust-server") { Description = "Trust the server's certificate on first use (for commissioning; logged)" };

        OpcUaTarget Target(ParseResult r) => new(r.GetValue(url)!, r.GetValue(timeout), r.GetValue(user),
            r.GetValue(password) ?? Environment.GetEnvironmentVariable("EDGETWIN_OPCUA_PASSWORD"),
            r.GetValue(policy)!, r.GetValue(mode), r.GetValue(pki), r.GetValue(trustServer));
        Command Verb(string name, string description)
        {
            var verb = new Command(name, description);
            verb.Arguments.Add(url);
            verb.Options.Add(timeout);
            verb.Options.Add(user);
            verb.Options.Add(password);
            verb.Options.Add(policy);
            verb.Options.Add(mode);
            verb.Options.Add(pki);
            verb.Options.Add(trustServer);
            return verb;
        }

        var endpoints = Verb("endpoints", "The server's endpoints: security mode and policy, and the identities each accepts");
        endpoints.Options.Add(json);
        endpoints.SetAction((r, ct) => OpcUaVerbs.EndpointsAsync(Target(r), r.GetValue(json), ct));

        var nodes = new Argument<string[]>("node") { Description = "Node ids: nsu=URI;s=Name, ns=2;s=Name, i=2258", Arity = ArgumentArity.OneOrMore };
        var read = Verb("read", "Read the value of nodes, with status and source/server timestamps (exit 65 when a node cannot be read)");
        read.Arguments.Add(nodes);
        read.Options.Add(json);
        read.SetAction((r, ct) => OpcUaVerbs.ReadAsync(Target(r), r.GetValue(nodes)!, r.GetValue(json), ct));

        var node = new Option<string>("--node") { Description = "Where to start (default: the Objects folder, i=85)", DefaultValueFactory = _ => "i=85" };
        var depth = new Option<int>("--depth") { Description = "Levels below the node", DefaultValueFactory = _ => 2 };
        var browse = Verb("browse", "The tree below a node: node ids in nsu= form, node class, data type and current value");
        browse.Options.Add(node);
        browse.Options.Add(depth);
        browse.Options.Add(json);
        browse.SetAction((r, ct) => OpcUaVerbs.BrowseAsync(Target(r), r.GetValue(node)!, r.GetValue(depth), r.GetValue(json), ct));

        var under = new Option<string>("--under") { Description = "The node whose variables become the asset's metrics", Required = true };
        var asset = new Option<string>("--asset") { Description = "The asset id the variables map to", Required = true };
        var prefix = new Option<string?>("--metric-prefix") { Description = "Put before every metric name, e.g. 'press.'" };
        var sourceName = new Option<string>("--source-name") { Description = "$.sources.opcua[].name of the block", DefaultValueFactory = _ => "opcua" };
        var mapDepth = new Option<int>("--depth") { Description = "Levels below --under to look for variables", DefaultValueFactory = _ => 8 };
        var config = new Option<string?>("--config", "-c") { Description = "The configuration the block goes into: its assets are not repeated" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the block to this file instead of stdout" };
        var elements = new Option<bool>("--elements") { Description = "For an array variable, also an entry per element (\"element\": \"[3]\", \"[1][2]\" in a matrix), its metric the variable's with \".3\", \".1_2\"" };
        var fields = new Option<bool>("--fields") { Description = "For a structure variable, also an entry per number, boolean or text field (\"field\": \"Status.Speed\"), its metric the variable's with \".status.speed\"" };
        var maxEntries = new Option<int>("--max-entries") { Description = "A variable with more elements or fields than this is mapped whole, without them", DefaultValueFactory = _ => OpcUaMapVerb.DefaultMaxEntries };
        var map = Verb("map", "Write the configuration block that maps the variables below a node to an asset's metrics " +
            "(sources.opcua[].groups[].nodes[] entries { node, asset, metric } with metrics named after the browse names, and an assets[] entry for a new asset)");
        map.Options.Add(under);
        map.Options.Add(asset);
        map.Options.Add(prefix);
        map.Options.Add(sourceName);
        map.Options.Add(mapDepth);
        map.Options.Add(config);
        map.Options.Add(output);
        map.Options.Add(elements);
        map.Options.Add(fields);
        map.Options.Add(maxEntries);
        map.SetAction((r, ct) => OpcUaMapVerb.RunAsync(Target(r),
            new OpcUaMapVerb.Options(r.GetValue(under)!, r.GetValue(asset)!, r.GetValue(prefix), r.GetValue(sourceName)!, r.GetValue(mapDepth), r.GetValue(config), r.GetValue(output),
                r.GetValue(elements), r.GetValue(fields), r.GetValue(maxEntries)), ct));

        var bench = Verb("opcua", "Subscribe to many items of an OPC UA server and count the data changes (the EdgeTwin half of tests/bench/opcua-vs-node.sh)");
        var items = new Option<int>("--items") { Description = "How many items", DefaultValueFactory = _ => 10_000 };
        var format = new Option<string>("--node-format") { Description = "Node id of item {0}", DefaultValueFactory = _ => "nsu=urn:edgetwin:test;s=Item{0:D5}" };
        var seconds = new Option<double>("--seconds") { Description = "Run this long, then print the last count and stop", DefaultValueFactory = _ => 60 };
        var publishing = new Option<double>("--publishing-interval") { Description = "Publishing interval in ms", DefaultValueFactory = _ => 100 };
        var sampling = new Option<double>("--sampling-interval") { Description = "Sampling interval in ms (0: every change as it happens)", DefaultValueFactory = _ => 0 };
        var queue = new Option<uint>("--queue-size") { Description = "Queue size of each monitored item", DefaultValueFactory = _ => 10 };
        var publishRequests = new Option<int>("--publish-requests") { Description = "Publish requests kept outstanding (node-opcua's client keeps 5)", DefaultValueFactory = _ => 5 };
        bench.Options.Add(items);
        bench.Options.Add(format);
        bench.Options.Add(seconds);
        bench.Options.Add(publishing);
        bench.Options.Add(sampling);
        bench.Options.Add(queue);
        bench.Options.Add(publishRequests);
        bench.SetAction((r, ct) => OpcUaBenchCommand.RunAsync(Target(r),
            new OpcUaBenchCommand.Options(r.GetValue(items), r.GetValue(format)!, r.GetValue(seconds), r.GetValue(publishing), r.GetValue(sampling), r.GetValue(queue), r.GetValue(publishRequests)), ct));

        return (new Command("opcua", "Look into an OPC UA server: endpoints, browse, read, and map nodes to an asset") { endpoints, browse, read, map, OpcUaCertVerbs.Create() }, bench);
    }
}
