using SftLab.Torch;
using F = SftLab.Torch.Functional;

namespace SftLab.Models;

/// <summary>How likely a model finds a text: per-token log-probabilities and perplexity.</summary>
public static class Scoring
{
    /// <summary>
    /// log p(ids[i+1] | ids[0..i]) for i = 0..n−2 (n−1 values): how surprised the model is by each next token.
    /// </summary>
    public static double[] LogProbs(LlamaForCausalLM model, long[] ids)
    {
        if (ids.Length < 2) return [];
        using var scope = DisposeScope.Begin();
        using var _ = Autograd.NoGrad();
        var input = Tensor.From<long>(ids, [1, ids.Length], model.Device);
        var logits = model.Forward(input).To(DType.Float32);            // [1, n, V]
        var logp = F.LogSoftmax(logits.Narrow(1, 0, ids.Length - 1), -1); // predictions for positions 1..n-1
        var targets = input.Narrow(1, 1, ids.Length - 1).Unsqueeze(-1);
        return logp.Gather(2, targets).Reshape(-1).To(DType.Float64).ToArray<double>();
    }

    /// <summary>exp(−mean log p): the "effective number of choices" per token. Lower is better.</summary>
    public static double Perplexity(LlamaForCausalLM model, long[] ids)
    {
        var lp = LogProbs(model, ids);
        if (lp.Length == 0) throw new ArgumentException("perplexity needs at least two tokens");
        return Math.Exp(-lp.Average());
    }
}
