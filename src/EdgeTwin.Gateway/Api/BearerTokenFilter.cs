using Microsoft.AspNetCore.Http;

namespace EdgeTwin.Gateway.Api;

/// <summary>
/// Guards the mutating endpoints: no <c>Authorization: Bearer …</c> header is 401 (with a challenge), a wrong
/// token is 403. Read-only endpoints do not use it.
/// </summary>
public sealed class BearerTokenFilter(ApiToken token) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var header = http.Request.Headers.Authorization;
        const string scheme = "Bearer ";
        if (header.Count != 1 || header[0] is not { } value || !value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || value.Length == scheme.Length)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"edgetwin\"";
            return ValueTask.FromResult<object?>(ApiResults.Error(StatusCodes.Status401Unauthorized,
                "this endpoint changes the gateway's state: send the API token as 'Authorization: Bearer TOKEN' ($.api.token, $.api.tokenFile, or the api-token file in the state directory)"));
        }
        if (!token.Matches(value.AsSpan(scheme.Length).Trim()))
        {
            return ValueTask.FromResult<object?>(ApiResults.Error(StatusCodes.Status403Forbidden, "the bearer token is not the gateway's API token"));
        }
        return next(context);
    }
}
