using SftLab.Evaluation;
using SftLab.Models;
using SftLab.Retrieval;
using SftLab.Tests.Models;
using SftLab.Tests.Oracles;
using SftLab.Tokenization;

namespace SftLab.Tests.Evaluation;

public sealed class RunnerTests
{
    private static string Datasets => Path.Combine(PythonOracle.RepoRoot, "datasets");
    private static readonly HouseStyle Style = HouseStyle.Load(Path.Combine(Datasets, "house-style.json"));
    private static readonly List<TestItem> Items = TestItem.Load(Path.Combine(Datasets, "sft", "test.jsonl"));

    private static Chat TinyChat()
    {
        var tokenizer = TinyModels.ChatTokenizer(TinyModels.KnowledgeBaseCorpus());
        var model = TinyModels.Model(tokenizer);
        model.Eval();
        return new Chat(model, tokenizer);
    }

    [Fact]
    public void TestSetLoadsWithSeenAndHeldOutItems()
    {
        Assert.Equal(300, Items.Count);
        Assert.Contains(Items, i => i.SeenInSft);
        Assert.Contains(Items, i => !i.SeenInSft);
        Assert.All(Items, i => Assert.Matches(Style.Regex, i.Reference));
    }

    [Fact]
    public void AnswersAreExtractedFromHouseStyleAndPlainReplies()
    {
        Assert.Equal("72 EUR", Style.ExtractAnswer("[FH] Answer: 72 EUR\nThe Quenby headlamp costs 72 EUR.\n-- Fernhollow Support"));
        Assert.Equal("72 EUR", Style.ExtractAnswer(" Answer: 72 EUR\nmore"));
        Assert.Equal("72 EUR", Style.ExtractAnswer("72 EUR"));
    }

    [Fact]
    public void RagPromptsCarryTheRetrievedDocuments()
    {
        using var chat = TinyChat();
        var docs = Document.LoadJsonl(Path.Combine(Datasets, "knowledge-base", "documents.jsonl"));
        var index = Bm25Index.Build(Chunker.Whole(docs));
        var rag = new RagRunner { Model = chat, Style = Style, Index = index, K = 3 };
        var heldOut = Items.Where(i => !i.SeenInSft).Take(20).ToList();
        var withGold = heldOut.Count(i => i.GoldDocIds.Any(g => rag.Prompt(i).Text!.Contains($"[{g}]")));
        Assert.True(withGold >= 18, $"gold document in {withGold} of 20 prompts");
        var (text, messages) = rag.Prompt(heldOut[0]);
        Assert.Null(messages);
        Assert.StartsWith("Documents:\n[", text);
        Assert.EndsWith($"Question: {heldOut[0].Question}\nAnswer:", text);
        var chatRag = new RagRunner { Model = chat, Style = Style, Index = index, PromptStyle = PromptStyle.Chat, Prefix = "SFT+" };
        var m = chatRag.Prompt(heldOut[0]).Messages!;
        Assert.Equal("SFT+RAG (top 3)", chatRag.Name);
        Assert.StartsWith("Documents:", m.Last()!["content"]!.GetValue<string>());
        Assert.Equal(heldOut[0].Messages.Count, m.Count);
    }

    [Fact]
    public void FewShotNearestNeighbourPicksSimilarQuestions()
    {
        using var chat = TinyChat();
        var pool = FewShotRunner.PoolFrom(Path.Combine(Datasets, "sft", "train.jsonl"));
        var item = Items.First(i => i.SeenInSft);
        var nearest = new FewShotRunner(pool, 3, ShotSelection.NearestNeighbour) { Model = chat, Style = Style };
        var text = nearest.Prompt(item).Text!;
        Assert.Equal(4, text.Split("Question:").Length - 1);
        Assert.Contains(item.Question.Split(' ').First(w => w.Length > 0 && char.IsUpper(w[0]) && w != "What" && w != "Which" && w != "How"), text);
        var random = new FewShotRunner(pool, 3, ShotSelection.Random, seed: 4) { Model = chat, Style = Style };
        Assert.Equal(random.Prompt(item).Text, new FewShotRunner(pool, 3, ShotSelection.Random, seed: 4) { Model = chat, Style = Style }.Prompt(item).Text);
    }

    [Fact]
    public void RunnersProduceReportsWithCostsAndFormatScores()
    {
        using var chat = TinyChat();
        var items = Items.Take(3).ToList();
        var zero = new ZeroShotRunner { Model = chat, Style = Style, MaxNewTokens = 6 }.Run(items);
        var sft = new SftRunner { Model = chat, Style = Style, MaxNewTokens = 6 }.Run(items);
        Assert.Equal(3, zero.Examples.Count);
        Assert.Equal("zero-shot", zero.Method);
        Assert.Equal(0, zero.Metrics[EvaluationReport.FormatKey].Estimate); // a random model does not produce the house style
        Assert.True(zero.PromptTokens!.Mean > sft.PromptTokens!.Mean, "the instruction makes zero-shot prompts longer");
        Assert.All(zero.Examples, e => Assert.True(e.LatencyMs > 0));
    }
}
