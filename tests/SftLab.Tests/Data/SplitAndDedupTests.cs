using System.Text.Json;
using System.Text.Json.Nodes;
using SftLab.Data;
using SftLab.Tests.Cli;

namespace SftLab.Tests.Data;

/// <summary>
/// Splits are exact, disjoint, cover every row and depend only on the seed (also across processes and after
/// the file is shuffled); shuffling is a seeded permutation; exact and near duplicates are found as an
/// independent brute-force Jaccard computation says.
/// </summary>
public sealed class SplitAndDedupTests
{
    private static Dataset Sft() => Dataset.Load(DataFixtures.Dataset("sft/train.jsonl"));

    private static string[] Keys(Dataset d) => [.. d.Select(r => r.Location)];

    [Fact]
    public void SplitsAreExactDisjointAndStableUnderTheSeed()
    {
        var data = Sft();
        var a = data.Split(validationFraction: 0.1, testFraction: 0.05, seed: 7);
        var b = Sft().Split(validationFraction: 0.1, testFraction: 0.05, seed: 7);
        Assert.Equal(Keys(a.Train), Keys(b.Train));
        Assert.Equal(Keys(a.Validation), Keys(b.Validation));
        Assert.Equal(Keys(a.Test), Keys(b.Test));

        Assert.Equal(300, a.Validation.Count);
        Assert.Equal(150, a.Test.Count);
        Assert.Equal(data.Count - 450, a.Train.Count);
        var all = Keys(a.Train).Concat(Keys(a.Validation)).Concat(Keys(a.Test)).ToList();
        Assert.Equal(data.Count, all.Distinct().Count());
        Assert.Equal(all.Count, all.Distinct().Count());
        // Each part keeps the file order.
        Assert.True(a.Train.Select(r => r.Line).SequenceEqual(a.Train.Select(r => r.Line).Order()));

        // Another seed, another split.
        var c = data.Split(0.1, 0.05, seed: 8);
        Assert.NotEqual(Keys(a.Validation), Keys(c.Validation));
        // The file's order does not matter: a shuffled copy splits the same rows the same way.
        var shuffled = data.Shuffle(123);
        var d = shuffled.Split(0.1, 0.05, seed: 7);
        Assert.Equal(Keys(a.Validation).Order(), Keys(d.Validation).Order());
        Assert.Equal(Keys(a.Test).Order(), Keys(d.Test).Order());
    }

    [Fact]
    public void ExactDuplicatesLandInTheSameSplit()
    {
        var rows = Enumerable.Range(0, 200).Select(i => new JsonObject { ["text"] = $"document number {i % 50}" }).ToList();
        var data = Dataset.FromJson(rows);
        var s = data.Split(0.2, 0.2, seed: 3);
        string Part(DatasetRow r) => s.Train.Contains(r) ? "train" : s.Validation.Contains(r) ? "validation" : "test";
        // 50 distinct texts, 4 copies each: at most two texts (those at the cut points) straddle two parts.
        var straddling = data.GroupBy(r => r.Text).Count(g => g.Select(Part).Distinct().Count() > 1);
        Assert.True(straddling <= 2, $"{straddling} duplicated texts are split across parts");
    }

    [Fact]
    public void SplitIsTheSameInAnotherProcess()
    {
        // string.GetHashCode is randomized per process: a split built on it would differ here.
        var dir = DataFixtures.TempDir();
        var file = DataFixtures.Dataset("sft/validation.jsonl");
        var (code, stdout, stderr) = CliRunner.Run("data", "clean", file, "--out", dir, "--no-dedup", "--validation", "0.2", "--test", "0.1", "--seed", "99");
        Assert.True(code == 0, stderr + stdout);
        var local = Dataset.Load(file).Split(0.2, 0.1, seed: 99);
        string[] Lines(string f) => [.. File.ReadLines(Path.Combine(dir, f))];
        Assert.Equal(local.Train.Select(r => r.Raw.ToJsonString()), Lines("train.jsonl").Select(l => JsonNode.Parse(l)!.ToJsonString()));
        Assert.Equal(local.Validation.Select(r => r.Raw.ToJsonString()), Lines("validation.jsonl").Select(l => JsonNode.Parse(l)!.ToJsonString()));
        Assert.Equal(local.Test.Select(r => r.Raw.ToJsonString()), Lines("test.jsonl").Select(l => JsonNode.Parse(l)!.ToJsonString()));
    }

    [Fact]
    public void ShuffleIsASeededPermutation()
    {
        var data = Sft();
        var a = Keys(data.Shuffle(5));
        Assert.Equal(a, Keys(Sft().Shuffle(5)));
        Assert.NotEqual(a, Keys(data.Shuffle(6)));
        Assert.NotEqual(Keys(data), a);
        Assert.Equal(Keys(data).Order(), a.Order());
        // Roughly uniform: the first row lands in each tenth of the order about equally often over many seeds.
        var buckets = new int[10];
        var small = Dataset.FromJson(Enumerable.Range(0, 10).Select(i => new JsonObject { ["text"] = $"t{i}" }));
        for (ulong seed = 0; seed < 2000; seed++) buckets[small.Shuffle(seed).Select((r, i) => (r, i)).Single(x => x.r.Text == "t0").i]++;
        Assert.All(buckets, n => Assert.InRange(n, 140, 260));
    }

