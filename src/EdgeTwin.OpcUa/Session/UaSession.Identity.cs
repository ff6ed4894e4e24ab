using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Session;

// The session's proofs on a secured channel (OPC 10000-4 §5.7.2, §5.7.3): the server signs our certificate and
// nonce, we sign its certificate and nonce; and the identity token, encrypted or signed as its policy says.
public sealed partial class UaSession
{
    private readonly byte[]? _serverCertificate;

    private static byte[]? ClientCertificateOf(UaSecureChannel channel) => (channel.SecurityPolicy as UaSecuredPolicy)?.ClientCertificate.RawData;

    private static void VerifyServerSignature(UaSecureChannel channel, CreateSessionResponse created, CreateSessionRequest request)
    {
        if (channel.SecurityPolicy is not UaSecuredPolicy secured)
        {
            return;
        }

        var serverDer = secured.ServerCertificate.RawData;
        if (created.ServerCertificate is not { } sent || sent.Length < serverDer.Length || !sent.AsSpan(0, serverDer.Length).SequenceEqual(serverDer))
        {
            throw new UaServiceException(StatusCode.BadCertificateInvalid, "CreateSession returned another certificate than the one the secure channel was opened with");
        }

        if (created.ServerNonce is not { Length: >= 32 })
        {
            throw new UaServiceException(StatusCode.BadNonceInvalid, $"the server's session nonce is {created.ServerNonce?.Length ?? 0} bytes; at least 32 are needed");
        }

        var signature = created.ServerSignature;
        if (signature?.Signature is not { } bytes || signature.Algorithm != secured.Algorithms.AsymmetricSignatureUri
            || !secured.Algorithms.Verify(secured.ServerKey, [.. request.ClientCertificate!, .. request.ClientNonce], bytes))
        {
            throw new UaServiceException(StatusCode.BadApplicationSignatureInvalid, "the server's CreateSession signature over our certificate and nonce does not verify");
        }
    }

    private SignatureData? ClientSignature(UaSecureChannel channel)
    {
        if (channel.SecurityPolicy is not UaSecuredPolicy secured)
        {
            return null;
        }

        return new SignatureData(secured.Algorithms.AsymmetricSignatureUri, secured.Algorithms.Sign(secured.ClientKey, [.. secured.ServerCertificate.RawData, .. _serverNonce ?? []]));
    }

