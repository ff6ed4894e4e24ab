using Microsoft.AspNetCore.Http;

namespace EdgeTwin.Gateway.Api;

internal static class ApiResults
{
    public static IResult Error(int statusCode, string message) =>
        Results.Json(new ErrorResponse(message), ApiJsonContext.Default.ErrorResponse, statusCode: statusCode);
}
