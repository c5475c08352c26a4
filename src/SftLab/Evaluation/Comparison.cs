using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SftLab.Interactive;
using SftLab.IO;
using SftLab.Models;
using SftLab.Retrieval;
using SftLab.Torch;
using SftLab.Visualization;

namespace SftLab.Evaluation;

/// <summary>
/// What <c>sftlab compare --config FILE.json</c> runs: which methods, on which models and test
/// set, with how many seeds. Paths are relative to the config file.
/// </summary>
public sealed record CompareConfig
{
    /// <summary>The base (not fine-tuned) model folder: used by zero-shot, few-shot and RAG.</summary>
    public string BaseModel { get; init; } = "models/sftlab-tiny";
    /// <summary>A fine-tuned model folder for the "sft" method (e.g. the output of <c>sftlab train</c>).</summary>
    public string? SftModel { get; init; }
    /// <summary>A model fine-tuned with retrieved documents in the prompt, for "sft+rag" (default: <see cref="SftModel"/>).</summary>
    public string? SftRagModel { get; init; }
    /// <summary>How the base model is prompted: completion (a base model) or chat (an instruct model such as SmolLM2-135M-Instruct).</summary>
    public PromptStyle BasePromptStyle { get; init; } = PromptStyle.Completion;
    /// <summary>Methods to run: zero-shot, few-shot-random, few-shot-nearest, rag, sft, sft+rag.</summary>
    public List<string> Methods { get; init; } = ["zero-shot", "few-shot-random", "few-shot-nearest", "rag", "sft", "sft+rag"];
    public string TestFile { get; init; } = "datasets/sft/test.jsonl";
    /// <summary>Use only the first N test items (null = all).</summary>
    public int? MaxItems { get; init; }
    public string KnowledgeBase { get; init; } = "datasets/knowledge-base/documents.jsonl";
    public string HouseStyle { get; init; } = "datasets/house-style.json";
    /// <summary>Conversations the few-shot examples are drawn from.</summary>
    public string FewShotPool { get; init; } = "datasets/sft/train.jsonl";
    public int Shots { get; init; } = 3;
    public int RetrievedDocuments { get; init; } = 3;
    /// <summary>Seeds (they change the random few-shot examples; each seed is one run of every method).</summary>
    public List<int> Seeds { get; init; } = [0];
    public int MaxNewTokens { get; init; } = 48;
    public string Device { get; init; } = "cpu";
    /// <summary>Where the report (report.html, results.json, per-example JSONL) goes.</summary>
    public string Output { get; init; } = "build/compare";
    public int BootstrapResamples { get; init; } = 1000;

    /// <summary>The method names a config may list.</summary>
    public static readonly IReadOnlyList<string> KnownMethods = ["zero-shot", "few-shot-random", "few-shot-nearest", "rag", "sft", "sft+rag"];

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads a config file; relative paths become relative to its folder; unknown fields are refused by name.</summary>
    public static CompareConfig Load(string path)
    {
        CompareConfig c;
        try
        {
            c = JsonSerializer.Deserialize<CompareConfig>(File.ReadAllText(path), JsonOptions) ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        var unknown = c.Methods.Except(KnownMethods).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"{path}: unknown method(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))} (known: {string.Join(", ", KnownMethods)})");
        if (c.Seeds.Count == 0) throw new InvalidDataException($"{path}: 'seeds' is empty");
        if (c.Shots < 1 || c.RetrievedDocuments < 1) throw new InvalidDataException($"{path}: 'shots' and 'retrieved_documents' must be >= 1");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string R(string p) => Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(dir, p));
        return c with
        {
            BaseModel = R(c.BaseModel), SftModel = c.SftModel is null ? null : R(c.SftModel), SftRagModel = c.SftRagModel is null ? null : R(c.SftRagModel),
            TestFile = R(c.TestFile), KnowledgeBase = R(c.KnowledgeBase), HouseStyle = R(c.HouseStyle), FewShotPool = R(c.FewShotPool), Output = R(c.Output),
        };
    }
}

