using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.Tests.Tokenization;

/// <summary>
/// Runs @huggingface/tokenizers (tests/oracles/tokenizers/encode.mjs) on tokenizer.json files the
/// tests build, with results cached under build/oracles/tokenizers/components keyed by a hash of
/// the request, the tokenizer files and the script.
/// </summary>
public static class ReferenceEncoder
{
    public sealed record Request(string Name, string TokenizerPath, string? ConfigPath, IReadOnlyList<string> Texts, bool AddSpecialTokens = true);

    public sealed record Result(int[][] Ids, string[] Decoded);

    private static bool HasLoneSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(s[i])) return true;
        }
        return false;
    }

    public static Dictionary<string, Result> Run(IReadOnlyList<Request> requests)
    {
        var arr = new JsonArray();
        foreach (var r in requests)
        {
            var texts = new JsonArray();
            foreach (var t in r.Texts)
                texts.Add(HasLoneSurrogate(t) ? new JsonObject { ["utf16"] = new JsonArray(t.Select(c => (JsonNode)JsonValue.Create((int)c)!).ToArray()) } : JsonValue.Create(t));
            arr.Add(new JsonObject
            {
                ["name"] = r.Name, ["tokenizer"] = r.TokenizerPath, ["config"] = r.ConfigPath,
                ["texts"] = texts, ["add_special_tokens"] = r.AddSpecialTokens,
            });
        }
        var requestBytes = System.Text.Encoding.UTF8.GetBytes(arr.ToJsonString());
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(requestBytes);
        var script = Path.Combine(TokenizerOracle.OracleFolder, "encode.mjs");
        sha.AppendData(File.ReadAllBytes(script));
        sha.AppendData(File.ReadAllBytes(Path.Combine(TokenizerOracle.OracleFolder, "package-lock.json")));
        foreach (var r in requests)
        {
            sha.AppendData(File.ReadAllBytes(r.TokenizerPath));
            if (r.ConfigPath != null) sha.AppendData(File.ReadAllBytes(r.ConfigPath));
        }
        var key = Convert.ToHexString(sha.GetHashAndReset())[..16];
        var dir = Path.Combine(TokenizerOracle.RepoRoot, "build", "oracles", "tokenizers", "components");
        Directory.CreateDirectory(dir);
        var outPath = Path.Combine(dir, key + ".json");
        if (!File.Exists(outPath))
        {
            if (!Directory.Exists(Path.Combine(TokenizerOracle.OracleFolder, "node_modules")))
                throw new InvalidOperationException("tests/oracles/tokenizers/node_modules is missing: run scripts/setup.sh");
            var reqPath = Path.Combine(dir, key + ".request.json");
            File.WriteAllBytes(reqPath, requestBytes);
            var (x, o, e) = TokenizerOracle.Run("node", script, reqPath, outPath);
            if (x != 0) throw new InvalidOperationException($"encode.mjs failed ({x}): {e}{o}");
            File.Delete(reqPath);
        }
        using var doc = JsonDocument.Parse(File.ReadAllBytes(outPath));
        var result = new Dictionary<string, Result>();
        foreach (var p in doc.RootElement.EnumerateObject())
            result[p.Name] = new Result(
                p.Value.GetProperty("ids").EnumerateArray().Select(a => a.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray(),
                p.Value.GetProperty("decoded").EnumerateArray().Select(v => v.GetString()!).ToArray());
        return result;
    }

    /// <summary>Writes JSON to build/oracles/tokenizers/variants/NAME/FILE and returns the path.</summary>
    public static string WriteVariant(string name, string file, JsonNode json)
    {
        var dir = Path.Combine(TokenizerOracle.RepoRoot, "build", "oracles", "tokenizers", "variants", name);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, file);
        var text = json.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        if (!File.Exists(path) || File.ReadAllText(path) != text) File.WriteAllText(path, text);
        return path;
    }
}
