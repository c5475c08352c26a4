using SftLab.ChatTemplates;
using SftLab.Models;
using SftLab.Tokenization;

namespace SftLab.Tests.Models;

/// <summary>Tiny, fast stand-ins for a real model folder: a BPE tokenizer trained on the spot, ChatML, and a random small Llama.</summary>
public static class TinyModels
{
    /// <summary>A byte-level BPE tokenizer with ChatML special tokens and template, trained on <paramref name="corpus"/>.</summary>
    public static Tokenizer ChatTokenizer(IEnumerable<string> corpus, int vocabSize = 400) => new BpeTrainer
    {
        VocabSize = vocabSize,
        SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        EosToken = "<|im_end|>",
        BosToken = "<|endoftext|>",
        PadToken = "<|endoftext|>",
        ChatTemplate = BuiltinChatTemplates.Get("chatml").Source,
    }.Train(corpus);

    /// <summary>A random model sized to the tokenizer.</summary>
    public static LlamaForCausalLM Model(Tokenizer tokenizer, ulong seed = 1) =>
        new(ModelTests.Tiny() with { VocabSize = tokenizer.VocabSize, MaxPositionEmbeddings = 2048, EosTokenIds = [tokenizer.EosTokenId!.Value] }, seed);

    /// <summary>Writes tokenizer and model into <paramref name="folder"/> (a Hugging Face folder) and returns it.</summary>
    public static string Folder(string folder, IEnumerable<string> corpus, ulong seed = 1)
    {
        var tokenizer = ChatTokenizer(corpus);
        tokenizer.Save(folder);
        using var model = Model(tokenizer, seed);
        model.SavePretrained(folder);
        return folder;
    }

    /// <summary>The kit's knowledge base lines: a handy small corpus.</summary>
    public static IEnumerable<string> KnowledgeBaseCorpus() =>
        File.ReadLines(Path.Combine(Oracles.PythonOracle.RepoRoot, "datasets", "knowledge-base", "documents.jsonl"));
}