    /// <summary>
    /// The identity token for the endpoint this channel is on. A password goes in clear only when the endpoint offers
    /// no token policy we can encrypt it for (even on a None channel); an encrypted one is encrypted with the server's certificate
    /// and the last server nonce, as the token policy's (or else the channel's) security policy says (OPC 10000-4 §7.40.4).
    /// </summary>
    private (ExtensionObject Token, SignatureData? Signature) IdentityToken(UaSecureChannel channel)
    {
        var identity = _options.Identity;
        var wanted = identity.Certificate is not null ? UserTokenType.Certificate : identity.IsAnonymous ? UserTokenType.Anonymous : UserTokenType.UserName;
        var channelPolicy = channel.SecurityPolicy.PolicyUri;
        var endpoint = ServerEndpoints.FirstOrDefault(e =>
            e.SecurityMode == channel.SecurityPolicy.Mode && e.SecurityPolicyUri == channelPolicy && e.UserIdentityTokens.Any(t => t.TokenType == wanted));
        var policy = endpoint?.UserIdentityTokens.Where(t => t.TokenType == wanted).OrderBy(t => TokenPreference(t, channelPolicy)).First()
            ?? throw new UaServiceException(StatusCode.BadIdentityTokenInvalid, $"the server offers no {wanted} identity on the {UaSecurityAlgorithms.ShortName(channelPolicy)}/{channel.SecurityPolicy.Mode} endpoint");
        if (identity.IsAnonymous)
        {
            return (ActivateSessionRequest.AnonymousToken(policy.PolicyId), null);
        }

        var tokenPolicyUri = string.IsNullOrEmpty(policy.SecurityPolicyUri) ? channelPolicy : policy.SecurityPolicyUri;
        var algorithms = UaSecurityAlgorithms.FromUri(tokenPolicyUri);
        if (identity.Certificate is { } certificate)
        {
            if (algorithms is null)
            {
                throw new UaServiceException(StatusCode.BadIdentityTokenInvalid, $"the server wants the user certificate's signature made with {tokenPolicyUri}, which this client does not support");
            }

            using var userKey = certificate.GetRSAPrivateKey() ?? throw new UaServiceException(StatusCode.BadIdentityTokenInvalid, $"the user certificate {certificate.Subject} has no RSA private key");
            var signature = algorithms.Sign(userKey, [.. ServerLeafCertificate(channel), .. _serverNonce ?? []]);
            return (ActivateSessionRequest.X509Token(policy.PolicyId, certificate.RawData), new SignatureData(algorithms.AsymmetricSignatureUri, signature));
        }

        var password = System.Text.Encoding.UTF8.GetBytes(identity.Password ?? "");
        if (tokenPolicyUri == UaSecurityPolicyNone.Uri)
        {
            return (ActivateSessionRequest.UserNameToken(policy.PolicyId, identity.UserName!, password, null), null);
        }

        if (algorithms is null)
        {
            throw new UaServiceException(StatusCode.BadIdentityTokenInvalid, $"the server wants the password encrypted with {tokenPolicyUri}, which this client does not support");
        }

        if (_serverNonce is not { Length: > 0 } nonce)
        {
            throw new UaServiceException(StatusCode.BadNonceInvalid, "the server sent no nonce to encrypt the password with");
        }

        // | length of password + nonce (UInt32) | password | server nonce |, encrypted with the server's public key.
        var secret = new byte[4 + password.Length + nonce.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(secret, (uint)(password.Length + nonce.Length));
        password.CopyTo(secret, 4);
        nonce.CopyTo(secret, 4 + password.Length);
        byte[] encrypted;
        if (channel.SecurityPolicy is UaSecuredPolicy secured)
        {
            encrypted = algorithms.Encrypt(secured.ServerKey, secret);
        }
        else
        {
            using var serverCertificate = X509CertificateLoader.LoadCertificate(ServerLeafCertificate(channel));
            using var serverKey = serverCertificate.GetRSAPublicKey()!;
            encrypted = algorithms.Encrypt(serverKey, secret);
        }

        CryptographicOperations.ZeroMemory(secret);
        return (ActivateSessionRequest.UserNameToken(policy.PolicyId, identity.UserName!, encrypted, algorithms.AsymmetricEncryptionUri), null);
    }

    // The server's own certificate: the channel's on a secured channel, else the one CreateSession returned.
    private byte[] ServerLeafCertificate(UaSecureChannel channel)
    {
        if (channel.SecurityPolicy is UaSecuredPolicy secured)
        {
            return secured.ServerCertificate.RawData;
        }

        var sent = _serverCertificate ?? ServerEndpoints.FirstOrDefault(e => e.ServerCertificate is { Length: > 0 })?.ServerCertificate
            ?? throw new UaServiceException(StatusCode.BadIdentityTokenInvalid, "the server sent no certificate to encrypt the password with");
        return UaCertificateChain.Split(sent)[0].RawData;
    }

    // An encrypted token we can make first, then one in clear, then one whose policy we do not support (refused with a message).
    private static int TokenPreference(UserTokenPolicy policy, string channelPolicy)
    {
        var uri = string.IsNullOrEmpty(policy.SecurityPolicyUri) ? channelPolicy : policy.SecurityPolicyUri;
        return UaSecurityAlgorithms.FromUri(uri) is not null ? 0 : uri == UaSecurityPolicyNone.Uri ? 1 : 2;
    }

}
