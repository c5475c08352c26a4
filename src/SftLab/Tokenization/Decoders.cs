

namespace SftLab.Tokenization;

/// <summary>A tokenizer.json decoder: turns token strings back into text.</summary>
internal abstract class Decoder
{
    /// <summary>Transforms the list of token strings (each decoder in a sequence sees the previous one's output).</summary>
    public abstract List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens);

    public static Decoder? FromJson(JsonNav? node)
    {
        if (node is not { } n) return null;
        var type = n.Type();
        switch (type)
        {
            case "ByteLevel": return new ByteLevelDecoder();
            case "ByteFallback": return new ByteFallbackDecoder();
            case "Fuse": return new FuseDecoder();
            case "Metaspace":
                {
                    var rep = n.OptString("replacement", "\u2581");
                    string scheme;
                    if (n.Optional("prepend_scheme") is { } ps) scheme = ps.String();
                    else scheme = n.OptBool("add_prefix_space", true) ? "always" : "never";
                    return new MetaspaceDecoder(rep, scheme != "never");
                }
            case "Replace":
                return new ReplaceDecoder(Patterns.FromJson(n.Required("pattern")), n.Required("content").String());
            case "Strip":
                return new StripDecoder(n.Required("content").String(), n.OptInt("start", 0), n.OptInt("stop", 0));
            case "Sequence":
                return new SequenceDecoder(n.Required("decoders").Items().Select(x => FromJson(x)!).ToArray());
            case "WordPiece":
                return new WordPieceDecoder(n.OptString("prefix", "##"), n.OptBool("cleanup", true));
            case "BPEDecoder":
                return new BpeDecoder(n.OptString("suffix", "</w>"));
            case "CTC":
                return new CtcDecoder(n.OptString("pad_token", "<pad>"), n.OptString("word_delimiter_token", "|"), n.OptBool("cleanup", true));
            default:
                throw n.Required("type").Error($"unknown decoder type \"{type}\"");
        }
    }

    /// <summary>The clean-up of spaces before punctuation that Hugging Face applies when clean_up_tokenization_spaces is on.</summary>
    public static string CleanUp(string text) => text.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",")
        .Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
}

internal sealed class SequenceDecoder(Decoder[] items) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens)
    {
        foreach (var d in items) tokens = d.DecodeChain(tokens, addedTokens);
        return tokens;
    }
}

/// <summary>Maps byte-level alphabet chars back to bytes and decodes UTF-8 (invalid bytes become U+FFFD).</summary>
internal sealed class ByteLevelDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens)
    {
        var result = new List<string>();
        var bytes = new List<byte>();
        void Flush()
        {
            if (bytes.Count == 0) return;
            result.Add(System.Text.Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
            bytes.Clear();
        }
        foreach (var t in tokens)
        {
            if (addedTokens.Contains(t)) { Flush(); result.Add(t); continue; }
            foreach (var c in t)
            {
                var b = ByteLevelAlphabet.ToByte(c);
                if (b >= 0) bytes.Add((byte)b);
                else
                {
                    // A char outside the alphabet: keep it as its own UTF-8.
                    bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(c.ToString()));
                }
            }
        }
        Flush();
        return result;
    }
}

/// <summary>Turns runs of &lt;0xNN&gt; tokens into the text their bytes spell.</summary>
internal sealed class ByteFallbackDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens)
    {
        var result = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        void Flush()
        {
            if (bytes.Count == 0) return;
            result.Add(System.Text.Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
        foreach (var t in tokens)
        {
            if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' &&
                byte.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out var b))
            {
                bytes.Add(b);
                continue;
            }
            Flush();
            result.Add(t);
        }
        Flush();
        return result;
    }
}

internal sealed class FuseDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens) => [string.Concat(tokens)];
}

internal sealed class MetaspaceDecoder(string replacement, bool addPrefixSpace) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens)
    {
        var r = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i].Replace(replacement, " ");
            if (i == 0 && addPrefixSpace && t.StartsWith(' ')) t = t[1..];
            r.Add(t);
        }
        return r;
    }
}

internal sealed class ReplaceDecoder(PatternMatcher pattern, string content) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens) =>
        tokens.Select(t => ReplaceNormalizer.Apply(new NormalizedString(t, 0), pattern, content).Text).ToList();
}

internal sealed class StripDecoder(string content, int start, int stop) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens)
    {
        if (content.Length != 1) return tokens;
        var c = content[0];
        return tokens.Select(t =>
        {
            var a = 0;
            for (var i = 0; i < start && a < t.Length && t[a] == c; i++) a++;
            var e = t.Length;
            for (var i = 0; i < stop && e > a && t[e - 1] == c; i++) e--;
            return t[a..e];
        }).ToList();
    }
}

internal sealed class WordPieceDecoder(string prefix, bool cleanup) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens)
    {
        var r = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (i != 0) t = t.StartsWith(prefix, StringComparison.Ordinal) ? t[prefix.Length..] : " " + t;
            r.Add(cleanup ? CleanUp(t) : t);
        }
        return r;
    }
}

internal sealed class BpeDecoder(string suffix) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens) =>
        tokens.Select((t, i) => t.Replace(suffix, i == tokens.Count - 1 ? "" : " ")).ToList();
}

internal sealed class CtcDecoder(string pad, string delimiter, bool cleanup) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens)
    {
        var dedup = new List<string>();
        foreach (var t in tokens) if (dedup.Count == 0 || dedup[^1] != t) dedup.Add(t);
        var text = string.Concat(dedup.Where(t => t != pad));
        if (cleanup) text = CleanUp(text).Replace(delimiter, " ").Trim();
        return [text];
    }
}
