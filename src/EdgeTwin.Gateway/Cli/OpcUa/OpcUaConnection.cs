using System.Net.Sockets;
using EdgeTwin.OpcUa;
using EdgeTwin.OpcUa.Pki;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Transport;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Gateway.Cli.OpcUa;

/// <summary>
/// What every `edgetwin opcua` verb is given: the server, how long to wait for it, who to log in as, and the channel's
/// security (policy, mode, PKI folder, and whether to trust the server's certificate on first use).
/// </summary>
internal sealed record OpcUaTarget(string Url, double TimeoutSeconds, string? User, string? Password,
    string Policy = "None", string? Mode = null, string? Pki = null, bool TrustServer = false)
{
    /// <summary>The PKI folder when --pki is not given: the default state directory's.</summary>
    public const string DefaultPki = "/var/lib/edgetwin/pki";

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    public UaSecureChannelOptions ChannelOptions => new() { RequestTimeout = Timeout, Security = Security() };

    private UaChannelSecurity Security()
    {
        var security = new UaChannelSecurity { Policy = Policy };
        if (security.IsNone)
        {
            return Mode is null || Mode.Equals("None", StringComparison.OrdinalIgnoreCase)
                ? security
                : throw new OpcUaUsageException($"--mode {Mode} needs a --policy (Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss or Best)");
        }

        security = security with
        {
            Mode = Mode?.ToLowerInvariant() switch
            {
                null or "best" => MessageSecurityMode.Invalid,
                "sign" => MessageSecurityMode.Sign,
                "signandencrypt" => MessageSecurityMode.SignAndEncrypt,
                _ => throw new OpcUaUsageException($"--mode is Sign or SignAndEncrypt, not '{Mode}'"),
            },
        };

        var pki = new UaPki(Pki ?? DefaultPki);
        return security with
        {
            ClientCertificate = () => pki.LoadOrCreateOwn(EdgeTwin.Connectors.OpcUa.OpcUaSource.ApplicationUri, System.Net.Dns.GetHostName(), DateTimeOffset.UtcNow),
            Validator = new UaPkiValidator(pki, trustOnFirstUse: TrustServer, logger: TrustServer ? new StderrLogger() : null),
        };
    }

    public UaSessionOptions SessionOptions => new()
    {
        SessionName = "edgetwin-cli",
        ApplicationUri = EdgeTwin.Connectors.OpcUa.OpcUaSource.ApplicationUri,
        Identity = User is null ? UaUserIdentity.Anonymous : new UaUserIdentity(User, Password ?? ""),
    };
}

/// <summary>A channel and a session for one technician command, and the mapping of failures to messages and exit codes.</summary>
internal sealed class OpcUaConnection : IAsyncDisposable
{
    private OpcUaConnection(UaSecureChannel channel, UaSession session)
    {
        Channel = channel;
        Session = session;
    }

    public UaSecureChannel Channel { get; }

    public UaSession Session { get; }

