using EdgeTwin.Buffers;
using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Services;

/// <summary>CreateSessionRequest (OPC 10000-4 §5.7.2).</summary>
public sealed record CreateSessionRequest(
    ApplicationDescription ClientDescription, string EndpointUrl, string SessionName, byte[] ClientNonce, double RequestedSessionTimeout, uint MaxResponseMessageSize,
    byte[]? ClientCertificate = null) : IUaRequest
{
    public uint EncodingId => UaEncodingIds.CreateSessionRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        ClientDescription.Write(ref writer);
        writer.WriteString(null); // ServerUri
        writer.WriteString(EndpointUrl);
        writer.WriteString(SessionName);
        writer.WriteByteString(ClientNonce);
        writer.WriteByteString(ClientCertificate); // null with SecurityPolicy None
        writer.WriteDouble(RequestedSessionTimeout);
        writer.WriteUInt32(MaxResponseMessageSize);
    }
}

/// <summary>CreateSessionResponse (OPC 10000-4 §5.7.2).</summary>
public sealed record CreateSessionResponse(
    ResponseHeader Header, NodeId SessionId, NodeId AuthenticationToken, double RevisedSessionTimeout, byte[]? ServerNonce,
    byte[]? ServerCertificate, EndpointDescription[] ServerEndpoints, uint MaxRequestMessageSize, SignatureData? ServerSignature = null) : IUaResponse<CreateSessionResponse>
{
    public static uint EncodingId => UaEncodingIds.CreateSessionResponse;

    public static CreateSessionResponse Decode(ref UaBinaryReader reader, ResponseHeader header)
    {
        var sessionId = reader.ReadNodeId();
        var token = reader.ReadNodeId();
        var timeout = reader.ReadDouble();
        var nonce = reader.ReadByteString();
        var certificate = reader.ReadByteString();
        var endpoints = EndpointDescription.ReadArray(ref reader);
        var softwareCertificates = reader.ReadArrayLength(8);
        for (var i = 0; i < softwareCertificates; i++)
        {
            reader.ReadByteString();
            reader.ReadByteString();
        }

        var signature = SignatureData.Read(ref reader);
        return new CreateSessionResponse(header, sessionId, token, timeout, nonce, certificate, endpoints, reader.ReadUInt32(), signature);
    }
}

/// <summary>ActivateSessionRequest (OPC 10000-4 §5.7.3) with an identity token already encoded as an ExtensionObject.</summary>
public sealed record ActivateSessionRequest(
    ExtensionObject UserIdentityToken, string?[]? LocaleIds = null, SignatureData? ClientSignature = null, SignatureData? UserTokenSignature = null) : IUaRequest
{
    public uint EncodingId => UaEncodingIds.ActivateSessionRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        SignatureData.Write(ref writer, ClientSignature); // none without a certificate
        writer.WriteInt32(0); // ClientSoftwareCertificates
        writer.WriteStringArray(LocaleIds);
        writer.WriteExtensionObject(UserIdentityToken);
        SignatureData.Write(ref writer, UserTokenSignature);
    }

    /// <summary>An AnonymousIdentityToken (i=321) for the endpoint's anonymous policy id.</summary>
    public static ExtensionObject AnonymousToken(string? policyId)
    {
        using var body = new PooledBufferWriter(64);
        var writer = new UaBinaryWriter(body);
        writer.WriteString(policyId);
        return new ExtensionObject(new NodeId(UaEncodingIds.AnonymousIdentityToken), ExtensionObjectEncoding.Binary, body.WrittenSpan.ToArray());
    }

    /// <summary>
    /// A UserNameIdentityToken (i=324) with the password in clear: only for token policies whose security
    /// policy is None (OPC 10000-4 §7.40.4); encrypted passwords come with the Sign/SignAndEncrypt policies.
    /// </summary>
    public static ExtensionObject UserNameToken(string? policyId, string userName, string password) =>
        UserNameToken(policyId, userName, System.Text.Encoding.UTF8.GetBytes(password), null);

    /// <summary>A UserNameIdentityToken whose password is already encrypted with <paramref name="encryptionAlgorithm"/> (null: in clear).</summary>
    public static ExtensionObject UserNameToken(string? policyId, string userName, byte[] password, string? encryptionAlgorithm)
    {
        using var body = new PooledBufferWriter(128 + password.Length);
        var writer = new UaBinaryWriter(body);
        writer.WriteString(policyId);
        writer.WriteString(userName);
        writer.WriteByteString(password);
        writer.WriteString(encryptionAlgorithm);
        return new ExtensionObject(new NodeId(UaEncodingIds.UserNameIdentityToken), ExtensionObjectEncoding.Binary, body.WrittenSpan.ToArray());
    }

    /// <summary>An X509IdentityToken (i=327): the user's certificate; the proof is the UserTokenSignature.</summary>
    public static ExtensionObject X509Token(string? policyId, byte[] certificate)
    {
        using var body = new PooledBufferWriter(64 + certificate.Length);
        var writer = new UaBinaryWriter(body);
        writer.WriteString(policyId);
        writer.WriteByteString(certificate);
        return new ExtensionObject(new NodeId(UaEncodingIds.X509IdentityToken), ExtensionObjectEncoding.Binary, body.WrittenSpan.ToArray());
    }
}

/// <summary>ActivateSessionResponse (OPC 10000-4 §5.7.3).</summary>
public sealed record ActivateSessionResponse(ResponseHeader Header, byte[]? ServerNonce, StatusCode[]? Results) : IUaResponse<ActivateSessionResponse>
{
    public static uint EncodingId => UaEncodingIds.ActivateSessionResponse;

    public static ActivateSessionResponse Decode(ref UaBinaryReader reader, ResponseHeader header)
    {
        var nonce = reader.ReadByteString();
        var results = reader.ReadStatusCodeArray();
        reader.ReadDiagnosticInfoArray();
        return new ActivateSessionResponse(header, nonce, results);
    }
}

/// <summary>CloseSessionRequest (OPC 10000-4 §5.7.4).</summary>
public sealed record CloseSessionRequest(bool DeleteSubscriptions) : IUaRequest
{
    public uint EncodingId => UaEncodingIds.CloseSessionRequest;

    public void EncodeBody(ref UaBinaryWriter writer) => writer.WriteBoolean(DeleteSubscriptions);
}

/// <summary>CloseSessionResponse (OPC 10000-4 §5.7.4).</summary>
public sealed record CloseSessionResponse(ResponseHeader Header) : IUaResponse<CloseSessionResponse>
{
    public static uint EncodingId => UaEncodingIds.CloseSessionResponse;

    public static CloseSessionResponse Decode(ref UaBinaryReader reader, ResponseHeader header) => new(header);
}

/// <summary>SignatureData (OPC 10000-4 §7.37): the algorithm URI and the signature.</summary>
public sealed record SignatureData(string? Algorithm, byte[]? Signature)
{
    public static SignatureData Read(ref UaBinaryReader reader) => new(reader.ReadString(), reader.ReadByteString());

    public static void Write(ref UaBinaryWriter writer, SignatureData? value)
    {
        writer.WriteString(value?.Algorithm);
        writer.WriteByteString(value?.Signature);
    }
}
