using SftLab.Tokenization;

namespace SftLab.Tests.Tokenization;

/// <summary>The BPE trainer: its tokenizer.json loads in @huggingface/tokenizers and encodes held-out text identically.</summary>
public sealed class BpeTrainerTests
{
    private static readonly string[] Specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    private static (string Dir, Tokenizer Trained, BpeTrainer Trainer) Train(string name, bool addBos)
    {
        var data = TokenizerOracle.Get();
        var trainer = new BpeTrainer
        {
            VocabSize = 3000,
            SpecialTokens = Specials,
            BosToken = addBos ? "<|endoftext|>" : null,
            EosToken = "<|im_end|>",
            PadToken = "<|endoftext|>",
            AddBosToken = addBos,
            ChatTemplate = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}",
            ModelMaxLength = 2048,
        };
        var tok = trainer.Train(data.Docs.Where((_, i) => i % 4 == 0));
        var dir = Path.Combine(TokenizerOracle.RepoRoot, "build", "oracles", "tokenizers", "variants", name);
        tok.Save(dir);
        return (dir, tok, trainer);
    }

    private static string[] HeldOut()
    {
        var data = TokenizerOracle.Get();
        return [.. data.Docs.Where((_, i) => i % 4 == 2), .. data.Edges.Select(e => e.Text),
            "<|im_start|>user\nHello there!<|im_end|>\n<|im_start|>assistant\n"];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SavedTokenizerLoadsInTheReferenceAndAgreesOnHeldOutText(bool addBos)
    {
        var (dir, trained, trainer) = Train(addBos ? "trained-bos" : "trained", addBos);
        Assert.Equal(3000, trained.VocabSize);
        Assert.Equal(3000 - Specials.Length - 256, trainer.Merges.Count);
        var loaded = Tokenizer.FromFolder(dir);
        Assert.Equal(2048, loaded.ModelMaxLength);
        Assert.Equal("<|im_end|>", loaded.EosToken);
        Assert.Equal(trainer.ChatTemplate, loaded.ChatTemplate);
        var texts = HeldOut();
        var reference = ReferenceEncoder.Run([new ReferenceEncoder.Request("trained", Path.Combine(dir, "tokenizer.json"), Path.Combine(dir, "tokenizer_config.json"), texts)])["trained"];
        var failures = new List<string>();
        for (var i = 0; i < texts.Length; i++)
        {
            var ids = loaded.Encode(texts[i]).Ids;
            var d = TokenizerOracle.FirstDifference(reference.Ids[i], ids, loaded.IdToToken);
            if (d != null) failures.Add($"text {i}: {d}");
            Assert.Equal(ids, trained.Encode(texts[i]).Ids);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(3)));
        var chat = loaded.Encode(texts[^1]);
        Assert.Equal(loaded.TokenToId("<|im_start|>"), chat.Ids[addBos ? 1 : 0]);
        if (addBos) Assert.Equal(loaded.BosTokenId, chat.Ids[0]);
    }

    [Fact]
    public void TrainedTokenizerRoundTripsAndCompresses()
    {
        var trainer = new BpeTrainer { VocabSize = 1000, SpecialTokens = ["<|endoftext|>"] };
        var data = TokenizerOracle.Get();
        var tok = trainer.Train(data.Docs.Where((_, i) => i % 2 == 0));
        long bytes = 0, tokens = 0;
        foreach (var doc in data.Docs.Where((_, i) => i % 6 == 1))
        {
            var ids = tok.EncodeToIds(doc);
            Assert.Equal(doc, tok.Decode(ids, cleanUpTokenizationSpaces: false));
            bytes += System.Text.Encoding.UTF8.GetByteCount(doc);
            tokens += ids.Length;
        }
        Assert.True(bytes / (double)tokens > 1.5, $"only {bytes / (double)tokens:F2} bytes per token");
        // Merge counts never increase: each merge takes the most frequent pair left.
        for (var i = 1; i < trainer.Merges.Count; i++) Assert.True(trainer.Merges[i].Count <= trainer.Merges[i - 1].Count);
    }

    [Fact]
    public void FirstMergeIsTheMostFrequentPair()
    {
        // The textbook example: in "aaabdaaabac" the pair "aa" occurs most often (4 times, overlapping).
        var merges = new List<BpeMerge>();
        var trainer = new BpeTrainer { VocabSize = 256 + 3, MinFrequency = 1, OnMerge = merges.Add };
        trainer.Train(["aaabdaaabac"]);
        Assert.Equal(("a", "a", 4L), (merges[0].Left, merges[0].Right, merges[0].Count));
        Assert.Equal(3, merges.Count);
        Assert.Equal(trainer.Merges, merges);
    }

    [Fact]
    public void BadSettingsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new BpeTrainer { VocabSize = 100 }.Train(["x"]));
        Assert.Throws<ArgumentException>(() => new BpeTrainer { BosToken = "<s>" }.Train(["x"]));
        Assert.Throws<ArgumentException>(() => new BpeTrainer { SpecialTokens = ["<s>", "<s>"] }.Train(["x"]));
    }
}
