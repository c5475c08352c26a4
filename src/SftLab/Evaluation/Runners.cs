using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SftLab.Models;
using SftLab.Retrieval;

namespace SftLab.Evaluation;

/// <summary>One question of a test set: the conversation so far, the short answer and the full reference reply.</summary>
public sealed record TestItem(string Id, JsonArray Messages, string Answer, string Reference, bool SeenInSft, IReadOnlyList<string> GoldDocIds)
{
    /// <summary>The last user message: the question.</summary>
    public string Question => Messages.Last(m => m!["role"]!.GetValue<string>() == "user")!["content"]!.GetValue<string>();

    /// <summary>Reads a test set (JSONL with id, messages, answer, reference, seen_in_sft, gold_doc_ids); errors name file and line.</summary>
    public static List<TestItem> Load(string path)
    {
        var items = new List<TestItem>();
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                var o = JsonNode.Parse(line)!.AsObject();
                items.Add(new TestItem(
                    o["id"]!.GetValue<string>(),
                    o["messages"]!.AsArray(),
                    o["answer"]!.GetValue<string>(),
                    o["reference"]?.GetValue<string>() ?? o["answer"]!.GetValue<string>(),
                    o["seen_in_sft"]?.GetValue<bool>() ?? false,
                    o["gold_doc_ids"]?.AsArray().Select(x => x!.GetValue<string>()).ToList() ?? []));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
            {
                throw new InvalidDataException($"{path}:{n}: not a test item (needs id, messages, answer): {e.Message}", e);
            }
        }
        return items;
    }
}

/// <summary>The house style of the kit's SFT data and the prompt layouts (datasets/house-style.json).</summary>
public sealed record HouseStyle(string Regex, string SystemPrompt, string Instruction, string RagDocumentTemplate, string RagUserTemplate,
    string BasePromptTemplate, string BaseRagPromptTemplate)
{
    /// <summary>Reads datasets/house-style.json.</summary>
    public static HouseStyle Load(string path)
    {
        var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        string S(string k) => o[k]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: '{k}' is missing");
        return new HouseStyle(S("regex"), S("system_prompt"), S("instruction"), S("rag_document_template"), S("rag_user_template"),
            S("base_prompt_template"), S("base_rag_prompt_template"));
    }

    /// <summary>The format check: the whole reply must match, group 1 is the short answer.</summary>
    public FormatCheck Format => FormatCheck.Regex(Regex, answerGroup: 1);

    /// <summary>The documents block of a retrieval prompt.</summary>
    public string Documents(IEnumerable<Passage> passages) => string.Join("\n", passages.Select(p =>
        RagDocumentTemplate.Replace("{id}", p.DocId).Replace("{title}", p.Title).Replace("{text}", p.Text)));

    /// <summary>
    /// The short answer in a reply: the house-style answer line when present, else the first
    /// non-empty line without a leading "Answer:".
    /// </summary>
    public string ExtractAnswer(string reply)
    {
        var m = System.Text.RegularExpressions.Regex.Match(reply, @"\[FH\] Answer: ([^\n]+)");
        if (m.Success) return m.Groups[1].Value.Trim();
        var first = reply.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        return System.Text.RegularExpressions.Regex.Replace(first, @"^(Answer:|A:)\s*", "").Trim();
    }
}

/// <summary>How a runner talks to its model: plain text completion (base models) or the chat template (chat-tuned models).</summary>
public enum PromptStyle
{
    Completion,
    Chat,
}

/// <summary>
/// A way of answering the test questions with a model: zero-shot, few-shot, RAG, SFT... Each
/// runner builds a prompt per item; <see cref="Run"/> generates greedily, extracts the answer, and
/// scores everything (with per-example results kept for inspection).
/// </summary>
public abstract class MethodRunner
{
    /// <summary>The method's name in tables and charts.</summary>
    public abstract string Name { get; }

    /// <summary>The model, tokenizer and template to use.</summary>
    public required Chat Model { get; init; }

    /// <summary>The house style (prompt layouts, format check, answer extraction).</summary>
    public required HouseStyle Style { get; init; }

