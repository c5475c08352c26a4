using System.Globalization;
using System.Text;

namespace SftLab.Retrieval;

/// <summary>Which inverse-document-frequency formula BM25 uses (N passages, n of them contain the term).</summary>
public enum Bm25Idf
{
    /// <summary>Lucene's (and Elasticsearch's): ln(1 + (N − n + 0.5) / (n + 0.5)). Always positive, so a word
    /// that occurs in most passages still adds a little.</summary>
    Lucene,

    /// <summary>The classic Robertson–Spärck Jones form as in rank_bm25's BM25Okapi: ln((N − n + 0.5) / (n + 0.5)),
    /// negative for words in more than half the passages; those get ε × (the mean idf over the vocabulary) instead.</summary>
    Okapi,
}

/// <summary>BM25 settings. The defaults are rank_bm25's BM25Okapi parameters with Lucene's IDF.</summary>
public sealed record Bm25Options
{
    /// <summary>Term-frequency saturation: how quickly repeating a word stops adding score (1.2–2 is usual; 0 ignores repeats).</summary>
    public double K1 { get; init; } = 1.5;

    /// <summary>Length normalization: 1 scales a term's weight fully by passage length / average length, 0 ignores length.</summary>
    public double B { get; init; } = 0.75;

    /// <summary>The IDF formula.</summary>
    public Bm25Idf Idf { get; init; } = Bm25Idf.Lucene;

    /// <summary>For <see cref="Bm25Idf.Okapi"/>: the fraction of the mean IDF given to terms whose IDF is negative (rank_bm25's epsilon).</summary>
    public double Epsilon { get; init; } = 0.25;

    /// <summary>Index the passage's title along with its text (the title's words count towards its length).</summary>
    public bool IndexTitle { get; init; } = true;

    /// <summary>How text becomes terms (the same for passages and queries).</summary>
    public Bm25Tokenizer Tokenizer { get; init; } = Bm25Tokenizer.Default;
}

/// <summary>One search result.</summary>
/// <param name="Rank">1 for the best passage.</param>
/// <param name="Score">Its BM25 score (higher is better; only comparable within one index).</param>
/// <param name="Passage">The passage.</param>
public sealed record SearchHit(int Rank, double Score, Passage Passage)
{
    /// <summary>The id of the document the passage came from.</summary>
    public string DocId => Passage.DocId;
}

/// <summary>One query term's share of a passage's score (see <see cref="Bm25Index.Explain"/>).</summary>
public sealed record Bm25TermScore(string Term, int TermFrequency, int DocumentFrequency, double Idf, double Score);

/// <summary>
/// A BM25 search index over passages: the standard keyword ranking of search engines (Lucene,
/// Elasticsearch). For a query with terms q, a passage d scores
/// <code>
/// score(d) = Σ over query terms t of  idf(t) · tf(t,d) · (k1 + 1) / (tf(t,d) + k1 · (1 − b + b · |d| / avgdl))
/// </code>
/// where tf(t,d) counts t in d, |d| is d's length in terms, avgdl the mean length, and idf(t)
/// (see <see cref="Bm25Idf"/>) is large for rare terms. So a passage wins by containing the query's
/// rare words, a repeated word helps less each time (k1), and long passages are not favoured just
/// for being long (b). A term repeated in the query counts once per repeat. BM25 matches words,
/// not meanings: "cost" does not find "price". The index is an inverted index — for each term, the
/// list of passages containing it with the counts — so a query only touches passages that share a
/// word with it. Results are deterministic: equal scores are ordered by passage index.
/// </summary>
public sealed class Bm25Index
{
    private readonly Dictionary<string, int> _termIds;
    private readonly string[] _terms;
    private readonly int[] _postingStart;   // term t's postings are [_postingStart[t], _postingStart[t+1])
    private readonly int[] _postingPassage;
    private readonly int[] _postingTf;
    private readonly double[] _postingWeight; // the term's full BM25 contribution to that passage
    private readonly double[] _idf;
    private readonly int[] _length;

    /// <summary>The passages, in index order.</summary>
    public IReadOnlyList<Passage> Passages { get; }

    /// <summary>The settings it was built with.</summary>
    public Bm25Options Options { get; }

    /// <summary>The mean passage length in terms (avgdl).</summary>
    public double AverageLength { get; }

    /// <summary>How many distinct terms the index holds.</summary>
    public int VocabularySize => _terms.Length;