    public static async Task<OpcUaConnection> OpenAsync(OpcUaTarget target, CancellationToken cancellationToken)
    {
        var channel = await UaSecureChannel.OpenAsync(target.Url, target.ChannelOptions, cancellationToken).ConfigureAwait(false);
        try
        {
            var session = await UaSession.CreateAsync(channel, target.SessionOptions, cancellationToken).ConfigureAwait(false);
            return new OpcUaConnection(channel, session);
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Parses a node id given on the command line (nsu=, ns= or namespace 0) and resolves it for this session.</summary>
    public NodeId Resolve(string text)
    {
        var expanded = ParseNodeId(text);
        return Session.Namespaces.Resolve(expanded);
    }

    /// <summary>The nsu= form of a node id of this session.</summary>
    public string Name(NodeId nodeId) => Session.Namespaces.ToExpanded(nodeId).ToString();

    public static ExpandedNodeId ParseNodeId(string text)
    {
        try
        {
            return ExpandedNodeId.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new OpcUaUsageException($"'{text}' is not a node id ({ex.Message}); write nsu=URI;s=Name, ns=2;s=Name or i=85");
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await Session.CloseAsync(closing.Token).ConfigureAwait(false);
            await Channel.CloseAsync(closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is UaServiceException or UaTcpProtocolException or IOException or SocketException or OperationCanceledException)
        {
            // The command's work is done; a server that will not say goodbye changes nothing.
        }

        await Channel.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a verb with a deadline and turns what can go wrong into one line on stderr and an exit code:
    /// 64 a bad argument, 65 a node the server does not know or could not read, 69 the server cannot be reached or
    /// does not answer, 77 the server refused the identity, 79 the server's certificate is not trusted.
    /// </summary>
    public static async Task<int> RunAsync(OpcUaTarget target, Func<CancellationToken, Task<int>> verb, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(target.Timeout);
        try
        {
            UaTcpConnection.ParseEndpoint(target.Url);
            return await verb(deadline.Token).ConfigureAwait(false);
        }
        catch (ArgumentException ex) when (ex.ParamName == "endpointUrl")
        {
            return Fail(ExitCodes.Usage, $"'{target.Url}' is not an opc.tcp://host:port/path URL");
        }
        catch (OpcUaUsageException ex)
        {
            return Fail(ExitCodes.Usage, ex.Message);
        }
        catch (SocketException ex)
        {
            return Fail(ExitCodes.Unavailable, $"cannot reach {target.Url}: {ex.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Fail(ExitCodes.Unavailable, $"no answer from {target.Url} within {target.TimeoutSeconds:0.###} s (--timeout)");
        }
        catch (UaTcpProtocolException ex)
        {
            return Fail(ExitCodes.Unavailable, $"{target.Url}: {ex.Message}");
        }
        catch (IOException ex)
        {
            return Fail(ExitCodes.Unavailable, $"{target.Url}: the connection failed: {ex.Message}");
        }
        catch (UaServiceException ex) when (ex.Status.Is(StatusCode.BadCertificateUntrusted))
        {
            return Fail(ExitCodes.Untrusted, $"{target.Url}: {ex.Message}");
        }
        catch (UaServiceException ex) when (ex.Status.Is(StatusCode.BadUserAccessDenied) || ex.Status.Is(StatusCode.BadIdentityTokenRejected) || ex.Status.Is(StatusCode.BadIdentityTokenInvalid))
        {
            return Fail(ExitCodes.NoPermission, $"{target.Url}: {ex.Message}");
        }
        catch (UaServiceException ex) when (ex.Status.Is(StatusCode.BadNodeIdUnknown) || ex.Status.Is(StatusCode.BadNodeIdInvalid))
        {
            return Fail(ExitCodes.DataError, $"{target.Url}: {ex.Message}");
        }
        catch (UaServiceException ex) when (ex.Status.Is(StatusCode.BadTimeout) || ex.Status.Is(StatusCode.BadRequestTimeout))
        {
            return Fail(ExitCodes.Unavailable, $"no answer from {target.Url} within {target.TimeoutSeconds:0.###} s (--timeout): {ex.Message}");
        }
        catch (UaServiceException ex)
        {
            return Fail(ExitCodes.Error, $"{target.Url}: {ex.Message}");
        }
    }

    public static int Fail(int code, string message)
    {
        Console.Error.WriteLine("edgetwin: " + message);
        return code;
    }
}

/// <summary>Writes the library's warnings (a certificate trusted on first use) to stderr for the technician.</summary>
internal sealed class StderrLogger : Microsoft.Extensions.Logging.ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Console.Error.WriteLine("edgetwin: " + formatter(state, exception));
        }
    }
}

/// <summary>A command-line argument that cannot be used; the message says which and why.</summary>
internal sealed class OpcUaUsageException(string message) : Exception(message);