    /// <summary>Most tokens to generate per answer.</summary>
    public int MaxNewTokens { get; init; } = 48;

    /// <summary>The prompt for an item: either text to complete, or messages for the chat template.</summary>
    public abstract (string? Text, JsonArray? Messages) Prompt(TestItem item);

    /// <summary>Answers every item and scores the answers.</summary>
    public EvaluationReport Run(IReadOnlyList<TestItem> items, EvaluationOptions? options = null, Action<int, int>? progress = null)
    {
        var examples = new List<EvaluationExample>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var (text, messages) = Prompt(item);
            var clock = Stopwatch.StartNew();
            long[] ids = messages != null
                ? Model.EncodePrompt(messages)
                : Model.Tokenizer.Encode(text!, addSpecialTokens: true).Ids.Select(x => (long)x).ToArray();
            var config = new GenerationConfig
            {
                MaxNewTokens = MaxNewTokens,
                EosTokenIds = Model.StopTokenIds,
                // A base model goes on to invent the next question: stop at the blank line.
                StopStrings = messages == null ? ["\n\n", "\nQuestion:"] : null,
            };
            var output = TextGeneration.Generate(Model.Model, [ids], config, decode: a => Model.Tokenizer.Decode(a.Select(x => (int)x), skipSpecialTokens: true))[0];
            var reply = Model.Tokenizer.Decode(output.Select(x => (int)x), skipSpecialTokens: true);
            foreach (var stop in config.StopStrings ?? [])
                if (reply.IndexOf(stop, StringComparison.Ordinal) is var cut and >= 0) reply = reply[..cut];
            reply = reply.Trim();
            examples.Add(new EvaluationExample(item.Id, reply)
            {
                References = [item.Reference],
                Answers = [item.Answer],
                PredictedAnswer = Style.ExtractAnswer(reply),
                LatencyMs = clock.Elapsed.TotalMilliseconds,
                PromptTokens = ids.Length,
            });
            progress?.Invoke(i + 1, items.Count);
        }
        return EvaluationReport.Create(Name, examples, (options ?? new EvaluationOptions()) with { Format = Style.Format });
    }

    /// <summary>Chat messages: the item's conversation with its last user turn replaced.</summary>
    protected static JsonArray WithUserTurn(TestItem item, string user, string? system = null)
    {
        var messages = new JsonArray();
        foreach (var m in item.Messages)
        {
            var copy = m!.DeepClone().AsObject();
            if (system != null && copy["role"]!.GetValue<string>() == "system") copy["content"] = system;
            messages.Add(copy);
        }
        var last = messages.Last(m => m!["role"]!.GetValue<string>() == "user")!.AsObject();
        last["content"] = user;
        return messages;
    }
}

/// <summary>Zero-shot prompting: the instructions of the house style and the question, nothing else.</summary>
public sealed class ZeroShotRunner : MethodRunner
{
    public PromptStyle PromptStyle { get; init; } = PromptStyle.Completion;
    public override string Name => "zero-shot";

    public override (string? Text, JsonArray? Messages) Prompt(TestItem item) => PromptStyle == PromptStyle.Completion
        ? (Style.Instruction + "\n\n" + Style.BasePromptTemplate.Replace("{question}", item.Question), null)
        : (null, WithUserTurn(item, item.Question, Style.SystemPrompt + " " + Style.Instruction));
}

/// <summary>How few-shot examples are chosen.</summary>
public enum ShotSelection
{
    /// <summary>k random training examples (seeded).</summary>
    Random,
    /// <summary>The k training questions most similar to the test question (BM25).</summary>
    NearestNeighbour,
}

/// <summary>Few-shot prompting: k solved examples from the training set in the prompt, then the question.</summary>
public sealed class FewShotRunner : MethodRunner
{
    private readonly IReadOnlyList<(string Question, string Reply)> _pool;
    private readonly Bm25Index? _questions;
    private readonly Random _random;