    private Bm25Index(IReadOnlyList<Passage> passages, Bm25Options options)
    {
        Passages = passages;
        Options = options;
        if (!(options.K1 >= 0) || !double.IsFinite(options.K1)) throw new ArgumentOutOfRangeException(nameof(options), options.K1, "K1 must be a finite number >= 0");
        if (!(options.B is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(options), options.B, "B must be in [0, 1]");
        ArgumentNullException.ThrowIfNull(options.Tokenizer, "options.Tokenizer");

        // Count terms per passage, then lay the postings out term by term (compressed sparse rows).
        _termIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var terms = new List<string>();
        var perPassage = new List<(int Term, int Tf)[]>(passages.Count);
        _length = new int[passages.Count];
        var df = new List<int>();
        long totalLength = 0;
        var counts = new Dictionary<int, int>();
        for (var p = 0; p < passages.Count; p++)
        {
            var passage = passages[p] ?? throw new ArgumentException($"passage {p} is null");
            if (passage.Index != p) throw new ArgumentException($"passage {p} has Index {passage.Index}; passages must be numbered 0, 1, 2, ... in order (as Chunker makes them)");
            var tokens = options.Tokenizer.Tokenize(options.IndexTitle && passage.Title.Length > 0 ? passage.Title + "\n" + passage.Text : passage.Text);
            counts.Clear();
            foreach (var token in tokens)
            {
                if (!_termIds.TryGetValue(token, out var id))
                {
                    id = terms.Count;
                    _termIds[token] = id;
                    terms.Add(token);
                    df.Add(0);
                }
                counts[id] = counts.GetValueOrDefault(id) + 1;
            }
            foreach (var id in counts.Keys) df[id]++;
            perPassage.Add(counts.Select(kv => (kv.Key, kv.Value)).ToArray());
            _length[p] = tokens.Count;
            totalLength += tokens.Count;
        }
        _terms = terms.ToArray();
        var n = passages.Count;
        AverageLength = n > 0 ? (double)totalLength / n : 0;

        _idf = new double[_terms.Length];
        for (var t = 0; t < _idf.Length; t++)
            _idf[t] = options.Idf == Bm25Idf.Lucene
                ? Math.Log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                : Math.Log((n - df[t] + 0.5) / (df[t] + 0.5));
        if (options.Idf == Bm25Idf.Okapi && _idf.Length > 0)
        {
            var floor = options.Epsilon * _idf.Sum() / _idf.Length;
            for (var t = 0; t < _idf.Length; t++)
                if (_idf[t] < 0) _idf[t] = floor;
        }

        _postingStart = new int[_terms.Length + 1];
        for (var t = 0; t < _terms.Length; t++) _postingStart[t + 1] = _postingStart[t] + df[t];
        var fill = (int[])_postingStart.Clone();
        _postingPassage = new int[_postingStart[^1]];
        _postingTf = new int[_postingStart[^1]];
        _postingWeight = new double[_postingStart[^1]];
        for (var p = 0; p < n; p++)  // passages in order, so each posting list is sorted by passage
            foreach (var (t, tf) in perPassage[p])
            {
                var at = fill[t]++;
                _postingPassage[at] = p;
                _postingTf[at] = tf;
                _postingWeight[at] = TermScore(_idf[t], tf, _length[p]);
            }
    }

    private double TermScore(double idf, int tf, int length)
    {
        var norm = 1 - Options.B + Options.B * (AverageLength > 0 ? length / AverageLength : 0);
        return idf * tf * (Options.K1 + 1) / (tf + Options.K1 * norm);
    }

    /// <summary>Builds the index over the passages (from <see cref="Chunker.Split"/> or <see cref="Chunker.Whole"/>).</summary>
    /// <exception cref="ArgumentException">A passage is null or out of order, or an option is out of range.</exception>
    public static Bm25Index Build(IEnumerable<Passage> passages, Bm25Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(passages);
        return new Bm25Index(passages as IReadOnlyList<Passage> ?? passages.ToList(), options ?? new Bm25Options());
    }

    /// <summary>The idf of a term (it is tokenized first; 0 when it is not in the index).</summary>
    public double Idf(string term) => TermId(term) is { } t ? _idf[t] : 0;

    /// <summary>In how many passages the term occurs.</summary>
    public int DocumentFrequency(string term) => TermId(term) is { } t ? _postingStart[t + 1] - _postingStart[t] : 0;

    /// <summary>The term's postings: each passage that contains it, with the count, in passage order.</summary>
    public IReadOnlyList<(int Passage, int TermFrequency)> Postings(string term)
    {
        if (TermId(term) is not { } t) return [];
        var list = new List<(int, int)>();
        for (var i = _postingStart[t]; i < _postingStart[t + 1]; i++) list.Add((_postingPassage[i], _postingTf[i]));
        return list;
    }

    /// <summary>A passage's length in terms, as BM25 sees it (title included when indexed).</summary>
    public int Length(int passage) => _length[passage];

    private int? TermId(string term)
    {
        ArgumentNullException.ThrowIfNull(term);
        var tokens = Options.Tokenizer.Tokenize(term);
        if (tokens.Count != 1) return null;
        return _termIds.TryGetValue(tokens[0], out var id) ? id : null;
    }

    /// <summary>The BM25 score of every passage for the query (0 for passages sharing no term), in passage order.</summary>
    public double[] Scores(string query)
    {
        var scores = new double[Passages.Count];
        foreach (var t in QueryTerms(query))
            for (var i = _postingStart[t]; i < _postingStart[t + 1]; i++)
                scores[_postingPassage[i]] += _postingWeight[i];
        return scores;
    }

    /// <summary>
    /// The <paramref name="k"/> best passages for the query, best first. Only passages that share at
    /// least one term with the query are returned, so there may be fewer than k. Thread-safe.
    /// </summary>
    public IReadOnlyList<SearchHit> Search(string query, int k = 5)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
        var terms = QueryTerms(query);
        // Per-thread scratch buffers; `seen` is all false between calls (each call resets what it set).
        var scratch = _scratch ??= new Scratch();
        scratch.Ensure(Passages.Count);
        var (scores, touched, seen) = (scratch.Scores, scratch.Touched, scratch.Seen);
        var count = 0;
        try
        {
            foreach (var t in terms)
                for (var i = _postingStart[t]; i < _postingStart[t + 1]; i++)
                {
                    var p = _postingPassage[i];
                    if (!seen[p]) { seen[p] = true; scores[p] = 0; touched[count++] = p; }
                    scores[p] += _postingWeight[i];
                }
            return TopK(scores, touched.AsSpan(0, count), k);
        }
        finally
        {
            for (var i = 0; i < count; i++) seen[touched[i]] = false;
        }
    }

