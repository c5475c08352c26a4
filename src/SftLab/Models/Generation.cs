using SftLab.Torch;
using F = SftLab.Torch.Functional;

namespace SftLab.Models;

/// <summary>
/// How to pick the next tokens (transformers' GenerationConfig). The defaults are greedy
/// decoding of up to 64 tokens.
/// </summary>
public sealed record GenerationConfig
{
    /// <summary>Most tokens to add after the prompt.</summary>
    public int MaxNewTokens { get; init; } = 64;
    /// <summary>Sample from the distribution (true) or always take the most likely token (false, greedy).</summary>
    public bool DoSample { get; init; }
    /// <summary>Divides the logits before sampling: &lt; 1 sharper, &gt; 1 flatter.</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Sample only among the k most likely tokens (0 = off).</summary>
    public int TopK { get; init; }
    /// <summary>Sample only among the most likely tokens whose probabilities add up to p (1 = off).</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>&gt; 1 discourages tokens already in the sequence (CTRL's penalty, as transformers).</summary>
    public double RepetitionPenalty { get; init; } = 1.0;
    /// <summary>Tokens that end a sequence (default: the model config's eos ids).</summary>
    public IReadOnlyList<long>? EosTokenIds { get; init; }
    /// <summary>Texts that end a sequence when they appear in the decoded output (needs a decoder).</summary>
    public IReadOnlyList<string>? StopStrings { get; init; }
    /// <summary>Token used to left-pad batched prompts and to fill finished rows (default: pad, else eos, else 0).</summary>
    public long? PadTokenId { get; init; }
    /// <summary>Seed of the sampling generator (same seed, same samples).</summary>
    public ulong Seed { get; init; }
    /// <summary>Reuse keys/values of earlier positions (much faster; off only to compare).</summary>
    public bool UseCache { get; init; } = true;
}

/// <summary>Autoregressive text generation for <see cref="LlamaForCausalLM"/>.</summary>
public static class TextGeneration
{
    /// <summary>
    /// Continues each prompt. Prompts of different lengths are left-padded into one batch.
    /// Returns the new tokens of each prompt (without the prompt; including the eos token if one ended it).
    /// </summary>
    /// <param name="model">The model (put it in eval mode first).</param>
    /// <param name="prompts">Token ids of each prompt.</param>
    /// <param name="config">Sampling settings.</param>
    /// <param name="onToken">Called with (row, token) as each token is chosen: stream to a console or notebook.</param>
    /// <param name="decode">Turns ids into text; needed for <see cref="GenerationConfig.StopStrings"/>.</param>
    public static long[][] Generate(LlamaForCausalLM model, IReadOnlyList<long[]> prompts, GenerationConfig? config = null,
        Action<int, long>? onToken = null, Func<long[], string>? decode = null)
    {
        config ??= new GenerationConfig();
        if (prompts.Count == 0) return [];
        if (prompts.Any(p => p.Length == 0)) throw new ArgumentException("every prompt needs at least one token (e.g. the BOS token)");
        if (config.StopStrings is { Count: > 0 } && decode is null) throw new ArgumentException("StopStrings need a decode function");
        var eos = (config.EosTokenIds ?? model.Config.EosTokenIds).ToHashSet();
        var pad = config.PadTokenId ?? model.Config.PadTokenId ?? (eos.Count > 0 ? eos.First() : 0);
        var device = model.Device;
        int batch = prompts.Count, maxLen = prompts.Max(p => p.Length);

        // Left padding: every prompt ends at the same column, so the next token is always the last one.
        var ids = new long[batch * maxLen];
        var mask = new long[batch * maxLen];
        for (var b = 0; b < batch; b++)
        {
            var offset = maxLen - prompts[b].Length;
            for (var t = 0; t < maxLen; t++)
            {
                ids[b * maxLen + t] = t < offset ? pad : prompts[b][t - offset];
                mask[b * maxLen + t] = t < offset ? 0 : 1;
            }
        }
        var generated = Enumerable.Range(0, batch).Select(_ => new List<long>()).ToArray();
        var history = prompts.Select(p => p.ToList()).ToArray(); // for the repetition penalty
        var finished = new bool[batch];
        using var rng = new Generator(config.Seed);
        using var cache = config.UseCache ? model.NewCache() : null;
        using var _ = Autograd.NoGrad();

        var allIds = ids.ToList();
        var allMask = mask.ToList();
        var columns = maxLen;
        long[] stepIds = ids;
        var stepColumns = maxLen;
        var padded = prompts.Any(p => p.Length != maxLen);
        for (var step = 0; step < config.MaxNewTokens && !finished.All(f => f); step++)
        {
            using var scope = DisposeScope.Begin();
            Tensor? attention = null, positions = null;
            if (padded)
            {
                attention = Tensor.From<long>(allMask.ToArray(), [batch, columns], device);
                // Positions count real tokens only, so a left-padded prompt starts at position 0.
                positions = (attention.Cumsum(1) - 1.0).To(DType.Int64).MaskedFill(attention.Eq(0), 1)
                    .Narrow(1, columns - stepColumns, stepColumns);
            }
            var input = Tensor.From<long>(stepIds, [batch, stepColumns], device);
            var logits = model.Forward(input, attention, positions, cache);
            var next = ChooseNext(logits.Select(1, stepColumns - 1).To(DType.Float32), history, config, rng);

            var chosen = new long[batch];
            for (var b = 0; b < batch; b++)
            {
                chosen[b] = finished[b] ? pad : next[b];
                if (finished[b]) continue;
                generated[b].Add(next[b]);
                history[b].Add(next[b]);
                onToken?.Invoke(b, next[b]);
                if (eos.Contains(next[b])) finished[b] = true;
                else if (config.StopStrings is { Count: > 0 } stops)
                {
                    var text = decode!(generated[b].ToArray());
                    if (stops.Any(s => text.Contains(s, StringComparison.Ordinal))) finished[b] = true;
                }
            }
            for (var b = 0; b < batch; b++)
            {
                allIds.Insert((b + 1) * (columns + 1) - 1, chosen[b]);
                allMask.Insert((b + 1) * (columns + 1) - 1, 1);
            }
            columns++;
            if (config.UseCache)
            {
                stepIds = chosen;
                stepColumns = 1;
            }
            else
            {
                stepIds = allIds.ToArray();
                stepColumns = columns;
            }
        }
        return generated.Select(g => g.ToArray()).ToArray();
    }

