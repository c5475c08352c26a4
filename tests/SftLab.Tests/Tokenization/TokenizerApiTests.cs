using System.Text.Json;
using SftLab.Tokenization;

namespace SftLab.Tests.Tokenization;

/// <summary>The Tokenizer API around the pipeline: offsets, config values, truncation, padding, batches, added tokens, saving.</summary>
public sealed class TokenizerApiTests
{
    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    [InlineData("o200k_base")]
    public void OffsetsPointAtTheTextEachTokenSpells(string name)
    {
        var tok = ParityTests.Load(name);
        var data = TokenizerOracle.Get();
        foreach (var text in data.Docs.Where((_, i) => i % 25 == 0).Concat(data.Edges.Select(e => e.Text)))
        {
            var enc = tok.Encode(text, addSpecialTokens: false);
            var prevStart = 0;
            for (var i = 0; i < enc.Count; i++)
            {
                var (s, e) = enc.Offsets[i];
                Assert.InRange(s, prevStart, text.Length);
                Assert.InRange(e, s, text.Length);
                prevStart = s;
                var spelled = tok.DecodeToken(enc.Ids[i]);
                // A token holding only part of a multi-byte char decodes to U+FFFD; it covers that whole char.
                // Qwen normalizes to NFC first, so its tokens spell the NFC form of their span.
                var span = name == "qwen3" && !text[s..e].Any(char.IsSurrogate) ? text[s..e].Normalize(System.Text.NormalizationForm.FormC) : text[s..e];
                if (!spelled.Contains('\uFFFD') && enc.SpecialTokensMask[i] == 0) Assert.Equal(spelled, span);
            }
        }
    }

    [Fact]
    public void SentencePieceStyleOffsetsCoverTheWordAndItsSpace()
    {
        var tok = ParityTests.Load("llama2");
        var enc = tok.Encode("Hello world", addSpecialTokens: true);
        Assert.Equal(["<s>", "▁Hello", "▁world"], enc.Tokens);
        Assert.Equal([(0, 0), (0, 5), (5, 11)], enc.Offsets);
        Assert.Equal([1, 0, 0], enc.SpecialTokensMask);
        var views = enc.TokenViews;
        Assert.True(views[0].IsSpecial);
        Assert.Equal(" world", views[2].Text);
    }

