namespace SftLab.ChatTemplates;

/// <summary>
/// Turns character-level assistant spans into a per-token mask, whatever the tokenizer: a token is the
/// assistant's when its characters lie inside an assistant span (so the end-of-turn token, which is inside, is
/// learned too). In supervised fine-tuning the loss is computed only where the mask is 1.
/// </summary>
public static class AssistantMask
{
    /// <summary>
    /// Tokenizes <paramref name="text"/> with <paramref name="tokenize"/> (which returns token ids and each token's
    /// [Start, End) character offsets) and marks each token 1 when its offsets lie inside one of <paramref name="spans"/>.
    /// A zero-width token counts as inside when its position is strictly inside a span.
    /// </summary>
    /// <exception cref="ArgumentException">The tokenizer returned mismatched or out-of-range offsets.</exception>
    public static (int[] Ids, byte[] Mask) Build(string text, IReadOnlyList<AssistantSpan> spans,
        Func<string, (int[] Ids, (int Start, int End)[] Offsets)> tokenize)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentNullException.ThrowIfNull(tokenize);
        var (ids, offsets) = tokenize(text);
        if (ids.Length != offsets.Length)
            throw new ArgumentException($"the tokenizer returned {ids.Length} ids but {offsets.Length} offsets");
        var sorted = spans.OrderBy(s => s.Start).ToArray();
        var mask = new byte[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            var (s, e) = offsets[i];
            if (s < 0 || e < s || e > text.Length)
                throw new ArgumentException($"token {i}: offsets ({s}, {e}) are outside the text of length {text.Length}");
            foreach (var span in sorted)
            {
                if (span.Start > s) break;
                if (e <= span.End && (e > s || (s > span.Start && s < span.End)))
                {
                    mask[i] = 1;
                    break;
                }
            }
        }
        return (ids, mask);
    }

    /// <summary>Renders <paramref name="messages"/> with <paramref name="template"/> and builds ids and mask in one call.</summary>
    public static (int[] Ids, byte[] Mask, ChatTemplateResult Rendered) Build(ChatTemplate template, System.Text.Json.Nodes.JsonArray messages,
        Func<string, (int[] Ids, (int Start, int End)[] Offsets)> tokenize, ChatTemplateOptions? options = null)
    {
        var r = template.Apply(messages, options);
        var (ids, mask) = Build(r.Text, r.AssistantSpans, tokenize);
        return (ids, mask, r);
    }
}