/// <summary>
/// The comparison: every method over the same test set, with bootstrap confidence intervals,
/// cost (prompt tokens, latency), the split between facts seen in SFT and facts only in the
/// knowledge base, retrieval recall, and an HTML report with the charts.
/// </summary>
public sealed class Comparison : IHtmlDisplay
{
    /// <summary>One report per method and seed.</summary>
    public List<(int Seed, EvaluationReport Report)> Runs { get; } = new();

    /// <summary>The test items (for per-item breakdowns).</summary>
    public required IReadOnlyList<TestItem> Items { get; init; }

    /// <summary>recall@k of the retriever against the items' gold documents.</summary>
    public double? RetrievalRecall { get; set; }

    /// <summary>k of <see cref="RetrievalRecall"/>.</summary>
    public int RetrievalK { get; set; }

    /// <summary>Runs the methods of <paramref name="config"/>; <paramref name="log"/> gets progress lines.</summary>
    public static Comparison Run(CompareConfig config, Action<string>? log = null)
    {
        log ??= _ => { };
        var style = Evaluation.HouseStyle.Load(config.HouseStyle);
        var items = TestItem.Load(config.TestFile);
        if (config.MaxItems is { } max) items = items.Take(max).ToList();
        var docs = Document.LoadJsonl(config.KnowledgeBase);
        var index = Bm25Index.Build(Chunker.Whole(docs));
        var pool = FewShotRunner.PoolFrom(config.FewShotPool);
        var device = Torch.Device.Parse(config.Device);
        var comparison = new Comparison { Items = items, RetrievalK = config.RetrievedDocuments };
        comparison.RetrievalRecall = items.Count(i => i.GoldDocIds.Count > 0 && index.Search(i.Question, config.RetrievedDocuments).Any(h => i.GoldDocIds.Contains(h.DocId)))
            / (double)Math.Max(1, items.Count(i => i.GoldDocIds.Count > 0));
        log($"{items.Count} test items; retrieval recall@{config.RetrievedDocuments} = {comparison.RetrievalRecall:P1}");

        var models = new Dictionary<string, Chat>();
        Chat Load(string folder)
        {
            if (!models.TryGetValue(folder, out var chat)) models[folder] = chat = Chat.FromPretrained(folder, device);
            return chat;
        }
        var options = new EvaluationOptions { Resamples = config.BootstrapResamples };
        try
        {
            foreach (var seed in config.Seeds)
                foreach (var method in config.Methods)
                {
                    MethodRunner runner = method switch
                    {
                        "zero-shot" => new ZeroShotRunner { Model = Load(config.BaseModel), Style = style, PromptStyle = config.BasePromptStyle, MaxNewTokens = config.MaxNewTokens },
                        "few-shot-random" => new FewShotRunner(pool, config.Shots, ShotSelection.Random, seed) { Model = Load(config.BaseModel), Style = style, PromptStyle = config.BasePromptStyle, MaxNewTokens = config.MaxNewTokens },
                        "few-shot-nearest" => new FewShotRunner(pool, config.Shots, ShotSelection.NearestNeighbour, seed) { Model = Load(config.BaseModel), Style = style, PromptStyle = config.BasePromptStyle, MaxNewTokens = config.MaxNewTokens },
                        "rag" => new RagRunner { Model = Load(config.BaseModel), Style = style, Index = index, K = config.RetrievedDocuments, PromptStyle = config.BasePromptStyle, MaxNewTokens = config.MaxNewTokens },
                        "sft" => new SftRunner { Model = Load(config.SftModel ?? throw new ArgumentException("method 'sft' needs sft_model")), Style = style, MaxNewTokens = config.MaxNewTokens },
                        "sft+rag" => new RagRunner
                        {
                            Model = Load(config.SftRagModel ?? config.SftModel ?? throw new ArgumentException("method 'sft+rag' needs sft_model or sft_rag_model")),
                            Style = style, Index = index, K = config.RetrievedDocuments, PromptStyle = PromptStyle.Chat, Prefix = "SFT+", MaxNewTokens = config.MaxNewTokens,
                        },
                        _ => throw new ArgumentException($"unknown method '{method}' (known: zero-shot, few-shot-random, few-shot-nearest, rag, sft, sft+rag)"),
                    };
                    var report = runner.Run(items, options with { Seed = seed });
                    comparison.Runs.Add((seed, report));
                    log($"seed {seed}  {report.Method,-28} exact match {report.Metrics[EvaluationReport.ExactMatchKey].Estimate:P1}  format {report.Metrics[EvaluationReport.FormatKey].Estimate:P1}  prompt tokens {report.PromptTokens?.Mean:F0}");
                }
        }
        finally
        {
            foreach (var m in models.Values) m.Dispose();
        }
        comparison.Save(config.Output);
        log($"report: {Path.Combine(config.Output, "report.html")}");
        return comparison;
    }

