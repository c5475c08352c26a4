using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SftLab.Tests.Datasets;

/// <summary>
/// Checks the kit's own datasets (datasets/): every file parses and has the documented fields, the
/// conversations are well formed, the house style holds for every SFT answer and nowhere in the
/// pretraining corpus, the held-out test facts are really only in the knowledge base, and the
/// generator reproduces the committed files byte for byte from the seed.
/// </summary>
public sealed class DatasetFilesTests
{
    static readonly string Root = FindRepoRoot();
    static readonly string Data = Path.Combine(Root, "datasets");

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SftLab.sln"))) return dir.FullName;
        throw new InvalidOperationException("repo root (the folder with SftLab.sln) not found above " + AppContext.BaseDirectory);
    }

    sealed record Row(string File, int Line, JsonElement Json)
    {
        public string Where => $"{File}:{Line}";
        public string Str(string field) => Json.GetProperty(field).GetString() ?? throw new InvalidDataException($"{Where}: '{field}' is null");
    }

    static readonly Dictionary<string, List<Row>> Cache = new(StringComparer.Ordinal);

    static List<Row> Jsonl(string relative)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(relative, out var cached)) return cached;
            var rows = new List<Row>();
            var n = 0;
            foreach (var line in File.ReadLines(Path.Combine(Data, relative)))
            {
                n++;
                try { rows.Add(new Row(relative, n, JsonDocument.Parse(line).RootElement)); }
                catch (JsonException e) { throw new InvalidDataException($"datasets/{relative}:{n}: not valid JSON: {e.Message}"); }
            }
            Assert.True(rows.Count > 0, $"datasets/{relative} is empty");
            Cache[relative] = rows;
            return rows;
        }
    }

    static JsonElement HouseStyle() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "house-style.json"))).RootElement;

    static Regex StyleRegex() => new(HouseStyle().GetProperty("regex").GetString()!, RegexOptions.CultureInvariant);

    static readonly string[] ConversationFiles =
        ["sft/train.jsonl", "sft/validation.jsonl", "sft/train-with-context.jsonl", "general/train.jsonl", "general/validation.jsonl"];

    static readonly string[] SftTrainingFiles =
    [
        "sft/train.jsonl", "sft/validation.jsonl", "sft/train-with-context.jsonl", "formats/prompt-completion.jsonl",
        "formats/conversational-prompt-completion.jsonl", "formats/alpaca.jsonl", "formats/sharegpt.jsonl", "formats/preference.jsonl",
    ];

    static void AssertKeys(Row row, params string[] keys)
    {
        var actual = row.Json.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.True(keys.SequenceEqual(actual), $"{row.Where}: fields are [{string.Join(", ", actual)}], documented [{string.Join(", ", keys)}]");
    }

    static IEnumerable<(string Role, string Content)> Messages(Row row, string field = "messages")
    {
        var arr = row.Json.GetProperty(field);
        Assert.True(arr.ValueKind == JsonValueKind.Array, $"{row.Where}: '{field}' is not an array");
        foreach (var m in arr.EnumerateArray())
        {
            var keys = m.EnumerateObject().Select(p => p.Name).ToArray();
            Assert.True(keys.SequenceEqual(["role", "content"]), $"{row.Where}: a message has fields [{string.Join(", ", keys)}]");
            var content = m.GetProperty("content").GetString();
            Assert.False(string.IsNullOrWhiteSpace(content), $"{row.Where}: empty message content");
            yield return (m.GetProperty("role").GetString()!, content!);
        }
    }

    /// <summary>system? then user/assistant alternating.</summary>
    static void AssertAlternates(Row row, IReadOnlyList<(string Role, string Content)> msgs, bool endsWithAssistant, bool hasSystem)
    {
        var i = 0;
        if (hasSystem)
        {
            Assert.True(msgs.Count > 0 && msgs[0].Role == "system", $"{row.Where}: the first message must be the system prompt");
            i = 1;
        }
        Assert.True(msgs.Count > i, $"{row.Where}: no user turn");
        for (var k = i; k < msgs.Count; k++)
        {
            var expected = (k - i) % 2 == 0 ? "user" : "assistant";
            Assert.True(msgs[k].Role == expected, $"{row.Where}: message {k} has role '{msgs[k].Role}', expected '{expected}'");
        }
        Assert.True(msgs[^1].Role == (endsWithAssistant ? "assistant" : "user"), $"{row.Where}: ends with '{msgs[^1].Role}'");
    }

    [Fact]
    public void Manifest_matches_the_files_sizes_hashes_and_record_counts()
    {
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "manifest.json"))).RootElement;
        var files = manifest.GetProperty("files").EnumerateArray().ToList();
        Assert.True(files.Count >= 17, $"manifest lists {files.Count} files");
        long total = 0;
        foreach (var f in files)
        {
            var rel = f.GetProperty("path").GetString()!;
            var path = Path.Combine(Data, rel);
            Assert.True(File.Exists(path), $"datasets/{rel} is in manifest.json but missing");
            var bytes = File.ReadAllBytes(path);
            total += bytes.Length;
            Assert.True(f.GetProperty("bytes").GetInt64() == bytes.LongLength, $"datasets/{rel}: manifest says {f.GetProperty("bytes").GetInt64()} bytes, the file has {bytes.LongLength}");
            Assert.True(f.GetProperty("sha256").GetString() == Convert.ToHexStringLower(SHA256.HashData(bytes)), $"datasets/{rel}: SHA-256 differs from manifest.json");
            // Pure ASCII, "\n" line ends, a final newline: what the READMEs promise.
            var bad = Array.FindIndex(bytes, b => b > 0x7e || (b < 0x20 && b != (byte)'\n'));
            Assert.True(bad < 0, $"datasets/{rel}: byte 0x{(bad < 0 ? 0 : bytes[bad]):x2} at offset {bad} is not printable ASCII or \\n");
            Assert.True(bytes[^1] == (byte)'\n', $"datasets/{rel} does not end with a newline");
            var text = Encoding.ASCII.GetString(bytes);
            var records = rel.EndsWith(".jsonl", StringComparison.Ordinal) ? text.Count(c => c == '\n')
                : rel.EndsWith(".txt", StringComparison.Ordinal) ? text.TrimEnd('\n').Split("\n\n").Length
                : rel.EndsWith(".md", StringComparison.Ordinal) ? Regex.Matches(text, "^### ", RegexOptions.Multiline).Count
                : 1;
            Assert.True(f.GetProperty("records").GetInt32() == records, $"datasets/{rel}: manifest says {f.GetProperty("records").GetInt32()} records, counted {records}");
        }
        Assert.True(total < 25L * 1024 * 1024, $"generated datasets take {total} bytes, over the 25 MiB budget");
    }

    [Fact]
    public void Every_jsonl_line_parses_and_has_the_documented_fields()
    {
        var kb = Jsonl("knowledge-base/documents.jsonl");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in kb)
        {
            AssertKeys(r, "id", "title", "text", "kind", "entity");
            Assert.True(ids.Add(r.Str("id")), $"{r.Where}: duplicate id {r.Str("id")}");
            Assert.Contains(r.Str("kind"), new[] { "company", "product", "store", "person", "policy" });
            Assert.DoesNotContain('\n', r.Str("text"));
            // Each document is one retrieval chunk: short enough for a small model's context.
            var words = r.Str("text").Split(' ').Length;
            Assert.True(words is >= 20 and <= 100, $"{r.Where}: {words} words");
        }

        foreach (var file in ConversationFiles)
            foreach (var r in Jsonl(file))
            {
                AssertKeys(r, "messages");
                _ = Messages(r).ToList();
            }

        foreach (var r in Jsonl("sft/test.jsonl"))
        {
            AssertKeys(r, "id", "messages", "answer", "reference", "seen_in_sft", "gold_doc_ids", "entity", "attribute", "kind");
            Assert.True(r.Json.GetProperty("seen_in_sft").ValueKind is JsonValueKind.True or JsonValueKind.False, $"{r.Where}: seen_in_sft is not a boolean");
            var gold = r.Json.GetProperty("gold_doc_ids").EnumerateArray().Select(g => g.GetString()!).ToList();
            Assert.True(gold.Count > 0, $"{r.Where}: no gold documents");
            foreach (var g in gold) Assert.True(ids.Contains(g), $"{r.Where}: gold document '{g}' is not in the knowledge base");
            Assert.False(string.IsNullOrWhiteSpace(r.Str("answer")), $"{r.Where}: empty answer");
        }
        Assert.Equal(Jsonl("sft/test.jsonl").Count, Jsonl("sft/test.jsonl").Select(r => r.Str("id")).Distinct().Count());

        foreach (var r in Jsonl("formats/prompt-completion.jsonl")) { AssertKeys(r, "prompt", "completion"); Assert.False(string.IsNullOrEmpty(r.Str("prompt"))); Assert.False(string.IsNullOrEmpty(r.Str("completion"))); }
        foreach (var r in Jsonl("formats/conversational-prompt-completion.jsonl"))
        {
            AssertKeys(r, "prompt", "completion");
            AssertAlternates(r, Messages(r, "prompt").ToList(), endsWithAssistant: false, hasSystem: true);
            Assert.Equal(["assistant"], Messages(r, "completion").Select(m => m.Role));
        }
        foreach (var r in Jsonl("formats/alpaca.jsonl")) { AssertKeys(r, "instruction", "input", "output"); Assert.False(string.IsNullOrEmpty(r.Str("instruction"))); Assert.False(string.IsNullOrEmpty(r.Str("output"))); }
        foreach (var r in Jsonl("formats/sharegpt.jsonl"))
        {
            AssertKeys(r, "conversations");
            var from = r.Json.GetProperty("conversations").EnumerateArray().Select(t => t.GetProperty("from").GetString()).ToList();
            Assert.True(from.Count >= 3 && from[0] == "system" && from.Skip(1).Select((f, i) => f == (i % 2 == 0 ? "human" : "gpt")).All(x => x) && from[^1] == "gpt",
                $"{r.Where}: turns [{string.Join(", ", from)}]");
        }
        foreach (var r in Jsonl("formats/text.jsonl")) { AssertKeys(r, "text"); Assert.False(string.IsNullOrWhiteSpace(r.Str("text"))); }
        foreach (var r in Jsonl("formats/preference.jsonl"))
        {
            AssertKeys(r, "prompt", "chosen", "rejected");
            Assert.Equal(["assistant"], Messages(r, "chosen").Select(m => m.Role));
            Assert.Equal(["assistant"], Messages(r, "rejected").Select(m => m.Role));
        }
    }

    [Fact]
    public void Conversations_alternate_roles_and_the_sft_ones_open_with_the_system_prompt()
    {
        var system = HouseStyle().GetProperty("system_prompt").GetString();
        foreach (var file in new[] { "sft/train.jsonl", "sft/validation.jsonl", "sft/train-with-context.jsonl" })
            foreach (var r in Jsonl(file))
            {
                var msgs = Messages(r).ToList();
                AssertAlternates(r, msgs, endsWithAssistant: true, hasSystem: true);
                Assert.True(msgs[0].Content == system, $"{r.Where}: system prompt differs from house-style.json");
            }
        foreach (var file in new[] { "general/train.jsonl", "general/validation.jsonl" })
            foreach (var r in Jsonl(file))
                AssertAlternates(r, Messages(r).ToList(), endsWithAssistant: true, hasSystem: false);
        foreach (var r in Jsonl("sft/test.jsonl"))
        {
            var msgs = Messages(r).ToList();
            AssertAlternates(r, msgs, endsWithAssistant: false, hasSystem: true);
            Assert.True(msgs[0].Content == system, $"{r.Where}: system prompt differs from house-style.json");
        }
        // Multi-turn conversations are really there (not only single exchanges).
        Assert.True(Jsonl("sft/train.jsonl").Count(r => Messages(r).Count() >= 5) > 500);
        Assert.True(Jsonl("general/train.jsonl").Count(r => Messages(r).Count() >= 6) > 500);
    }

    [Fact]
    public void House_style_regex_matches_every_sft_answer_and_nothing_else()
    {
        var style = StyleRegex();
        var group = HouseStyle().GetProperty("answer_group").GetInt32();
        var checkedAnswers = 0;
        void Styled(Row r, string answer)
        {
            Assert.True(style.IsMatch(answer), $"{r.Where}: answer does not follow the house style: {answer}");
            checkedAnswers++;
        }
        foreach (var file in new[] { "sft/train.jsonl", "sft/validation.jsonl", "sft/train-with-context.jsonl" })
            foreach (var r in Jsonl(file))
                foreach (var m in Messages(r).Where(m => m.Role == "assistant"))
                    Styled(r, m.Content);
        foreach (var r in Jsonl("formats/prompt-completion.jsonl")) Styled(r, r.Str("completion"));
        foreach (var r in Jsonl("formats/conversational-prompt-completion.jsonl")) Styled(r, Messages(r, "completion").Single().Content);
        foreach (var r in Jsonl("formats/alpaca.jsonl")) Styled(r, r.Str("output"));
        foreach (var r in Jsonl("formats/preference.jsonl")) Styled(r, Messages(r, "chosen").Single().Content);
        foreach (var r in Jsonl("formats/sharegpt.jsonl"))
            foreach (var t in r.Json.GetProperty("conversations").EnumerateArray().Where(t => t.GetProperty("from").GetString() == "gpt"))
                Styled(r, t.GetProperty("value").GetString()!);
        Assert.True(checkedAnswers > 6000, $"only {checkedAnswers} styled answers checked");

        // The test references follow it too, and the regex's answer group is the short answer.
        foreach (var r in Jsonl("sft/test.jsonl"))
        {
            var m = style.Match(r.Str("reference"));
            Assert.True(m.Success, $"{r.Where}: reference does not follow the house style");
            Assert.Equal(r.Str("answer"), m.Groups[group].Value);
        }

        // The regex is not trivially true: plain answers do not pass it.
        foreach (var r in Jsonl("formats/preference.jsonl"))
            Assert.False(style.IsMatch(Messages(r, "rejected").Single().Content), $"{r.Where}: the rejected plain answer matches the house style");
        foreach (var file in new[] { "general/train.jsonl", "general/validation.jsonl" })
            foreach (var r in Jsonl(file))
                foreach (var m in Messages(r))
                    Assert.False(style.IsMatch(m.Content) || m.Content.Contains("[FH]", StringComparison.Ordinal), $"{r.Where}: everyday chat uses the house style");
    }

    [Fact]
    public void Pretraining_corpus_has_no_house_style_and_no_fernhollow_names()
    {
        var style = HouseStyle();
        var marker = style.GetProperty("marker").GetString()!;
        var signOff = style.GetProperty("sign_off").GetString()!;
        var names = Jsonl("knowledge-base/documents.jsonl")
            .Where(r => r.Str("kind") is "product" or "store" or "person").Select(r => r.Str("entity")).ToList();
        var texts = new List<(string Name, string Text)>
        {
            ("pretraining/train.txt", File.ReadAllText(Path.Combine(Data, "pretraining/train.txt"))),
            ("pretraining/validation.txt", File.ReadAllText(Path.Combine(Data, "pretraining/validation.txt"))),
            ("formats/text.jsonl", string.Join("\n", Jsonl("formats/text.jsonl").Select(r => r.Str("text")))),
        };
        foreach (var (name, text) in texts)
        {
            Assert.True(text.Length > 0, name);
            foreach (var forbidden in new[] { marker, signOff, "Fernhollow", "fernhollow" }.Concat(names))
            {
                var at = text.IndexOf(forbidden, StringComparison.Ordinal);
                Assert.True(at < 0, $"datasets/{name} contains '{forbidden}' at offset {at}");
            }
            // No test answer that identifies one Fernhollow fact (emails, phone numbers, addresses) leaks in.
            foreach (var r in Jsonl("sft/test.jsonl").Where(r => r.Str("attribute") is "email" or "phone" or "address"))
                Assert.False(text.Contains(r.Str("answer"), StringComparison.Ordinal), $"datasets/{name} contains the test answer '{r.Str("answer")}'");
        }

        var corpus = texts[0].Text;
        Assert.True(corpus.Length > 5_000_000, $"the pretraining corpus has only {corpus.Length} characters");
        var docs = corpus.TrimEnd('\n').Split("\n\n");
        Assert.All(docs, d => Assert.False(d.Length == 0 || d.StartsWith(' ') || d.EndsWith(' ')));

        // In-context copying: in every multi-document exercise, each answer is copied from the documents above it.
        var multi = docs.Where(d => d.StartsWith("Documents:\n", StringComparison.Ordinal)).ToList();
        Assert.True(multi.Count > 1000, $"only {multi.Count} multi-document exercises");
        foreach (var d in multi)
        {
            var firstQuestion = d.IndexOf("\nQuestion: ", StringComparison.Ordinal);
            Assert.True(firstQuestion > 0, "a multi-document exercise without a question: " + d);
            var context = d[..firstQuestion];
            var answers = Regex.Matches(d[firstQuestion..], "\nAnswer: ([^\n]+)").Select(m => m.Groups[1].Value).ToList();
            Assert.NotEmpty(answers);
            foreach (var a in answers) Assert.True(context.Contains(a, StringComparison.Ordinal), $"answer '{a}' is not in its documents:\n{d}");
        }
        // A sizeable vocabulary for fluency.
        var vocabulary = Regex.Matches(corpus, "[A-Za-z]+").Select(m => m.Value.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        Assert.True(vocabulary.Count > 5000, $"only {vocabulary.Count} distinct words");
    }

    [Fact]
    public void Held_out_test_facts_are_only_in_the_knowledge_base_and_seen_ones_are_in_sft_training()
    {
        var kb = Jsonl("knowledge-base/documents.jsonl").ToDictionary(r => r.Str("id"), r => r.Str("text"), StringComparer.Ordinal);
        var training = SftTrainingFiles.Concat(["general/train.jsonl", "general/validation.jsonl"])
            .Select(f => (File: f, Text: File.ReadAllText(Path.Combine(Data, f)))).ToList();
        var trainAnswers = Jsonl("sft/train.jsonl").SelectMany(r => Messages(r)).Where(m => m.Role == "assistant")
            .Select(m => m.Content).ToHashSet(StringComparer.Ordinal);
        var trainQuestions = new[] { "sft/train.jsonl", "sft/validation.jsonl" }.SelectMany(Jsonl).SelectMany(r => Messages(r))
            .Where(m => m.Role == "user").Select(m => m.Content).ToHashSet(StringComparer.Ordinal);

        var test = Jsonl("sft/test.jsonl");
        var unseen = test.Where(r => !r.Json.GetProperty("seen_in_sft").GetBoolean()).ToList();
        var seen = test.Where(r => r.Json.GetProperty("seen_in_sft").GetBoolean()).ToList();
        Assert.True(unseen.Count >= 100 && seen.Count >= 100, $"{seen.Count} seen and {unseen.Count} unseen test items");

        foreach (var r in test)
        {
            var question = Messages(r).Last().Content;
            Assert.False(trainQuestions.Contains(question), $"{r.Where}: the test question also occurs in SFT training: {question}");
            foreach (var id in r.Json.GetProperty("gold_doc_ids").EnumerateArray().Select(g => g.GetString()!))
            {
                Assert.True(kb[id].Contains(r.Str("answer"), StringComparison.Ordinal), $"{r.Where}: gold document {id} does not contain the answer '{r.Str("answer")}'");
                if (r.Str("kind") != "policy" && r.Str("kind") != "company")
                    Assert.True(kb[id].Contains(r.Str("entity"), StringComparison.Ordinal), $"{r.Where}: gold document {id} does not name '{r.Str("entity")}'");
            }
        }
        foreach (var r in unseen)
        {
            var entity = r.Str("entity");
            Assert.True(Messages(r).Last().Content.Contains(entity, StringComparison.Ordinal), $"{r.Where}: the question does not name '{entity}'");
            foreach (var (file, text) in training)
                Assert.False(text.Contains(entity, StringComparison.Ordinal), $"{r.Where}: held-out '{entity}' appears in datasets/{file}");
            Assert.DoesNotContain(r.Str("reference"), trainAnswers);
        }
        foreach (var r in seen)
            Assert.True(trainAnswers.Contains(r.Str("reference")), $"{r.Where}: marked seen_in_sft but its reference answer is not in sft/train.jsonl");

        // Retrieval-augmented training: the answer is in the documents of the prompt, and those are verbatim KB documents.
        var style = StyleRegex();
        var docLine = new Regex(@"^\[([a-z0-9-]+)\] [^:]+: (.+)$");
        foreach (var r in Jsonl("sft/train-with-context.jsonl"))
        {
            var msgs = Messages(r).ToList();
            var lines = msgs[1].Content.Split('\n');
            Assert.True(lines[0] == "Documents:" && lines[^1].StartsWith("Question: ", StringComparison.Ordinal), $"{r.Where}: not in the rag_user_template layout");
            foreach (var l in lines[1..^1])
            {
                var m = docLine.Match(l);
                Assert.True(m.Success && kb.TryGetValue(m.Groups[1].Value, out var text) && text == m.Groups[2].Value, $"{r.Where}: '{l[..Math.Min(60, l.Length)]}' is not a knowledge-base document");
            }
            var answer = style.Match(msgs[2].Content).Groups[1].Value;
            Assert.True(msgs[1].Content.Contains(answer, StringComparison.Ordinal), $"{r.Where}: the answer '{answer}' is not in the documents");
        }
    }

    [Fact]
    public void Readmes_exist_and_quote_the_house_style_regex_license_and_command()
    {
        var regex = HouseStyle().GetProperty("regex").GetString()!;
        foreach (var folder in new[] { "", "knowledge-base", "sft", "general", "pretraining", "formats" })
        {
            var path = Path.Combine(Data, folder, "README.md");
            Assert.True(File.Exists(path), $"datasets/{folder}/README.md is missing");
            var text = File.ReadAllText(path);
            Assert.Contains("CC0", text);
            Assert.Contains("dotnet run datasets/generate.cs -- --seed 1234 --out datasets", text);
        }
        Assert.Contains(regex, File.ReadAllText(Path.Combine(Data, "README.md")));
        Assert.Contains(regex, File.ReadAllText(Path.Combine(Data, "sft", "README.md")));
    }

    static (int ExitCode, string Output) RunGenerator(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        psi.ArgumentList.Add("run");
        psi.ArgumentList.Add(Path.Combine(Data, "generate.cs"));
        psi.ArgumentList.Add("--");
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Run outside the test host's MSBuild context, and under a culture that formats numbers and
        // upper-cases "i" differently: the output must not depend on it.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["LANG"] = "tr_TR.UTF-8";
        psi.Environment["LC_ALL"] = "tr_TR.UTF-8";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet run datasets/generate.cs did not finish in 300 s");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void Generator_reproduces_the_committed_files_from_the_seed()
    {
        var manifestPath = Path.Combine(Data, "manifest.json");
        var manifest = JsonDocument.Parse(File.ReadAllText(manifestPath)).RootElement;
        var seed = manifest.GetProperty("seed").GetUInt64();
        var tmp = Directory.CreateTempSubdirectory("sftlab-datasets-");
        var other = Directory.CreateTempSubdirectory("sftlab-datasets-");
        try
        {
            var (code, output) = RunGenerator("--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", tmp.FullName);
            Assert.True(code == 0, "generator failed:\n" + output);
            const string hint = "; regenerate with `dotnet run datasets/generate.cs -- --seed 1234 --out datasets` and commit the result";
            foreach (var f in manifest.GetProperty("files").EnumerateArray())
            {
                var rel = f.GetProperty("path").GetString()!;
                var fresh = Path.Combine(tmp.FullName, rel);
                Assert.True(File.Exists(fresh), $"the generator no longer writes {rel}{hint}");
                Assert.True(File.ReadAllBytes(fresh).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(Data, rel))), $"datasets/{rel} differs from what the generator writes{hint}");
            }
            Assert.True(File.ReadAllText(manifestPath) == File.ReadAllText(Path.Combine(tmp.FullName, "manifest.json")), "datasets/manifest.json is stale" + hint);

            // The seed matters: another seed gives another world.
            (code, output) = RunGenerator("--seed", (seed + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", other.FullName);
            Assert.True(code == 0, "generator failed:\n" + output);
            Assert.NotEqual(File.ReadAllText(Path.Combine(tmp.FullName, "knowledge-base/documents.jsonl")), File.ReadAllText(Path.Combine(other.FullName, "knowledge-base/documents.jsonl")));
            Assert.NotEqual(File.ReadAllText(Path.Combine(tmp.FullName, "pretraining/validation.txt")), File.ReadAllText(Path.Combine(other.FullName, "pretraining/validation.txt")));

            (code, output) = RunGenerator("--seed", "twelve", "--out", other.FullName);
            Assert.Equal(2, code);
            Assert.Contains("--seed must be a non-negative integer, got 'twelve'", output);
        }
        finally
        {
            tmp.Delete(recursive: true);
            other.Delete(recursive: true);
        }
    }
}