    [Fact]
    public void ConfigValuesComeFromTokenizerConfigJson()
    {
        foreach (var name in TokenizerOracle.HfNames)
        {
            var tok = ParityTests.Load(name);
            using var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(TokenizerOracle.HfFolder(name), "tokenizer_config.json")));
            var root = cfg.RootElement;
            string? Str(string p) => root.TryGetProperty(p, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            Assert.Equal(Str("bos_token"), tok.BosToken);
            Assert.Equal(Str("eos_token"), tok.EosToken);
            Assert.Equal(Str("chat_template"), tok.ChatTemplate);
            if (tok.BosToken != null) Assert.Equal(tok.BosToken, tok.IdToToken(tok.BosTokenId!.Value));
            Assert.Equal(tok.EosToken, tok.IdToToken(tok.EosTokenId!.Value));
            var max = root.GetProperty("model_max_length").GetDouble();
            Assert.Equal(max >= 1e18 ? null : (long)max, tok.ModelMaxLength); // 1e30 is Hugging Face's "no limit"
        }
        Assert.Equal("<unk>", ParityTests.Load("llama2").UnkToken);
        Assert.Equal(0, ParityTests.Load("llama2").UnkTokenId);
        Assert.True(ParityTests.Load("llama2").AddBosToken);
    }

    [Fact]
    public void TruncationKeepsSpecialTokensAndReturnsOverflowWindows()
    {
        var tok = Tokenizer.FromFolder(TokenizerOracle.HfFolder("llama2"));
        const string text = "The quick brown fox jumps over the lazy dog again and again";
        var plain = tok.Encode(text, addSpecialTokens: false).Ids.ToArray();
        Assert.True(plain.Length > 12);
        tok.Truncation = new TruncationOptions(MaxLength: 6, Stride: 2);
        var enc = tok.Encode(text);
        Assert.Equal([1, .. plain[..5]], enc.Ids);
        // Windows of 5 text tokens that overlap by 2: starts 0, 3, 6, ...
        Assert.Equal([1, .. plain[3..8]], enc.Overflowing[0].Ids);
        Assert.Equal([1, .. plain[6..11]], enc.Overflowing[1].Ids);
        var last = enc.Overflowing[^1].Ids.Skip(1).ToArray();
        Assert.Equal(plain[^last.Length..], last);
        tok.Truncation = new TruncationOptions(MaxLength: 4, Direction: Direction.Left);
        Assert.Equal([1, .. plain[^3..]], tok.Encode(text).Ids);
    }

    [Fact]
    public void PaddingFillsWithThePadIdAndMasksIt()
    {
        var tok = Tokenizer.FromFolder(TokenizerOracle.HfFolder("llama3"));
        var a = tok.Encode("short").Ids.ToArray();
        tok.Padding = new PaddingOptions(Length: 8, PadId: 128001);
        var enc = tok.Encode("short");
        Assert.Equal(8, enc.Count);
        Assert.Equal([.. a, .. Enumerable.Repeat(128001, 8 - a.Length)], enc.Ids);
        Assert.Equal([.. Enumerable.Repeat(1, a.Length), .. Enumerable.Repeat(0, 8 - a.Length)], enc.AttentionMask);

        tok.Padding = new PaddingOptions(Direction: Direction.Left, PadId: 128001, PadToMultipleOf: 4);
        var batch = tok.EncodeBatch(["a", "a somewhat longer text here", "mid text"]);
        var longest = tok.Encode("a somewhat longer text here").Count; // padding is per batch, Encode alone pads nothing
        var expectedLen = (longest + 3) / 4 * 4;
        Assert.All(batch, e => Assert.Equal(expectedLen, e.Count));
        Assert.Equal(128001, batch[0].Ids[0]);
        Assert.Equal(0, batch[0].AttentionMask[0]);
        Assert.Equal(1, batch[0].AttentionMask[^1]);
    }

    [Fact]
    public void EncodeBatchEqualsEncodeInOrder()
    {
        var tok = ParityTests.Load("qwen3");
        var docs = TokenizerOracle.Get().Docs.Take(120).ToArray();
        var batch = tok.EncodeBatch(docs, maxDegreeOfParallelism: 2);
        for (var i = 0; i < docs.Length; i++)
        {
            var single = tok.Encode(docs[i]);
            Assert.Equal(single.Ids, batch[i].Ids);
            Assert.Equal(single.Offsets, batch[i].Offsets);
        }
    }

    [Fact]
    public void CountTokensMatchesTheReferenceCount()
    {
        var tok = ParityTests.Load("llama3");
        var data = TokenizerOracle.Get();
        var expected = data.CorpusIds("llama3");
        for (var i = 0; i < data.Docs.Length; i += 7) Assert.Equal(expected[i].Length, tok.CountTokens(data.Docs[i]));
    }

    [Fact]
    public void VocabularyLookupsGoBothWays()
    {
        var tok = ParityTests.Load("llama3");
        Assert.Equal(128256, tok.VocabSize);
        Assert.Equal("<|begin_of_text|>", tok.IdToToken(128000));
        Assert.Equal(128000, tok.TokenToId("<|begin_of_text|>"));
        var hello = tok.Encode("Hello", addSpecialTokens: false);
        Assert.Equal(hello.Ids[0], tok.TokenToId(hello.Tokens[0]));
        Assert.Null(tok.TokenToId("definitely not a token ¤¤¤"));
        Assert.Null(tok.IdToToken(-1));
        Assert.Equal(" world", tok.DecodeToken(tok.TokenToId("Ġworld")!.Value));
        Assert.Equal('Ġ', ByteLevelAlphabet.ToChar((byte)' '));
        Assert.Equal('Ċ', ByteLevelAlphabet.ToChar((byte)'\n'));
    }

    [Fact]
    public void AddedSpecialTokensAreMatchedSkippedAndSavedSoTheReferenceAgrees()
    {
        var tok = Tokenizer.FromFolder(TokenizerOracle.HfFolder("llama3"));
        Assert.Equal(1, tok.AddSpecialTokens(["<|my_marker|>", "<|begin_of_text|>"]));
        var id = tok.TokenToId("<|my_marker|>")!.Value;
        Assert.Equal(128256, id);
        var enc = tok.Encode("a<|my_marker|>b");
        var at = enc.Ids.ToList().IndexOf(id);
        Assert.Equal((1, 14), enc.Offsets[at]);
        Assert.Equal(1, enc.SpecialTokensMask[at]);
        Assert.Equal("ab", tok.Decode(enc.Ids, skipSpecialTokens: true));
        Assert.Equal("a<|my_marker|>b", tok.Decode(enc.Ids));
        tok.SplitSpecialTokens = true;
        Assert.DoesNotContain(id, tok.Encode("a<|my_marker|>b").Ids);
        tok.SplitSpecialTokens = false;

        var dir = Path.Combine(TokenizerOracle.RepoRoot, "build", "oracles", "tokenizers", "variants", "saved-llama3");
        tok.ChatTemplate = "{{ messages }}";
        tok.PadToken = "<|end_of_text|>";
        tok.Save(dir);
        var loaded = Tokenizer.FromFolder(dir);
        Assert.Equal("{{ messages }}", loaded.ChatTemplate);
        Assert.Equal("<|end_of_text|>", loaded.PadToken);
        Assert.Equal(tok.BosToken, loaded.BosToken);
        var texts = TokenizerOracle.Get().Docs.Take(30).Append("x <|my_marker|> y<|begin_of_text|>").ToArray();
        var reference = ReferenceEncoder.Run([new ReferenceEncoder.Request("saved", Path.Combine(dir, "tokenizer.json"), Path.Combine(dir, "tokenizer_config.json"), texts)])["saved"];
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(reference.Ids[i], loaded.Encode(texts[i]).Ids);
            Assert.Equal(reference.Ids[i], tok.Encode(texts[i]).Ids);
        }
    }
}