    private static readonly string[] Headline = [EvaluationReport.ExactMatchKey, EvaluationReport.TokenF1Key, EvaluationReport.RougeLKey, EvaluationReport.FormatKey];

    /// <summary>Each method's mean over seeds of a metric's estimate, with the half-width of its CI (mean over seeds) as the error.</summary>
    public IEnumerable<MethodScore> Scores(IEnumerable<string>? metrics = null) =>
        from metric in metrics ?? Headline
        from g in Runs.GroupBy(r => r.Report.Method)
        let cis = g.Select(r => r.Report.Metrics.TryGetValue(metric, out var ci) ? ci : null).Where(ci => ci != null).ToList()
        where cis.Count > 0
        select new MethodScore(g.Key, metric, cis.Average(ci => ci!.Estimate), cis.Average(ci => (ci!.Upper - ci.Lower) / 2));

    /// <summary>Exact match per method, split into facts seen in SFT and facts only in the knowledge base.</summary>
    public IEnumerable<MethodScore> SeenVersusHeldOut()
    {
        var seen = Items.ToDictionary(i => i.Id, i => i.SeenInSft);
        foreach (var g in Runs.GroupBy(r => r.Report.Method))
            foreach (var (label, want) in new[] { ("seen in SFT", true), ("only in the knowledge base", false) })
            {
                var values = g.SelectMany(r => r.Report.Examples).Where(e => seen.TryGetValue(e.Id, out var s) && s == want && e.ExactMatch != null).Select(e => e.ExactMatch!.Value).ToList();
                if (values.Count > 0) yield return new MethodScore(g.Key, label, values.Average());
            }
    }

    /// <summary>Metric × method bar chart with confidence intervals.</summary>
    public Figure ScoresChart() => Views.Comparison(Scores(), "Methods on the test set (95% bootstrap CI)", "score");

    /// <summary>Exact match on seen vs held-out facts.</summary>
    public Figure SeenChart() => Views.Comparison(SeenVersusHeldOut(), "Exact match: facts seen in SFT vs only in the knowledge base", "exact match");

    /// <summary>Quality against cost: exact match vs mean prompt tokens per answer.</summary>
    public Figure CostChart()
    {
        var rows = Runs.GroupBy(r => r.Report.Method).Select(g => (Method: g.Key,
            Tokens: g.Average(r => r.Report.PromptTokens?.Mean ?? 0),
            Em: g.Average(r => r.Report.Metrics[EvaluationReport.ExactMatchKey].Estimate),
            Ms: g.Average(r => r.Report.Latency?.Mean ?? 0))).ToList();
        return Chart.Scatter(rows.Select(r => r.Tokens), rows.Select(r => r.Em), size: 14, text: rows.Select(r => $"{r.Method}: {r.Ms:F0} ms/answer"))
            .WithTitle("Quality vs cost").WithXAxis("prompt tokens per answer (mean)").WithYAxis("exact match");
    }

