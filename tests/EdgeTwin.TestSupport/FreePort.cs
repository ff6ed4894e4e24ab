using System.Net;
using System.Net.Sockets;

namespace EdgeTwin.TestSupport;

/// <summary>Loopback ports for peers and daemons the tests start, and for "nobody listens here" cases.</summary>
public static class FreePort
{
    /// <summary>A loopback port nobody listens on right now (the system picks it, then it is released).</summary>
    public static int Pick()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
