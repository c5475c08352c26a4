using SftLab.Torch;

namespace SftLab.Models;

/// <summary>
/// Rotary position embeddings (RoPE) as the Hugging Face Llama family applies them: each head's
/// vector is split in two halves (x1, x2) and rotated by angle position·θᵢ:
/// <c>x·cos + rotate_half(x)·sin</c> with <c>rotate_half(x) = [−x2, x1]</c>.
/// </summary>
public static class Rope
{
    /// <summary>θᵢ = 1 / base^(2i/d) for i in 0..d/2, with the config's rope_scaling applied (float32 [d/2]).</summary>
    public static Tensor InverseFrequencies(LlamaConfig config)
    {
        var dim = config.EffectiveHeadDim;
        var inv = new float[dim / 2];
        for (var i = 0; i < inv.Length; i++)
            inv[i] = (float)(1.0 / Math.Pow(config.RopeTheta, (2.0 * i) / dim));
        if (config.RopeScaling is { } s)
        {
            if (s.Type == "linear")
                for (var i = 0; i < inv.Length; i++) inv[i] = (float)(inv[i] / s.Factor);
            else if (s.Type == "llama3")
                ApplyLlama3(inv, s);
        }
        return Tensor.From(inv);
    }

    /// <summary>
    /// Llama 3.1's scaling: long wavelengths (low frequencies) are divided by <c>factor</c>, short
    /// ones are kept, and those in between are blended smoothly.
    /// </summary>
    private static void ApplyLlama3(float[] inv, RopeScaling s)
    {
        double oldContext = s.OriginalMaxPositionEmbeddings;
        var lowFreqWavelen = oldContext / s.LowFreqFactor;
        var highFreqWavelen = oldContext / s.HighFreqFactor;
        for (var i = 0; i < inv.Length; i++)
        {
            double f = inv[i];
            var wavelen = 2 * Math.PI / f;
            double scaled;
            if (wavelen > lowFreqWavelen) scaled = f / s.Factor;
            else if (wavelen < highFreqWavelen) scaled = f;
            else
            {
                var smooth = (oldContext / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                scaled = (1 - smooth) * f / s.Factor + smooth * f;
            }
            inv[i] = (float)scaled;
        }
    }

    /// <summary>cos and sin [B, 1, T, d] of the angles position·θ, for positions [B, T].</summary>
    public static (Tensor Cos, Tensor Sin) CosSin(Tensor invFreq, Tensor positionIds, DType dtype)
    {
        using var inv = invFreq.To(positionIds.Device);
        // [B, T, 1] * [d/2] -> [B, T, d/2], then duplicated to [B, T, d] (the two halves share angles).
        var freqs = positionIds.To(DType.Float32).Unsqueeze(-1) * inv;
        var emb = Tensor.Cat([freqs, freqs], -1).Unsqueeze(1);
        return (emb.Cos().To(dtype), emb.Sin().To(dtype));
    }

    /// <summary>Rotates x [B, heads, T, d] by the angles.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin) => x * cos + RotateHalf(x) * sin;

    /// <summary>[x1, x2] → [−x2, x1] over the last dimension.</summary>
    public static Tensor RotateHalf(Tensor x)
    {
        var half = x.Size(-1) / 2;
        return Tensor.Cat([-x.Narrow(-1, half, half), x.Narrow(-1, 0, half)], -1);
    }
}
