using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Types;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.OpcUa.Tests.Session;

/// <summary>ActivateSession with a UserNameIdentityToken over SecurityPolicy None, against a server with a user manager that refuses anonymous sessions.</summary>
[Collection(UserServerCollection.Name)]
public sealed class UserIdentityTests(UserServerFixture fixture)
{
    [Fact]
    public async Task Endpoints_OfferUserNameInClear_AndNoAnonymous()
    {
        var endpoints = await UaDiscovery.GetEndpointsAsync(fixture.Server.EndpointUrl);
        var none = Assert.Single(endpoints, e => e.SecurityMode == MessageSecurityMode.None);
        Assert.Contains(none.UserIdentityTokens, t => t.TokenType == UserTokenType.UserName && string.IsNullOrEmpty(t.SecurityPolicyUri));
        Assert.DoesNotContain(none.UserIdentityTokens, t => t.TokenType == UserTokenType.Anonymous);
    }

    [Fact]
    public async Task RightPassword_ActivatesTheSession_AndReads()
    {
        await using var channel = await UaSecureChannel.OpenAsync(fixture.Server.EndpointUrl);
        await using var session = await UaSession.CreateAsync(channel, new UaSessionOptions { Identity = new UaUserIdentity("operator", "s3cret:pass") });
        var value = await session.ReadValuesAsync([session.Namespaces.Resolve(ExpandedNodeId.Parse("nsu=urn:edgetwin:test;s=Scalar.Int32"))]);
        Assert.True(value[0].EffectiveStatus.IsGood);
        Assert.Equal(int.MinValue, value[0].Value.AsInt32());
    }

    [Theory]
    [InlineData("operator", "wrong")]
    [InlineData("nobody", "s3cret:pass")]
    [InlineData("operator", "")]
    public async Task WrongCredentials_AreRefused_WithTheStatusAndTheUserName(string user, string password)
    {
        await using var channel = await UaSecureChannel.OpenAsync(fixture.Server.EndpointUrl);
        var ex = await Assert.ThrowsAsync<UaServiceException>(() => UaSession.CreateAsync(channel, new UaSessionOptions { Identity = new UaUserIdentity(user, password) }));
        Assert.True(ex.Status.Is(StatusCode.BadUserAccessDenied) || ex.Status.Is(StatusCode.BadIdentityTokenRejected) || ex.Status.Is(StatusCode.BadIdentityTokenInvalid), ex.Message);
        Assert.Contains($"user '{user}'", ex.Message, StringComparison.Ordinal);
        Assert.Matches("Bad(UserAccessDenied|IdentityTokenRejected|IdentityTokenInvalid)", ex.Message);
    }

    [Fact]
    public async Task Anonymous_IsRefusedWhereTheServerDisallowsIt()
    {
        await using var channel = await UaSecureChannel.OpenAsync(fixture.Server.EndpointUrl);
        var ex = await Assert.ThrowsAsync<UaServiceException>(() => UaSession.CreateAsync(channel));
        Assert.True(ex.Status.Is(StatusCode.BadIdentityTokenInvalid), ex.Message);
        Assert.Contains("Anonymous", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDefaultServer_StillAcceptsAnonymous_AndAUserNameGoesEncrypted()
    {
        await using var server = await OpcUaTestServer.StartAsync("--items", "1");
        var endpoints = await UaDiscovery.GetEndpointsAsync(server.EndpointUrl);
        var none = Assert.Single(endpoints, e => e.SecurityMode == MessageSecurityMode.None);
        Assert.DoesNotContain(none.UserIdentityTokens, t => t.TokenType == UserTokenType.UserName && string.IsNullOrEmpty(t.SecurityPolicyUri));
        await using var channel = await UaSecureChannel.OpenAsync(server.EndpointUrl);
        // node-opcua lists only encrypted UserName policies on the None endpoint: the client encrypts the password for
        // the server's certificate, and the server (which has no users here) judges the user, not the token's form.
        var ex = await Assert.ThrowsAsync<UaServiceException>(() => UaSession.CreateAsync(channel, new UaSessionOptions { Identity = new UaUserIdentity("operator", "x") }));
        Assert.Contains("the server refused user 'operator'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("encrypted", ex.Message, StringComparison.Ordinal);
        await using var anonymous = await UaSession.CreateAsync(channel);
        Assert.True(anonymous.Namespaces.Count > 1);
    }
}

/// <summary>A node-opcua server with a user manager (operator / s3cret:pass) and anonymous sessions disallowed.</summary>
public sealed class UserServerFixture : IAsyncLifetime
{
    private OpcUaTestServer? _server;

    public OpcUaTestServer Server => _server ?? throw new InvalidOperationException("the server has not started");

    public async Task InitializeAsync() => _server = await OpcUaTestServer.StartAsync("--items", "1", "--users", "operator:s3cret:pass,viewer:v", "--no-anonymous");

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class UserServerCollection : ICollectionFixture<UserServerFixture>
{
    public const string Name = "node-opcua server with users";
}