    public int K { get; }
    public ShotSelection Selection { get; }
    public PromptStyle PromptStyle { get; init; } = PromptStyle.Completion;
    public override string Name => $"few-shot ({K}, {(Selection == ShotSelection.Random ? "random" : "nearest")})";

    /// <param name="pool">Solved examples: (question, house-style reply).</param>
    /// <param name="k">How many examples go into each prompt.</param>
    /// <param name="selection">Random, or the most similar questions.</param>
    /// <param name="seed">Seed of the random selection.</param>
    public FewShotRunner(IReadOnlyList<(string Question, string Reply)> pool, int k, ShotSelection selection, int seed = 0)
    {
        _pool = pool;
        K = k;
        Selection = selection;
        _random = new Random(seed);
        if (selection == ShotSelection.NearestNeighbour)
            _questions = Bm25Index.Build(pool.Select((p, i) => new Passage(i, i.ToString(System.Globalization.CultureInfo.InvariantCulture), "", p.Question, 0, p.Question.Length, 0)),
                new Bm25Options { IndexTitle = false });
    }

    /// <summary>The first user question and assistant reply of each conversation in a JSONL file.</summary>
    public static List<(string Question, string Reply)> PoolFrom(string conversationsJsonl) =>
        File.ReadLines(conversationsJsonl).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!["messages"]!.AsArray())
            .Select(m => (m.First(x => x!["role"]!.GetValue<string>() == "user")!["content"]!.GetValue<string>(),
                          m.First(x => x!["role"]!.GetValue<string>() == "assistant")!["content"]!.GetValue<string>()))
            .ToList();

    private IEnumerable<(string Question, string Reply)> Shots(TestItem item) => Selection == ShotSelection.Random
        ? Enumerable.Range(0, K).Select(_ => _pool[_random.Next(_pool.Count)])
        : _questions!.Search(item.Question, K).Select(h => _pool[h.Passage.Index]).Reverse(); // most similar last, next to the question

    public override (string? Text, JsonArray? Messages) Prompt(TestItem item)
    {
        var shots = Shots(item).ToList();
        if (PromptStyle == PromptStyle.Completion)
        {
            var sb = new StringBuilder();
            foreach (var (q, r) in shots) sb.Append(Style.BasePromptTemplate.Replace("{question}", q)).Append(' ').Append(r).Append("\n\n");
            sb.Append(Style.BasePromptTemplate.Replace("{question}", item.Question));
            return (sb.ToString(), null);
        }
        var messages = new JsonArray { new JsonObject { ["role"] = "system", ["content"] = Style.SystemPrompt } };
        foreach (var (q, r) in shots)
        {
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = q });
            messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = r });
        }
        messages.Add(new JsonObject { ["role"] = "user", ["content"] = item.Question });
        return (null, messages);
    }
}

/// <summary>Retrieval-augmented generation: the k knowledge-base passages BM25 finds for the question go into the prompt.</summary>
public sealed class RagRunner : MethodRunner
{
    public required Bm25Index Index { get; init; }
    public int K { get; init; } = 3;
    public PromptStyle PromptStyle { get; init; } = PromptStyle.Completion;
    /// <summary>A name prefix, e.g. "SFT+" for a fine-tuned model with retrieval.</summary>
    public string Prefix { get; init; } = "";
    public override string Name => $"{Prefix}RAG (top {K})";

    public override (string? Text, JsonArray? Messages) Prompt(TestItem item)
    {
        var docs = Style.Documents(Index.Search(item.Question, K).Select(h => h.Passage).Reverse());
        return PromptStyle == PromptStyle.Completion
            ? (Style.BaseRagPromptTemplate.Replace("{documents}", docs).Replace("{question}", item.Question), null)
            : (null, WithUserTurn(item, Style.RagUserTemplate.Replace("{documents}", docs).Replace("{question}", item.Question)));
    }
}

/// <summary>A fine-tuned model answering the conversation as it is (the SFT baseline).</summary>
public sealed class SftRunner : MethodRunner
{
    public string Label { get; init; } = "SFT";
    public override string Name => Label;
    public override (string? Text, JsonArray? Messages) Prompt(TestItem item) => (null, item.Messages);
}
