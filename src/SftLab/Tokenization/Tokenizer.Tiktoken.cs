namespace SftLab.Tokenization;

public sealed partial class Tokenizer
{
    private static readonly Dictionary<string, (string Pattern, (string, int)[] Special)> KnownEncodings = new(StringComparer.Ordinal)
    {
        ["cl100k_base"] = (KnownPatternMatcher.Cl100kPattern,
            [("<|endoftext|>", 100257), ("<|fim_prefix|>", 100258), ("<|fim_middle|>", 100259), ("<|fim_suffix|>", 100260), ("<|endofprompt|>", 100276)]),
        ["o200k_base"] = (KnownPatternMatcher.O200kPattern, [("<|endoftext|>", 199999), ("<|endofprompt|>", 200018)]),
        ["r50k_base"] = (KnownPatternMatcher.Gpt2Pattern, [("<|endoftext|>", 50256)]),
        ["gpt2"] = (KnownPatternMatcher.Gpt2Pattern, [("<|endoftext|>", 50256)]),
        ["p50k_base"] = (KnownPatternMatcher.Gpt2Pattern, [("<|endoftext|>", 50256)]),
    };

    /// <summary>
    /// Loads a tiktoken ranks file (each line "base64-token rank", as OpenAI publishes them). The
    /// split pattern and special tokens of cl100k_base, o200k_base, r50k_base/gpt2 and p50k_base are
    /// known from the file name; for other files pass <paramref name="pattern"/> (Oniguruma/PCRE
    /// syntax) and <paramref name="specialTokens"/>. Tokens display in the byte-level alphabet
    /// (a space as 'Ġ'), as in Hugging Face conversions of these encodings.
    /// </summary>
    /// <exception cref="TokenizerFormatException">A line is malformed; the message names the line.</exception>
    public static Tokenizer FromTiktoken(string path, string? pattern = null, IReadOnlyDictionary<string, int>? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"tiktoken file not found: {path}", path);
        var name = Path.GetFileNameWithoutExtension(path);
        KnownEncodings.TryGetValue(name, out var known);
        pattern ??= known.Pattern ?? throw new ArgumentException(
            $"{path}: unknown encoding \"{name}\"; pass the split pattern (known: {string.Join(", ", KnownEncodings.Keys)})", nameof(pattern));
        var specials = specialTokens?.Select(kv => (kv.Key, kv.Value)).ToArray() ?? known.Special ?? [];

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var tokens = new List<(string Mapped, int Rank)>();
        var lineNo = 0;
        var maxRank = -1;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0) continue;
            var sp = line.IndexOf(' ');
            if (sp <= 0 || !int.TryParse(line.AsSpan(sp + 1), System.Globalization.NumberStyles.None, null, out var rank))
                throw new TokenizerFormatException(path, $"line {lineNo}", "expected \"<base64 token> <rank>\"");
            byte[] bytes;
            try { bytes = Convert.FromBase64String(line[..sp]); }
            catch (FormatException e) { throw new TokenizerFormatException(path, $"line {lineNo}", "the token is not valid base64", e); }
            if (bytes.Length == 0) throw new TokenizerFormatException(path, $"line {lineNo}", "empty token");
            var mapped = ByteLevelAlphabet.FromBytes(bytes);
            if (!vocab.TryAdd(mapped, rank)) throw new TokenizerFormatException(path, $"line {lineNo}", "the same token appears twice");
            tokens.Add((mapped, rank));
            maxRank = Math.Max(maxRank, rank);
        }
        var inv = new string?[maxRank + 1];
        foreach (var (m, r) in tokens)
        {
            if (inv[r] != null) throw new TokenizerFormatException(path, $"rank {r}", "two tokens have the same rank");
            inv[r] = m;
        }
        for (var b = 0; b < 256; b++)
            if (!vocab.ContainsKey(ByteLevelAlphabet.ToChar((byte)b).ToString()))
                throw new TokenizerFormatException(path, $"byte {b}", "every single byte must be a token");
        // tiktoken merges the adjacent pair whose concatenation has the lowest rank: list every pair of
        // tokens that concatenates into a token, with that token's rank.
        var pairs = new PairTable(tokens.Count * 4);
        var lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var (m, r) in tokens)
            for (var k = 1; k < m.Length; k++)
                if (lookup.TryGetValue(m.AsSpan(0, k), out var left) && lookup.TryGetValue(m.AsSpan(k), out var right))
                    pairs.TryAdd(left, right, r, r);
        var model = new BpeModel(vocab, inv, pairs, -1, false, false, null, null, ignoreMerges: true);
        PatternMatcher matcher = KnownPatternMatcher.TryCreate(pattern) is { } fast ? fast : new RegexMatcher(RegexTranslator.Compile(pattern), pattern);
        var pre = new SequencePreTokenizer([new SplitPreTokenizer(matcher, SplitBehavior.Isolated, false), new ByteLevelPreTokenizer(false, false)]);
        var tok = new Tokenizer(model, null, pre, null, new ByteLevelDecoder(), null, null, pattern)
        {
            CleanUpTokenizationSpaces = false,
        };
        foreach (var (content, id) in specials) tok.RegisterAdded(new AddedToken(content, id, Special: true, Normalized: false));
        tok.EosToken = specials.Any(s => s.Item1 == "<|endoftext|>") ? "<|endoftext|>" : null;
        tok.RebuildMatchers();
        return tok;
    }
}
