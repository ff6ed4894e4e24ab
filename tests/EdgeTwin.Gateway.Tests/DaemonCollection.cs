namespace EdgeTwin.Gateway.Tests;

/// <summary>Tests that run the daemon share the machine's two cores and its disk: run them one at a time.</summary>
[CollectionDefinition("daemon", DisableParallelization = true)]
public sealed class DaemonCollection;