    /// <summary>Greedy continuation of one prompt (convenience).</summary>
    public static long[] Generate(LlamaForCausalLM model, long[] prompt, GenerationConfig? config = null, Action<long>? onToken = null) =>
        Generate(model, [prompt], config, onToken is null ? null : (_, t) => onToken(t))[0];

    /// <summary>Applies repetition penalty, temperature, top-k and top-p to logits [B, V], then picks one token per row.</summary>
    internal static long[] ChooseNext(Tensor logits, IReadOnlyList<List<long>> history, GenerationConfig config, Generator rng)
    {
        if (config.RepetitionPenalty != 1.0)
        {
            var width = history.Max(h => h.Count);
            var seen = new long[history.Count * width];
            for (var b = 0; b < history.Count; b++)
                for (var i = 0; i < width; i++)
                    seen[b * width + i] = i < history[b].Count ? history[b][i] : history[b][0]; // repeats are harmless
            var index = Tensor.From<long>(seen, [history.Count, width], logits.Device);
            var score = logits.Gather(1, index);
            score = Tensor.Where(score.Lt(0), score * config.RepetitionPenalty, score / config.RepetitionPenalty);
            logits = logits.Scatter(1, index, score);
        }
        if (!config.DoSample) return logits.Argmax(1).ToArray<long>();

        if (config.Temperature <= 0) throw new ArgumentException("Temperature must be > 0 when sampling (use DoSample = false for greedy)");
        logits = logits / config.Temperature;
        if (config.TopK > 0 && config.TopK < logits.Size(-1))
        {
            var kth = logits.TopK(config.TopK, -1).Values.Narrow(-1, config.TopK - 1, 1);
            logits = logits.MaskedFill(logits.Lt(kth), double.NegativeInfinity);
        }
        if (config.TopP < 1.0)
        {
            var (sorted, order) = logits.Sort(-1, descending: true);
            var cumulative = F.Softmax(sorted, -1).Cumsum(-1);
            // Drop a token when the tokens before it already reach p (the most likely one is always kept).
            var drop = (cumulative - F.Softmax(sorted, -1)).Gt(config.TopP);
            var dropInOrder = Tensor.Zeros(logits.Shape, DType.Bool, logits.Device).Scatter(-1, order, drop);
            logits = logits.MaskedFill(dropInOrder, double.NegativeInfinity);
        }
        var probs = F.Softmax(logits, -1);
        return F.Multinomial(probs, 1, generator: rng).Reshape(-1).ToArray<long>();
    }
}