    [ThreadStatic] private static Scratch? _scratch;

    private sealed class Scratch
    {
        public double[] Scores = [];
        public int[] Touched = [];
        public bool[] Seen = [];

        public void Ensure(int n)
        {
            if (Scores.Length >= n) return;
            Scores = new double[n];
            Touched = new int[n];
            Seen = new bool[n];
        }
    }

    /// <summary>Runs <see cref="Search"/> for many queries in parallel; results are in query order.</summary>
    public IReadOnlyList<IReadOnlyList<SearchHit>> SearchMany(IReadOnlyList<string> queries, int k = 5)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var results = new IReadOnlyList<SearchHit>[queries.Count];
        Parallel.For(0, queries.Count, i => results[i] = Search(queries[i], k));
        return results;
    }

    /// <summary>
    /// Why a passage got its score: each query term (in query order, repeats included) with its
    /// frequency in the passage, its document frequency, idf and contribution. The contributions add
    /// up to the passage's score.
    /// </summary>
    public IReadOnlyList<Bm25TermScore> Explain(string query, int passage)
    {
        if (passage < 0 || passage >= Passages.Count) throw new ArgumentOutOfRangeException(nameof(passage), passage, $"the index has passages 0..{Passages.Count - 1}");
        ArgumentNullException.ThrowIfNull(query);
        var result = new List<Bm25TermScore>();
        foreach (var term in Options.Tokenizer.Tokenize(query))
        {
            if (!_termIds.TryGetValue(term, out var t)) { result.Add(new Bm25TermScore(term, 0, 0, 0, 0)); continue; }
            var lo = _postingStart[t];
            var hi = _postingStart[t + 1];
            var at = Array.BinarySearch(_postingPassage, lo, hi - lo, passage);
            var tf = at >= 0 ? _postingTf[at] : 0;
            result.Add(new Bm25TermScore(term, tf, hi - lo, _idf[t], at >= 0 ? _postingWeight[at] : 0));
        }
        return result;
    }

    private List<int> QueryTerms(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var ids = new List<int>();
        foreach (var token in Options.Tokenizer.Tokenize(query))
            if (_termIds.TryGetValue(token, out var id)) ids.Add(id);
        return ids;
    }

    // The k best of the touched passages: a bounded min-heap whose root is the worst kept hit
    // (lowest score; among equal scores, the highest passage index).
    private IReadOnlyList<SearchHit> TopK(double[] scores, ReadOnlySpan<int> touched, int k)
    {
        var size = Math.Min(k, touched.Length);
        var heap = new int[size];
        var filled = 0;
        bool Worse(int a, int b) => scores[a] < scores[b] || (scores[a] == scores[b] && a > b);
        foreach (var p in touched)
        {
            if (filled < size)
            {
                var i = filled++;
                heap[i] = p;
                while (i > 0 && Worse(heap[i], heap[(i - 1) / 2])) { (heap[i], heap[(i - 1) / 2]) = (heap[(i - 1) / 2], heap[i]); i = (i - 1) / 2; }
            }
            else if (Worse(heap[0], p))
            {
                heap[0] = p;
                var i = 0;
                while (true)
                {
                    var l = 2 * i + 1;
                    var r = l + 1;
                    var m = i;
                    if (l < size && Worse(heap[l], heap[m])) m = l;
                    if (r < size && Worse(heap[r], heap[m])) m = r;
                    if (m == i) break;
                    (heap[i], heap[m]) = (heap[m], heap[i]);
                    i = m;
                }
            }
        }
        Array.Sort(heap, (a, b) => Worse(a, b) ? 1 : Worse(b, a) ? -1 : 0);
        var hits = new SearchHit[size];
        for (var i = 0; i < size; i++) hits[i] = new SearchHit(i + 1, scores[heap[i]], Passages[heap[i]]);
        return hits;
    }

    /// <summary>A one-line description: passages, vocabulary, average length, settings.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Bm25Index: {Passages.Count} passages, {VocabularySize} terms, avgdl {AverageLength:F1}, ");
        sb.Append(CultureInfo.InvariantCulture, $"k1 {Options.K1}, b {Options.B}, idf {Options.Idf}{(Options.Tokenizer.RemovesStopWords ? ", stop words removed" : "")}");
        return sb.ToString();
    }
}
