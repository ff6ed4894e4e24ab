namespace EdgeTwin.Gateway.Cli;

/// <summary>Process exit codes, from sysexits.h, so systemd and scripts can tell failures apart.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 64;
    public const int DataError = 65;

    /// <summary>EX_UNAVAILABLE: a service the daemon needs is not available (the API's port is taken).</summary>
    public const int Unavailable = 69;

    public const int Software = 70;
    public const int IoError = 74;

    /// <summary>The state directory is locked by another EdgeTwin process: try again later.</summary>
    public const int TempFail = 75;

    /// <summary>EX_NOPERM: a server refused our identity (OPC UA user name or password).</summary>
    public const int NoPermission = 77;

    /// <summary>EX_CONFIG: the configuration is invalid. The unit file prevents restarts on it.</summary>
    public const int Config = 78;

    /// <summary>
    /// Past sysexits.h: the OPC UA server's certificate is not trusted (yet). The message names the command that trusts it.
    /// </summary>
    public const int Untrusted = 79;
}
