using Microsoft.Extensions.Time.Testing;

namespace EdgeTwin.TestSupport;

public static class FakeTimeProviderExtensions
{
    extension(FakeTimeProvider clock)
    {
        /// <summary>The clock's present instant in UTC ticks (100 ns), the unit the queue stores.</summary>
        public long UtcTicks => clock.GetUtcNow().UtcTicks;
    }
}
