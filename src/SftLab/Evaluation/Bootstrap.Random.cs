namespace SftLab.Evaluation;

/// <summary>
/// The bootstrap's random numbers: SplitMix64 (Steele, Lea and Flood 2014), written out here so
/// that a seed gives the same resamples on every machine and .NET version (System.Random makes no
/// such promise across versions).
/// </summary>
internal struct BootstrapRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in [0, n), without modulo bias (Lemire's multiply-and-reject).</summary>
    public int NextInt(int n)
    {
        var bound = (ulong)n;
        var threshold = (0UL - bound) % bound;
        while (true)
        {
            var r = NextUInt64();
            var product = Math.BigMul(r, bound, out var low);
            if (low >= threshold) return (int)product;
        }
    }
}
