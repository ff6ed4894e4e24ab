namespace EdgeTwin.Connectors.Simulator;

/// <summary>
/// Counter-based random numbers: the i-th output of a SplitMix64 stream is a pure function of its key and
/// i, so any reading, setpoint or parameter can be recomputed from its index alone. That random access is
/// what lets the simulator resume at sequence n without replaying the n readings before it.
/// </summary>
internal static class SplitMix64
{
    /// <summary>The golden-ratio increment of SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number generators", 2014).</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15;

    /// <summary>The SplitMix64 output function: a bijective avalanche of 64 bits.</summary>
    public static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Output number <paramref name="index"/> of the stream keyed by <paramref name="key"/>; negative indexes are as valid as positive ones.</summary>
    public static ulong At(ulong key, long index) => Mix(unchecked(key + ((ulong)index * Gamma)));

    /// <summary>Uniform in [0, 1) from the top 53 bits, so every double in the range is equally likely.</summary>
    public static double Unit(ulong bits) => (bits >> 11) * (1.0 / (1UL << 53));

    /// <summary>
    /// Approximately standard normal: the Irwin–Hall sum of four 16-bit uniforms, centred and scaled to unit
    /// variance. Bounded to ±3.46, which suits sensor noise (no outliers that would trip a plausibility
    /// check) and costs no logarithm, square root or second draw the way Box–Muller would.
    /// </summary>
    public static double Gaussian(ulong bits)
    {
        const double Scale = 1.0 / 65536.0;
        var sum = (bits & 0xFFFF) + ((bits >> 16) & 0xFFFF) + ((bits >> 32) & 0xFFFF) + (bits >> 48);
        // Four U(0,1) sum to mean 2 and variance 4/12; multiplying by sqrt(3) restores unit variance.
        return ((sum * Scale) - 2.0) * 1.7320508075688772;
    }

    /// <summary>
    /// A 64-bit key for a string that is stable across processes and runtimes (string.GetHashCode is
    /// randomised per process, which would break determinism across restarts): FNV-1a, then mixed.
    /// </summary>
    public static ulong Hash(string text)
    {
        unchecked
        {
            var h = 14695981039346656037UL;
            foreach (var c in text)
            {
                h = (h ^ c) * 1099511628211UL;
            }
            return Mix(h);
        }
    }
}
