using System.Text;

namespace SftLab.Data;

/// <summary>Options of <see cref="Deduplicator"/>.</summary>
public sealed record DeduplicationOptions
{
    /// <summary>Remove rows whose content is identical to an earlier row's (after collapsing runs of whitespace). Default on.</summary>
    public bool Exact { get; init; } = true;

    /// <summary>Remove rows that are nearly identical to an earlier row (see <see cref="Threshold"/>). Default on.</summary>
    public bool Near { get; init; } = true;

    /// <summary>
    /// Jaccard similarity of word <see cref="ShingleSize"/>-grams at or above which two rows are near duplicates.
    /// Default 0.8: a conversation of 100 words that differs from another by a few words (a name, a typo fixed,
    /// "Hi!" added) is caught; two answers in the same house style about different facts are not.
    /// </summary>
    public double Threshold { get; init; } = 0.8;

    /// <summary>Words per shingle (default 5). Texts shorter than this count as a single shingle.</summary>
    public int ShingleSize { get; init; } = 5;

    /// <summary>MinHash permutations (default 128): the signature length.</summary>
    public int Permutations { get; init; } = 128;

    /// <summary>
    /// LSH bands (default 32, so 4 rows per band): two rows become candidates when all values of one band
    /// agree. With 32×4, a pair with similarity 0.8 is a candidate with probability above 0.9999 and one with
    /// 0.3 with probability 0.23; every candidate is then checked with the exact Jaccard similarity, so bands
    /// trade speed for recall, never precision.
    /// </summary>
    public int Bands { get; init; } = 32;
}

/// <summary>A row removed as a duplicate, and the row it duplicates (which was kept).</summary>
/// <param name="Removed">The removed row.</param>
/// <param name="KeptAs">The earlier row it duplicates.</param>
/// <param name="Similarity">Jaccard similarity of their shingles (1 for exact duplicates).</param>
/// <param name="Exact">True for an exact duplicate, false for a near duplicate.</param>
public sealed record DuplicateRow(DatasetRow Removed, DatasetRow KeptAs, double Similarity, bool Exact)
{
    /// <summary>"file:12 duplicates file:3 (exact)" or "(near, Jaccard 0.87)".</summary>
    public override string ToString() =>
        $"{Removed.Location} duplicates {KeptAs.Location} ({(Exact ? "exact" : $"near, Jaccard {Similarity:0.00}")})";
}

/// <summary>The result of deduplication: what was kept (in order) and every row removed, with the row it duplicates.</summary>
public sealed record DeduplicationResult(Dataset Kept, IReadOnlyList<DuplicateRow> Removed)
{
    /// <summary>Rows removed as exact duplicates.</summary>
    public int ExactCount => Removed.Count(r => r.Exact);

    /// <summary>Rows removed as near duplicates.</summary>
    public int NearCount => Removed.Count(r => !r.Exact);
}

