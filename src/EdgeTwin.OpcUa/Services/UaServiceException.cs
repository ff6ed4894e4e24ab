namespace EdgeTwin.OpcUa.Services;

/// <summary>A service call failed as a whole: a ServiceFault, a bad ServiceResult, an abort chunk, a timeout.</summary>
public sealed class UaServiceException(StatusCode status, string message) : Exception($"{message} (status {StatusCodeNames.Describe(status)})")
{
    public StatusCode Status { get; } = status;
}
