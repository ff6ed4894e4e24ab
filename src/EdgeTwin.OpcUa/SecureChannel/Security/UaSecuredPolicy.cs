using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Transport;

namespace EdgeTwin.OpcUa.SecureChannel.Security;

/// <summary>
/// A Sign or SignAndEncrypt policy for one channel (OPC 10000-6 §6.7.2): OPN chunks are signed with our key and
/// encrypted with the server's, whatever the mode; MSG/CLO chunks are signed with HMAC-SHA256 and, with
/// SignAndEncrypt, padded and encrypted with AES-CBC under the keys derived for their token. Every failed check
/// throws <see cref="UaTcpProtocolException"/> with BadSecurityChecksFailed and says which check failed: the
/// channel closes on it and nothing of the chunk is decoded.
/// </summary>
public sealed partial class UaSecuredPolicy : UaSecurityPolicy, IDisposable
{
    private readonly MessageSecurityMode _mode;
    private readonly RSA _ownKey;
    private readonly RSA _serverKey;
    private readonly byte[] _ownDer;
    private readonly byte[] _serverDer;
    private readonly byte[] _serverThumbprint;
    private readonly byte[] _ownThumbprint;
    private readonly Lock _keysLock = new();
    private volatile TokenKeys[] _tokens = [];
    private byte[] _scratch = new byte[8192];

    public UaSecuredPolicy(UaSecurityAlgorithms algorithms, MessageSecurityMode mode, X509Certificate2 clientCertificate, X509Certificate2 serverCertificate)
    {
        ArgumentNullException.ThrowIfNull(algorithms);
        ArgumentNullException.ThrowIfNull(clientCertificate);
        ArgumentNullException.ThrowIfNull(serverCertificate);
        if (mode is not (MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "a secured policy signs, or signs and encrypts");
        }

        Algorithms = algorithms;
        _mode = mode;
        ClientCertificate = clientCertificate;
        ServerCertificate = serverCertificate;
        _ownKey = clientCertificate.GetRSAPrivateKey() ?? throw new ArgumentException("the client certificate has no RSA private key", nameof(clientCertificate));
        _serverKey = serverCertificate.GetRSAPublicKey() ?? throw new ArgumentException("the server certificate has no RSA public key", nameof(serverCertificate));
        CheckKeySize(_ownKey, "our own certificate");
        CheckKeySize(_serverKey, "the server's certificate");
        _ownDer = clientCertificate.RawData;
        _serverDer = serverCertificate.RawData;
        _ownThumbprint = Thumbprint(_ownDer);
        _serverThumbprint = Thumbprint(_serverDer);
    }

    public UaSecurityAlgorithms Algorithms { get; }

    public X509Certificate2 ClientCertificate { get; }

    public X509Certificate2 ServerCertificate { get; }

    /// <summary>Our private key, loaded once for the channel: the session signs with it too.</summary>
    internal RSA ClientKey => _ownKey;

    /// <summary>The server's public key, loaded once for the channel: the session verifies and encrypts with it too.</summary>
    internal RSA ServerKey => _serverKey;

    public override string PolicyUri => Algorithms.PolicyUri;

    public override MessageSecurityMode Mode => _mode;

    private bool Encrypts => _mode == MessageSecurityMode.SignAndEncrypt;

    public override byte[]? CreateClientNonce() => RandomNumberGenerator.GetBytes(Algorithms.NonceLength);

    public override void AddToken(uint tokenId, byte[]? clientNonce, byte[]? serverNonce, uint previousTokenId)
    {
        if (clientNonce is null || serverNonce is null || serverNonce.Length != Algorithms.NonceLength)
        {
            throw new UaTcpProtocolException(StatusCode.BadSecurityChecksFailed,
                $"the server's nonce is {serverNonce?.Length ?? 0} bytes; {Algorithms.Name} needs {Algorithms.NonceLength}");
        }

        var keys = new TokenKeys(tokenId, UaSymmetricKeys.Derive(Algorithms, serverNonce, clientNonce), UaSymmetricKeys.Derive(Algorithms, clientNonce, serverNonce));
        lock (_keysLock)
        {
            _tokens = [.. _tokens.Where(t => t.TokenId != tokenId && t.TokenId == previousTokenId), keys];
        }
    }

    public override void WriteAsymmetricSecurityHeader(ref UaBinaryWriter writer)
    {
        writer.WriteString(Algorithms.PolicyUri);
        writer.WriteByteString(_ownDer);
        writer.WriteByteString(_serverThumbprint);
    }

    public override void ReadAsymmetricSecurityHeader(ref UaBinaryReader reader)
    {
        var uri = reader.ReadString();
        if (uri != Algorithms.PolicyUri)
        {
            throw Failed($"the server answered with security policy '{uri}', not {Algorithms.Name}");
        }

        var sender = reader.ReadByteString();
        // The sender's certificate may be followed by its issuers' (a chain): the first must be the one we validated.
        if (sender is null || sender.Length < _serverDer.Length || !sender.AsSpan(0, _serverDer.Length).SequenceEqual(_serverDer))
        {
            throw Failed("the OpenSecureChannel response is signed with another certificate than the server's endpoint certificate");
        }

        var receiver = reader.ReadByteString();
        if (receiver is null || !receiver.AsSpan().SequenceEqual(_ownThumbprint))
        {
            throw Failed("the OpenSecureChannel response is encrypted for another certificate than ours");
        }
    }

    public void Dispose()
    {
        foreach (var token in _tokens)
        {
            token.Client.Dispose();
            token.Server.Dispose();
        }

        _ownKey.Dispose();
        _serverKey.Dispose();
    }

    private TokenKeys KeysOf(uint tokenId)
    {
        foreach (var token in _tokens)
        {
            if (token.TokenId == tokenId)
            {
                return token;
            }
        }

        throw new UaTcpProtocolException(StatusCode.BadSecureChannelTokenUnknown, $"no keys for token {tokenId}");
    }

    private void CheckKeySize(RSA key, string whose)
    {
        if (key.KeySize < Algorithms.MinAsymmetricKeyBits || key.KeySize > Algorithms.MaxAsymmetricKeyBits)
        {
            throw new UaServiceException(StatusCode.BadSecurityPolicyRejected,
                $"{whose} has a {key.KeySize}-bit RSA key; {Algorithms.Name} needs {Algorithms.MinAsymmetricKeyBits} to {Algorithms.MaxAsymmetricKeyBits} bits");
        }
    }

    private Span<byte> Scratch(int length)
    {
        if (_scratch.Length < length)
        {
            _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
        }

        return _scratch.AsSpan(0, length);
    }

    /// <summary>A certificate's thumbprint as OPC UA names it: the SHA-1 of its DER (OPC 10000-6 §6.7.2.3), an identifier, not a signature.</summary>
#pragma warning disable CA5350 // the protocol fixes SHA-1 for thumbprints
    public static byte[] Thumbprint(byte[] der) => SHA1.HashData(der);
#pragma warning restore CA5350

    internal static UaTcpProtocolException Failed(string reason) => new(StatusCode.BadSecurityChecksFailed, reason);

    private sealed record TokenKeys(uint TokenId, UaSymmetricKeys Client, UaSymmetricKeys Server);
}
