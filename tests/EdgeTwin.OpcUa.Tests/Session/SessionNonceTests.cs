using EdgeTwin.OpcUa.Session;

namespace EdgeTwin.OpcUa.Tests.Session;

public sealed class SessionNonceTests
{
    [Fact]
    public void Create_GivesThirtyTwoBytes_DifferentEveryTime_AndNotConstantWithin()
    {
        var nonces = Enumerable.Range(0, 64).Select(_ => SessionNonce.Create()).ToList();
        Assert.All(nonces, n => Assert.Equal(32, n.Length));
        Assert.Equal(nonces.Count, nonces.Select(Convert.ToHexString).Distinct().Count());
        // 64 × 32 random bytes: every byte value 0..255 would be a rare miss; fewer than 200 distinct values means no randomness.
        Assert.True(nonces.SelectMany(n => n).Distinct().Count() > 200);
        Assert.All(nonces, n => Assert.True(n.Distinct().Count() > 8, Convert.ToHexString(n)));
    }
}