/// <summary>Components whose behaviour the Hugging Face documentation spells out, on small hand-made inputs.</summary>
public sealed class ComponentBehaviourTests
{
    private static List<string> Split(string text, SplitBehavior behavior, bool invert = false)
    {
        var pre = new SplitPreTokenizer(new LiteralMatcher("-"), behavior, invert);
        var output = new List<SftLab.Tokenization.Split>();
        pre.PreTokenize([new SftLab.Tokenization.Split(new NormalizedString(text, 0), 0, text.Length)], output, 0);
        return output.Select(s => s.Span.ToString()).ToList();
    }

    [Fact]
    public void SplitBehavioursFollowTheDocumentedExample()
    {
        const string t = "the-final--countdown";
        Assert.Equal(["the", "final", "countdown"], Split(t, SplitBehavior.Removed));
        Assert.Equal(["the", "-", "final", "-", "-", "countdown"], Split(t, SplitBehavior.Isolated));
        Assert.Equal(["the-", "final-", "-", "countdown"], Split(t, SplitBehavior.MergedWithPrevious));
        Assert.Equal(["the", "-final", "-", "-countdown"], Split(t, SplitBehavior.MergedWithNext));
        Assert.Equal(["the", "-", "final", "--", "countdown"], Split(t, SplitBehavior.Contiguous));
        Assert.Equal(["-", "-", "-"], Split(t, SplitBehavior.Removed, invert: true));
    }

    private static Tokenizer Json(string model, string? pre = null, string? normalizer = null, string? decoder = null) => Tokenizer.FromJson(
        $$"""{"version":"1.0","added_tokens":[],"normalizer":{{normalizer ?? "null"}},"pre_tokenizer":{{pre ?? "null"}},"post_processor":null,"decoder":{{decoder ?? "null"}},"model":{{model}}}""");

    [Fact]
    public void MetaspaceReplacesSpacesAndSplitsBeforeThem()
    {
        var tok = Json("""{"type":"WordLevel","unk_token":"<unk>","vocab":{"<unk>":0,"▁Hey":1,"▁friend!":2}}""",
            pre: """{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}""",
            decoder: """{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}""");
        var enc = tok.Encode("Hey friend!");
        Assert.Equal(["▁Hey", "▁friend!"], enc.Tokens);
        Assert.Equal([(0, 3), (3, 11)], enc.Offsets);
        Assert.Equal("Hey friend!", tok.Decode(enc.Ids));
    }

    [Fact]
    public void WordPieceCutsLongestMatchFirst()
    {
        var tok = Json("""{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,"vocab":{"[UNK]":0,"un":1,"##aff":2,"##able":3,"aff":4}}""",
            pre: """{"type":"WhitespaceSplit"}""", decoder: """{"type":"WordPiece","prefix":"##","cleanup":true}""");
        var enc = tok.Encode("unaffable affx");
        Assert.Equal(["un", "##aff", "##able", "[UNK]"], enc.Tokens);
        Assert.Equal([(0, 2), (2, 5), (5, 9), (10, 14)], enc.Offsets);
        Assert.Equal("unaffable [UNK]", tok.Decode(enc.Ids));
    }

    [Fact]
    public void UnigramPicksTheBestScoringSegmentation()
    {
        var tok = Json("""{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",-1],["b",-1],["ab",-1.5],["c",-3],["bc",-3.6]]}""");
        // ab + c = -4.5 beats a + bc = -4.6 and a + b + c = -5
        Assert.Equal(["ab", "c"], tok.Encode("abc").Tokens);
        // unknown chars become one fused <unk>
        var enc = tok.Encode("abxyc");
        Assert.Equal(["ab", "<unk>", "c"], enc.Tokens);
        Assert.Equal([(0, 2), (2, 4), (4, 5)], enc.Offsets);
    }

    [Fact]
    public void NormalizerOffsetsPointIntoTheOriginalText()
    {
        var tok = Json("""{"type":"WordLevel","unk_token":"[UNK]","vocab":{"[UNK]":0,"cafe":1,"hello":2}}""",
            pre: """{"type":"WhitespaceSplit"}""",
            normalizer: """{"type":"Sequence","normalizers":[{"type":"NFD"},{"type":"StripAccents"},{"type":"Lowercase"}]}""");
        var enc = tok.Encode("  HELLO Café");
        Assert.Equal(["hello", "cafe"], enc.Tokens);
        Assert.Equal([(2, 7), (8, 12)], enc.Offsets);
    }
}
