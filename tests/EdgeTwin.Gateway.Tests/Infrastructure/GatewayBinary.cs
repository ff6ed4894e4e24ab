namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>
/// The published native-AOT <c>edgetwin</c> binary these tests run. tests/run.sh publishes it and sets
/// EDGETWIN_BINARY; without it the tests fail loudly instead of silently testing the JIT build.
/// </summary>
public static class GatewayBinary
{
    public static string Path
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("EDGETWIN_BINARY");
            if (string.IsNullOrEmpty(path))
            {
                throw new InvalidOperationException(
                    "EDGETWIN_BINARY is not set. These tests run the published native-AOT gateway: run tests/run.sh, or " +
                    "`dotnet publish src/EdgeTwin.Gateway -c Release -o artifacts/edgetwin` and export EDGETWIN_BINARY=$PWD/artifacts/edgetwin/edgetwin");
            }
            if (!File.Exists(path)) throw new FileNotFoundException($"EDGETWIN_BINARY points at {path}, which does not exist", path);
            return path;
        }
    }
}