    /// <summary>The reference: word 5-gram sets and their Jaccard similarity, brute force over all pairs (LINQ sets, no MinHash).</summary>
    private static HashSet<string> Grams(string text)
    {
        var words = new List<string>();
        var w = "";
        foreach (var c in text + " ")
        {
            if (char.IsLetterOrDigit(c)) w += char.ToLowerInvariant(c);
            else if (w.Length > 0) { words.Add(w); w = ""; }
        }
        if (words.Count <= 5) return [string.Join(' ', words)];
        return [.. Enumerable.Range(0, words.Count - 4).Select(i => string.Join(' ', words.Skip(i).Take(5)))];
    }

    private static double J(HashSet<string> a, HashSet<string> b) => (double)a.Intersect(b).Count() / a.Union(b).Count();

    [Fact]
    public void NearDuplicatesMatchBruteForceJaccard()
    {
        // Real conversations, plus edited copies: a word changed, a greeting added, whitespace changed, a sentence dropped.
        var source = Dataset.Load(DataFixtures.Dataset("general/train.jsonl")).Take(150).ToList();
        var rng = new Random(11);
        var rows = new List<JsonObject>();
        foreach (var r in source) rows.Add((JsonObject)r.Raw.DeepClone());
        for (var k = 0; k < 60; k++)
        {
            var copy = (JsonObject)source[rng.Next(source.Count)].Raw.DeepClone();
            var messages = copy["messages"]!.AsArray();
            var m = messages[rng.Next(messages.Count)]!.AsObject();
            var content = m["content"]!.GetValue<string>();
            m["content"] = (k % 4) switch
            {
                0 => content.Replace(" the ", " a "),
                1 => "Well, " + content,
                2 => content.Replace(" ", "  "),
                _ => content.Contains(". ") ? content[..content.LastIndexOf(". ", StringComparison.Ordinal)] + "." : content + " Indeed.",
            };
            rows.Add(copy);
        }
        var data = Dataset.FromJson(rows);
        var options = new DeduplicationOptions { Threshold = 0.8 };
        var result = data.Deduplicate(options);

        // Reference: a row is a duplicate when an earlier row that is itself kept has Jaccard >= 0.8
        // (exact duplicates after whitespace collapsing count as similarity 1).
        var grams = data.Select(r => Grams(r.ContentText)).ToList();
        var keys = data.Select(r => string.Join(' ', r.ContentText.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))).ToList();
        var keptIdx = new List<int>();
        var expectedRemoved = new List<int>();
        for (var i = 0; i < data.Count; i++)
        {
            if (keptIdx.Any(k => keys[k] == keys[i] || J(grams[k], grams[i]) >= 0.8)) expectedRemoved.Add(i);
            else keptIdx.Add(i);
        }
        Assert.True(expectedRemoved.Count >= 20, $"the edits should make near duplicates ({expectedRemoved.Count})");
        Assert.Equal(expectedRemoved.Select(i => data[i].Line), result.Removed.Select(d => d.Removed.Line).Order());
        Assert.Equal(data.Count - expectedRemoved.Count, result.Kept.Count);
        foreach (var d in result.Removed)
        {
            var i = (int)d.Removed.Line - 1;
            var k = (int)d.KeptAs.Line - 1;
            Assert.True(k < i);
            if (d.Exact) Assert.Equal(keys[k], keys[i]);
            else Assert.Equal(J(grams[k], grams[i]), d.Similarity, 9);
        }
        Assert.Contains(result.Removed, d => d.Exact);
        Assert.Contains(result.Removed, d => !d.Exact);
    }

    [Fact]
    public void TemplatedAnswersAboutDifferentFactsAreNotNearDuplicates()
    {
        // The SFT set repeats each fact 6-14 times in different wordings, but every row differs in its question:
        // no row should be removed as a near duplicate at 0.8 unless the brute-force reference agrees.
        var data = Dataset.Load(DataFixtures.Dataset("sft/validation.jsonl"));
        var result = data.Deduplicate(new DeduplicationOptions { Exact = false });
        var grams = data.Select(r => Grams(r.ContentText)).ToList();
        foreach (var d in result.Removed)
            Assert.True(J(grams[(int)d.KeptAs.Line - 1], grams[(int)d.Removed.Line - 1]) >= 0.8);
        Assert.Equal(data.Count, result.Kept.Count + result.Removed.Count);
    }

    [Fact]
    public void CleanCommandWritesSplitsAndTheRemovedRows()
    {
        var src = DataFixtures.WriteFile("dups.jsonl",
            "{\"text\": \"The cat sat on the warm mat in the afternoon sun.\"}",
            "{\"text\": \"The cat sat on the warm mat in the afternoon sun.\"}",
            "{\"text\": \"A dog ran across the wide field to fetch the ball.\"}",
            "{\"text\": \"Rain fell all night over the quiet harbour town.\"}");
        var dir = DataFixtures.TempDir();
        var (code, stdout, stderr) = CliRunner.Run("data", "clean", src, "--out", dir, "--validation", "0.34", "--seed", "1");
        Assert.True(code == 0, stderr + stdout);
        var removed = File.ReadLines(Path.Combine(dir, "removed.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).Single();
        Assert.Equal(2, removed.GetProperty("line").GetInt32());
        Assert.Equal(1, removed.GetProperty("duplicate_of_line").GetInt32());
        Assert.Equal(2, File.ReadLines(Path.Combine(dir, "train.jsonl")).Count());
        Assert.Single(File.ReadLines(Path.Combine(dir, "validation.jsonl")));
        Assert.Contains("1 exact", stdout);
    }
}
