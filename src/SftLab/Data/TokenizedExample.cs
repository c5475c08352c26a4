namespace SftLab.Data;

/// <summary>
/// One training example after the chat template and the tokenizer: its token ids and, aligned
/// with them, the labels — the same ids where the loss should count, −100 where it should not
/// (prompt, system and user turns, padding). The model learns to predict labels[i+1] from ids[..i].
/// </summary>
/// <param name="InputIds">Token ids.</param>
/// <param name="Labels">Same length: the id to learn, or <see cref="IgnoreIndex"/> (−100).</param>
public sealed record TokenizedExample(long[] InputIds, long[] Labels)
{
    /// <summary>The label that contributes nothing to the loss (PyTorch's ignore_index).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>An example whose every token is learned (plain-text pretraining).</summary>
    public static TokenizedExample AllTokens(long[] ids) => new(ids, (long[])ids.Clone());

    /// <summary>Number of tokens.</summary>
    public int Length => InputIds.Length;

    /// <summary>Number of tokens that are predicted with loss (labels other than −100, except the first, which nothing predicts).</summary>
    public int LabelTokenCount
    {
        get
        {
            var n = 0;
            for (var i = 1; i < Labels.Length; i++) if (Labels[i] != IgnoreIndex) n++;
            return n;
        }
    }

    /// <summary>Checks ids and labels have the same length; throws naming the example.</summary>
    public TokenizedExample Validate(string where = "example")
    {
        if (InputIds.Length != Labels.Length)
            throw new ArgumentException($"{where}: {InputIds.Length} input ids but {Labels.Length} labels");
        if (InputIds.Length == 0) throw new ArgumentException($"{where}: no tokens");
        return this;
    }
}