/// <summary>
/// Finds exact and near-duplicate rows. Exact: the same content (see <see cref="DatasetRow.ContentText"/>)
/// after whitespace runs are collapsed. Near: MinHash with locality-sensitive hashing over word shingles
/// (lower-cased words of letters and digits, <see cref="DeduplicationOptions.ShingleSize"/> at a time), each
/// candidate pair checked with the exact Jaccard similarity |A∩B| / |A∪B| of the two shingle sets. Rows are
/// visited in order; a row is removed when it duplicates an earlier kept row, so the first occurrence stays
/// and similarity never chains (A~B, B~C does not remove C unless C~A).
/// </summary>
public static class Deduplicator
{
    /// <summary>Deduplicates <paramref name="data"/>.</summary>
    public static DeduplicationResult Run(Dataset data, DeduplicationOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (options.Threshold is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), "Threshold must be in (0, 1]");
        if (options.ShingleSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "ShingleSize must be >= 1");
        if (options.Bands < 1 || options.Permutations % options.Bands != 0)
            throw new ArgumentOutOfRangeException(nameof(options), "Permutations must be a multiple of Bands");
        var kept = new List<DatasetRow>();
        var removed = new List<DuplicateRow>();
        var exact = new Dictionary<string, DatasetRow>(StringComparer.Ordinal);
        var rowsPerBand = options.Permutations / options.Bands;
        var buckets = new Dictionary<(int Band, ulong Key), List<int>>();
        var keptShingles = new List<ulong[]>();
        foreach (var row in data)
        {
            var key = options.Exact ? CollapseWhitespace(row.ContentText) : null;
            if (key is not null && exact.TryGetValue(key, out var first))
            {
                removed.Add(new DuplicateRow(row, first, 1, true));
                continue;
            }
            if (options.Near)
            {
                var shingles = Shingles(row.ContentText, options.ShingleSize);
                var signature = MinHash(shingles, options.Permutations);
                var bandKeys = new ulong[options.Bands];
                var best = -1;
                var bestSimilarity = 0.0;
                var seen = new HashSet<int>();
                for (var b = 0; b < options.Bands; b++)
                {
                    var h = 0xCBF29CE484222325UL ^ (ulong)b;
                    for (var r = 0; r < rowsPerBand; r++) h = StableHash.Mix(h ^ signature[b * rowsPerBand + r]);
                    bandKeys[b] = h;
                    if (!buckets.TryGetValue((b, h), out var members)) continue;
                    foreach (var k in members)
                    {
                        if (!seen.Add(k)) continue;
                        var j = Jaccard(shingles, keptShingles[k]);
                        if (j >= options.Threshold && j > bestSimilarity)
                        {
                            bestSimilarity = j;
                            best = k;
                        }
                    }
                }
                if (best >= 0)
                {
                    removed.Add(new DuplicateRow(row, kept[best], bestSimilarity, false));
                    continue;
                }
                for (var b = 0; b < options.Bands; b++)
                {
                    if (!buckets.TryGetValue((b, bandKeys[b]), out var members)) buckets[(b, bandKeys[b])] = members = [];
                    members.Add(kept.Count);
                }
                keptShingles.Add(shingles);
            }
            if (key is not null) exact[key] = row;
            kept.Add(row);
        }
        return new DeduplicationResult(data.With(kept), removed);
    }

    /// <summary>The text with every run of whitespace replaced by one space, trimmed: the key of exact duplicates.</summary>
    public static string CollapseWhitespace(string text)
    {
        var sb = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (space) sb.Append(' ');
            space = false;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>The words of a text: maximal runs of letters and digits, lower-cased (invariant culture).</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
            else if (sb.Length > 0) { words.Add(sb.ToString()); sb.Clear(); }
        }
        if (sb.Length > 0) words.Add(sb.ToString());
        return words;
    }

    /// <summary>The distinct hashes of the text's word <paramref name="size"/>-grams, sorted (a text shorter than that is one shingle).</summary>
    public static ulong[] Shingles(string text, int size)
    {
        var words = Words(text).ToArray();
        var set = new HashSet<ulong>();
        if (words.Length <= size) set.Add(StableHash.Of(string.Join(' ', words)));
        else
            for (var i = 0; i + size <= words.Length; i++)
                set.Add(StableHash.Of(string.Join(' ', words, i, size)));
        var result = set.ToArray();
        Array.Sort(result);
        return result;
    }

    /// <summary>|A∩B| / |A∪B| of two sorted sets.</summary>
    public static double Jaccard(ulong[] a, ulong[] b)
    {
        if (a.Length == 0 && b.Length == 0) return 1;
        int i = 0, j = 0, both = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { both++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        return (double)both / (a.Length + b.Length - both);
    }

    private static ulong[] MinHash(ulong[] shingles, int permutations)
    {
        var sig = new ulong[permutations];
        Array.Fill(sig, ulong.MaxValue);
        for (var p = 0; p < permutations; p++)
        {
            var salt = StableHash.Mix((ulong)p * 0x9E3779B97F4A7C15UL + 1);
            var min = ulong.MaxValue;
            foreach (var s in shingles)
            {
                var h = StableHash.Mix(s ^ salt);
                if (h < min) min = h;
            }
            sig[p] = min;
        }
        return sig;
    }
}