    /// <summary>Markdown table: method, metric estimates with CIs, cost.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder("| method | seeds | exact match | token F1 | ROUGE-L | format | prompt tokens | ms/answer |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var g in Runs.GroupBy(r => r.Report.Method))
        {
            string M(string key)
            {
                var cis = g.Select(r => r.Report.Metrics.GetValueOrDefault(key)).Where(c => c != null).ToList();
                return cis.Count == 0 ? "–" : string.Create(CultureInfo.InvariantCulture, $"{cis.Average(c => c!.Estimate):F3} [{cis.Average(c => c!.Lower):F3}, {cis.Average(c => c!.Upper):F3}]");
            }
            sb.Append(CultureInfo.InvariantCulture, $"| {g.Key} | {g.Count()} | {M(EvaluationReport.ExactMatchKey)} | {M(EvaluationReport.TokenF1Key)} | {M(EvaluationReport.RougeLKey)} | {M(EvaluationReport.FormatKey)} | {g.Average(r => r.Report.PromptTokens?.Mean ?? 0):F0} | {g.Average(r => r.Report.Latency?.Mean ?? 0):F0} |\n");
        }
        return sb.ToString();
    }

    /// <summary>An HTML fragment: the table and the charts (for a notebook cell).</summary>
    public string ToHtml()
    {
        var sb = new StringBuilder("<div class=\"sftlab-comparison\">");
        sb.Append("<table style=\"border-collapse:collapse;font:13px sans-serif\"><tr>");
        var lines = ToMarkdown().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var h in lines[0].Trim('|').Split('|')) sb.Append($"<th style=\"border-bottom:1px solid #999;padding:3px 8px;text-align:left\">{WebUtility.HtmlEncode(h.Trim())}</th>");
        sb.Append("</tr>");
        foreach (var row in lines.Skip(2))
        {
            sb.Append("<tr>");
            foreach (var c in row.Trim('|').Split('|')) sb.Append($"<td style=\"padding:3px 8px\">{WebUtility.HtmlEncode(c.Trim())}</td>");
            sb.Append("</tr>");
        }
        sb.Append("</table>");
        if (RetrievalRecall is { } r) sb.Append(CultureInfo.InvariantCulture, $"<p style=\"font:13px sans-serif\">Retrieval recall@{RetrievalK}: {r:P1}</p>");
        foreach (var fig in new[] { ScoresChart(), SeenChart(), CostChart() }) sb.Append(fig.ToHtml());
        return sb.Append("</div>").ToString();
    }

    /// <summary>Writes report.html (standalone, offline), results.md, results.json and one JSONL of per-example outputs per method and seed.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "results.md"), ToMarkdown());
        var json = Runs.Select(r => new
        {
            seed = r.Seed,
            method = r.Report.Method,
            metrics = r.Report.Metrics.ToDictionary(kv => kv.Key, kv => new { estimate = kv.Value.Estimate, lower = kv.Value.Lower, upper = kv.Value.Upper }),
            prompt_tokens = r.Report.PromptTokens?.Mean,
            latency_ms = r.Report.Latency?.Mean,
        });
        AtomicFile.WriteAllText(Path.Combine(folder, "results.json"), JsonSerializer.Serialize(new { retrieval_recall = RetrievalRecall, retrieval_k = RetrievalK, runs = json }, new JsonSerializerOptions { WriteIndented = true }));
        var answers = Items.ToDictionary(i => i.Id, i => i.Answer);
        foreach (var (seed, report) in Runs)
        {
            var name = string.Concat(report.Method.Select(c => char.IsLetterOrDigit(c) ? c : '-')).Trim('-');
            AtomicFile.WriteAllText(Path.Combine(folder, $"outputs-{name}-seed{seed}.jsonl"),
                string.Join("\n", report.Examples.Select(e => JsonSerializer.Serialize(new
                {
                    id = e.Id, prediction = e.Prediction, predicted_answer = e.Answer, reference_answer = answers.GetValueOrDefault(e.Id),
                    exact_match = e.ExactMatch, token_f1 = e.TokenF1, format = e.FormatPassed,
                }))) + "\n");
        }
        // The standalone page embeds plotly.js once, in its first figure.
        var previous = PlotlyJs.NotebookMode;
        PlotlyJs.ResetNotebookSession();
        try
        {
            var body = ToHtml();
            AtomicFile.WriteAllText(Path.Combine(folder, "report.html"),
                $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>SftLab: SFT vs prompting vs RAG</title></head><body style=\"font-family:sans-serif;max-width:1100px;margin:24px auto\"><h1>SFT vs prompting vs RAG</h1>{body}</body></html>");
        }
        finally
        {
            PlotlyJs.NotebookMode = previous;
            PlotlyJs.ResetNotebookSession();
        }
    }
}
