namespace SftLab.Tokenization;

/// <summary>
/// The result of encoding one text: the token ids a model reads, plus what a person needs to
/// inspect them: each token's string, the span of the input it came from, and which tokens are
/// special (added by the tokenizer, like BOS) rather than taken from the text.
/// </summary>
public sealed class Encoding
{
    internal Encoding(string? text, int[] ids, string[] tokens, (int Start, int End)[] offsets, int[] specialTokensMask,
        int[] attentionMask, int[] typeIds, IReadOnlyList<Encoding>? overflowing = null)
    {
        Text = text;
        Ids = ids;
        Tokens = tokens;
        Offsets = offsets;
        SpecialTokensMask = specialTokensMask;
        AttentionMask = attentionMask;
        TypeIds = typeIds;
        Overflowing = overflowing ?? [];
    }

    /// <summary>The text that was encoded (offsets point into it); for a pair, the first text.</summary>
    public string? Text { get; }

    /// <summary>Token ids, the model's input.</summary>
    public IReadOnlyList<int> Ids { get; }

    /// <summary>Token strings as stored in the vocabulary (byte-level tokenizers show a space as 'Ġ').</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>For each token, the [Start, End) char range of the input text it covers; (0, 0) for added special tokens and padding.</summary>
    public IReadOnlyList<(int Start, int End)> Offsets { get; }

    /// <summary>1 where the token is special (BOS/EOS, chat markers, padding), 0 where it comes from the text.</summary>
    public IReadOnlyList<int> SpecialTokensMask { get; }

    /// <summary>1 for real tokens, 0 for padding: tells the model which positions to ignore.</summary>
    public IReadOnlyList<int> AttentionMask { get; }

    /// <summary>Segment ids: 0 for the first text, 1 for the second of a pair (where the template says so).</summary>
    public IReadOnlyList<int> TypeIds { get; }

    /// <summary>With truncation, the windows that did not fit (each with the truncation stride of overlap).</summary>
    public IReadOnlyList<Encoding> Overflowing { get; }

    /// <summary>Number of tokens.</summary>
    public int Count => Ids.Count;

    /// <summary>
    /// One row per token for display (e.g. a notebook token view): index, id, token string, char offsets,
    /// whether it is special, and the slice of the input text it covers.
    /// </summary>
    public IReadOnlyList<TokenView> TokenViews
    {
        get
        {
            var list = new TokenView[Ids.Count];
            for (var i = 0; i < list.Length; i++)
            {
                var (s, e) = Offsets[i];
                var slice = Text != null && e <= Text.Length && s <= e ? Text[s..e] : "";
                list[i] = new TokenView(i, Ids[i], Tokens[i], s, e, SpecialTokensMask[i] != 0, slice);
            }
            return list;
        }
    }

    /// <summary>A short summary, e.g. "Encoding(5 tokens: [128000, 9906, ...])".</summary>
    public override string ToString() =>
        $"Encoding({Ids.Count} tokens: [{string.Join(", ", Ids.Take(12))}{(Ids.Count > 12 ? ", ..." : "")}])";
}

/// <summary>One token of an <see cref="Encoding"/>, ready to show: what the model sees and where it came from.</summary>
/// <param name="Index">Position in the encoding.</param>
/// <param name="Id">Token id.</param>
/// <param name="Token">Token string from the vocabulary.</param>
/// <param name="Start">First char of the input text it covers.</param>
/// <param name="End">One past the last char it covers.</param>
/// <param name="IsSpecial">Added by the tokenizer (BOS/EOS, chat markers, padding) rather than taken from the text.</param>
/// <param name="Text">The covered slice of the input text (empty for special tokens).</param>
public readonly record struct TokenView(int Index, int Id, string Token, int Start, int End, bool IsSpecial, string Text);

/// <summary>Which side of a sequence truncation or padding works on.</summary>
public enum Direction
{
    /// <summary>The end of the sequence (keep the beginning / pad after).</summary>
    Right,
    /// <summary>The beginning of the sequence (keep the end / pad before).</summary>
    Left,
}

/// <summary>How a pair of texts is shortened to fit.</summary>
public enum TruncationStrategy
{
    /// <summary>Remove tokens one at a time from whichever text is longer.</summary>
    LongestFirst,
    /// <summary>Only shorten the first text.</summary>
    OnlyFirst,
    /// <summary>Only shorten the second text.</summary>
    OnlySecond,
}

/// <summary>Cut encodings to at most <see cref="MaxLength"/> tokens (special tokens included).</summary>
/// <param name="MaxLength">The longest allowed encoding, special tokens included.</param>
/// <param name="Stride">Tokens of overlap between consecutive overflowing windows.</param>
/// <param name="Strategy">How a pair is shortened.</param>
/// <param name="Direction">Right keeps the beginning, Left keeps the end.</param>
public sealed record TruncationOptions(int MaxLength, int Stride = 0, TruncationStrategy Strategy = TruncationStrategy.LongestFirst, Direction Direction = Direction.Right);

/// <summary>Pad encodings with the pad token so a batch has one length.</summary>
/// <param name="Length">A fixed length, or null to pad a batch to its longest encoding.</param>
/// <param name="Direction">Right pads after the tokens, Left before.</param>
/// <param name="PadToMultipleOf">Round the padded length up to a multiple of this (e.g. 8 for tensor cores).</param>
/// <param name="PadId">The pad id; by default the tokenizer's pad token.</param>
/// <param name="PadTypeId">The type id of padding.</param>
public sealed record PaddingOptions(int? Length = null, Direction Direction = Direction.Right, int? PadToMultipleOf = null, int? PadId = null, int PadTypeId = 0);
