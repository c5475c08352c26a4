namespace SftLab.Data;

/// <summary>
/// Hashing and random numbers that give the same results on every machine, process and .NET version
/// (unlike <see cref="string.GetHashCode()"/>, which is randomized per process): FNV-1a over the
/// string's UTF-16 code units, finished with the SplitMix64 mixer. Splits and shuffles rest on these.
/// </summary>
internal static class StableHash
{
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static ulong Of(ReadOnlySpan<char> s, ulong seed = 0)
    {
        var h = 0xCBF29CE484222325UL ^ Mix(seed);
        foreach (var c in s)
        {
            h ^= c;
            h *= 0x100000001B3UL;
        }
        return Mix(h);
    }

    /// <summary>SplitMix64: a small, fast, well-mixed generator; the state is a single ulong.</summary>
    public sealed class Rng(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            _state += 0x9E3779B97F4A7C15UL;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in [0, n) without modulo bias (Lemire's method).</summary>
        public int NextInt(int n)
        {
            if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
            var m = (UInt128)Next() * (ulong)n;
            var low = (ulong)m;
            if (low < (ulong)n)
            {
                var threshold = (0UL - (ulong)n) % (ulong)n;
                while (low < threshold)
                {
                    m = (UInt128)Next() * (ulong)n;
                    low = (ulong)m;
                }
            }
            return (int)(m >> 64);
        }

        /// <summary>Fisher-Yates shuffle in place.</summary>
        public void Shuffle<T>(IList<T> items)
        {
            for (var i = items.Count - 1; i > 0; i--)
            {
                var j = NextInt(i + 1);
                (items[i], items[j]) = (items[j], items[i]);
            }
        }
    }
}
