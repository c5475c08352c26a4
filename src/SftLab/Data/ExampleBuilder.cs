using System.Text.Json.Nodes;
using SftLab.ChatTemplates;
using SftLab.Tokenization;
using SftLab.Training;

namespace SftLab.Data;

/// <summary>How rows become training examples: which tokens are learned and how long examples may be. Names follow TRL's SFTConfig.</summary>
public sealed record ExampleOptions
{
    /// <summary>Longest example in tokens; longer ones are truncated per <see cref="TruncationMode"/>. Null: no limit.</summary>
    public int? MaxLength { get; init; }

    /// <summary>keep_start (drop the end of a too-long example, TRL's default) or keep_end (drop its start).</summary>
    public string TruncationMode { get; init; } = "keep_start";

    /// <summary>
    /// For conversations: learn only the assistant's turns — their content and the end-of-turn token that
    /// closes them (so the model learns to stop) — and mask everything else (system, user, tool turns, the
    /// template's headers) with −100. Off by default (as in TRL): every token is learned.
    /// </summary>
    public bool AssistantOnlyLoss { get; init; }

    /// <summary>
    /// For prompt-completion rows (and Alpaca rows): learn only the completion. Null (the default) means yes
    /// for rows that have a completion, as in TRL.
    /// </summary>
    public bool? CompletionOnlyLoss { get; init; }

    /// <summary>Append the EOS token to plain-text and string prompt-completion rows when they do not already end with it (as TRL does), so the model learns where a document ends. Conversations get their end-of-turn tokens from the chat template.</summary>
    public bool AddEos { get; init; } = true;

    /// <summary>The data settings of a training config.</summary>
    public static ExampleOptions FromConfig(SftConfig config) => new()
    {
        MaxLength = config.MaxLength,
        TruncationMode = config.TruncationMode,
        AssistantOnlyLoss = config.AssistantOnlyLoss,
        CompletionOnlyLoss = config.CompletionOnlyLoss,
    };
}

/// <summary>
/// One row after the chat template and the tokenizer, before truncation: the text the model reads, its
/// tokens with their character offsets, and the labels (the token id where the loss counts, −100 elsewhere).
/// <see cref="Example"/> is the (possibly truncated) <see cref="TokenizedExample"/> the trainer takes.
/// </summary>
public sealed record BuiltExample(DatasetRow Row, string Text, int[] Ids, (int Start, int End)[] Offsets, long[] Labels, TokenizedExample Example)
{
    /// <summary>Tokens before truncation.</summary>
    public int FullLength => Ids.Length;

    /// <summary>True when <see cref="Example"/> lost tokens to the max length.</summary>
    public bool Truncated => Example.Length < Ids.Length;

    /// <summary>
    /// The tokens for a notebook token view (<see cref="Visualization.Views.Tokens"/>): each token's text (its slice of
    /// <see cref="Text"/>, or the token itself when the builder added it), id, whether it is special, and whether it is
    /// masked (label −100), so the view hatches what the loss ignores.
    /// </summary>
    public IReadOnlyList<Visualization.TokenInfo> TokenInfos(Tokenizer tokenizer)
    {
        var list = new Visualization.TokenInfo[Ids.Length];
        var cursor = 0;
        for (var i = 0; i < Ids.Length; i++)
        {
            var (s, e) = Offsets[i];
            var special = tokenizer.IsSpecial(Ids[i]);
            // Tokens that share characters (the byte pieces of one character) show them once, on the first.
            var start = Math.Max(s, cursor);
            var text = e > s ? (start < e ? Text[start..e] : "") : special ? tokenizer.DecodeToken(Ids[i]) : "";
            cursor = Math.Max(cursor, e);
            list[i] = new Visualization.TokenInfo(text, Ids[i], special, Labels[i] == TokenizedExample.IgnoreIndex);
        }
        return list;
    }

    /// <summary>The text of the learned tokens, in order (what the loss teaches), decoded by <paramref name="tokenizer"/>.</summary>
    public string LearnedText(Tokenizer tokenizer) =>
        tokenizer.Decode(Ids.Where((_, i) => Labels[i] != TokenizedExample.IgnoreIndex), skipSpecialTokens: false, cleanUpTokenizationSpaces: false);
}

/// <summary>
/// Turns dataset rows into <see cref="TokenizedExample"/>s: renders conversations with the chat template,
/// tokenizes, and labels each token with its id where the loss should count or −100 where it should not.
/// <list type="bullet">
/// <item>Conversations: the template's text; with <see cref="ExampleOptions.AssistantOnlyLoss"/>, only the
/// assistant spans (content + end-of-turn, from <see cref="ChatTemplate.Apply(JsonArray, ChatTemplateOptions?)"/>) are learned.</item>
/// <item>Prompt-completion (conversational or Alpaca): the template renders prompt + completion; the prompt
/// is what the template writes for the prompt with the generation prompt (e.g. "&lt;|im_start|&gt;assistant\n"),
/// so completion-only loss learns exactly the answer and its end-of-turn.</item>
/// <item>String prompt-completion: prompt + completion + EOS, no template; completion-only by default.</item>
/// <item>Text: the document + EOS, every token learned.</item>
/// </list>
/// Special tokens: a chat template writes its own (e.g. Llama 3's &lt;|begin_of_text|&gt;), so its text is
/// tokenized without adding any; BOS is added only when the template did not write it and the tokenizer asks
/// for it (<see cref="Tokenizer.AddBosToken"/>), so there is never a double BOS. Plain strings get what the
/// tokenizer's post-processor adds. Labels never depend on token ids: an EOS token that is also the padding
/// token is learned like any other (masking "all pad tokens" would hide the EOS, a classic bug).
/// Encoding is thread-safe: <see cref="BuildAll"/> runs rows in parallel.
/// </summary>
public sealed class ExampleBuilder
{
    private readonly int[] _prefix;
    private readonly int[] _suffix;
    private readonly int? _eos;
    private readonly int? _bos;

    /// <summary>Creates a builder.</summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="template">The chat template (needed for conversational rows); e.g. <see cref="ChatTemplate.FromTokenizerConfig"/> or <see cref="ChatTemplate.FromBuiltin"/>.</param>
    /// <param name="options">Masking and truncation.</param>
    public ExampleBuilder(Tokenizer tokenizer, ChatTemplate? template = null, ExampleOptions? options = null)
    {
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Template = template;
        Options = options ?? new ExampleOptions();
        if (Options.TruncationMode is not ("keep_start" or "keep_end"))
            throw new ArgumentException($"truncation mode must be keep_start or keep_end, not '{Options.TruncationMode}'");
        if (Options.MaxLength is < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxLength must be positive");
        // What the post-processor adds around a text (e.g. BOS): the difference between encoding with and without special tokens.
        var plain = tokenizer.Encode("a", addSpecialTokens: false).Ids.ToArray();
        var full = tokenizer.Encode("a", addSpecialTokens: true).Ids.ToArray();
        var at = IndexOf(full, plain);
        _prefix = at < 0 ? [] : full[..at];
        _suffix = at < 0 ? [] : full[(at + plain.Length)..];
        _eos = tokenizer.EosTokenId;
        _bos = tokenizer.BosTokenId;
    }

    /// <summary>
    /// A builder from files, as the command line and training jobs name them.
    /// </summary>
    /// <param name="tokenizerPath">A model folder (tokenizer.json + tokenizer_config.json) or a tokenizer.json file.</param>
    /// <param name="chatTemplate">
    /// Null: the chat template of the tokenizer's tokenizer_config.json, if it has one. Else a built-in name
    /// (chatml, llama3, mistral, zephyr, alpaca), a tokenizer_config.json, or a Jinja file (.jinja) that uses the
    /// tokenizer's BOS and EOS tokens.
    /// </param>
    /// <param name="options">Masking and truncation.</param>
    public static ExampleBuilder FromFiles(string tokenizerPath, string? chatTemplate = null, ExampleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizerPath);
        var tokenizer = Directory.Exists(tokenizerPath) ? Tokenizer.FromFolder(tokenizerPath) : Tokenizer.FromFile(tokenizerPath);
        var folder = Directory.Exists(tokenizerPath) ? tokenizerPath : Path.GetDirectoryName(Path.GetFullPath(tokenizerPath))!;
        ChatTemplate? template = null;
        if (chatTemplate is null)
        {
            var config = Path.Combine(folder, "tokenizer_config.json");
            if (tokenizer.ChatTemplate is not null && File.Exists(config)) template = ChatTemplate.FromTokenizerConfig(config);
        }
        else if (BuiltinChatTemplates.Names.Contains(chatTemplate.ToLowerInvariant()) && !File.Exists(chatTemplate))
            template = ChatTemplate.FromBuiltin(chatTemplate);
        else if (chatTemplate.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            template = ChatTemplate.FromTokenizerConfig(chatTemplate);
        else if (File.Exists(chatTemplate))
            template = new ChatTemplate(File.ReadAllText(chatTemplate), tokenizer.BosToken, tokenizer.EosToken, chatTemplate);
        else
            throw new ArgumentException($"chat template '{chatTemplate}' is neither a built-in ({string.Join(", ", BuiltinChatTemplates.Names)}) nor an existing file");
        return new ExampleBuilder(tokenizer, template, options);
    }

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The chat template, or null (then only string rows can be built).</summary>
    public ChatTemplate? Template { get; }

    /// <summary>Masking and truncation settings.</summary>
    public ExampleOptions Options { get; }

    /// <summary>The training example of a row (truncated to the max length).</summary>
    /// <exception cref="DatasetException">The row cannot be built (the template refused it, nothing to learn...); the message names the row.</exception>
    public TokenizedExample Build(DatasetRow row) => Render(row).Example;

    /// <summary>The examples of many rows, in order, built in parallel.</summary>
    public List<TokenizedExample> BuildAll(IEnumerable<DatasetRow> rows, int maxDegreeOfParallelism = -1) =>
        [.. RenderAll(rows, maxDegreeOfParallelism).Select(b => b.Example)];

    /// <summary>Renders many rows in parallel, results in input order.</summary>
    public BuiltExample[] RenderAll(IEnumerable<DatasetRow> rows, int maxDegreeOfParallelism = -1)
    {
        var list = rows as IReadOnlyList<DatasetRow> ?? [.. rows];
        var result = new BuiltExample[list.Count];
        var opts = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism <= 0 ? Environment.ProcessorCount : maxDegreeOfParallelism };
        try
        {
            Parallel.For(0, list.Count, opts, i => result[i] = Render(list[i]));
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<DatasetException>().Any())
        {
            // Report the first bad row in file order, as a sequential run would.
            throw e.InnerExceptions.OfType<DatasetException>().OrderBy(x => x.File, StringComparer.Ordinal).ThenBy(x => x.Line).First();
        }
        return result;
    }

    /// <summary>
    /// The row's text, tokens, offsets and labels before truncation, and the truncated example. Use it to look
    /// at what the model is trained on (<see cref="BuiltExample.LearnedText"/>).
    /// </summary>
    public BuiltExample Render(DatasetRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var (text, ids, offsets, learn) = row switch
        {
            { Messages: not null } => Conversation(row),
            { Prompt: not null } => ConversationalPromptCompletion(row),
            { PromptText: not null } => StringPromptCompletion(row),
            { Text: not null } => PlainText(row),
            _ => throw new ArgumentException($"{row.Location}: empty row"),
        };
        var labels = new long[ids.Length];
        for (var i = 0; i < ids.Length; i++) labels[i] = learn[i] ? ids[i] : TokenizedExample.IgnoreIndex;
        var example = Truncate(ids, labels);
        return new BuiltExample(row, text, ids, offsets, labels, example);
    }

    private TokenizedExample Truncate(int[] ids, long[] labels)
    {
        var n = ids.Length;
        var keep = Options.MaxLength is { } max && n > max ? max : n;
        var start = Options.TruncationMode == "keep_end" ? n - keep : 0;
        var input = new long[keep];
        for (var i = 0; i < keep; i++) input[i] = ids[start + i];
        return new TokenizedExample(input, labels[start..(start + keep)]);
    }

    private ChatTemplate RequireTemplate(DatasetRow row) => Template ?? throw new DatasetException(row.File, row.Line, null, RowProblem.TemplateError,
        $"this {DatasetFormats.Describe(row.Format)} row needs a chat template: pass one (a model's tokenizer_config.json, or a built-in such as chatml)");

    private ChatTemplateResult Apply(DatasetRow row, JsonArray messages, bool generationPrompt)
    {
        var template = RequireTemplate(row);
        try
        {
            return template.Apply(messages, new ChatTemplateOptions { AddGenerationPrompt = generationPrompt });
        }
        catch (Exception e) when (e is TemplateException or ArgumentException)
        {
            throw new DatasetException(row.File, row.Line, null, RowProblem.TemplateError, $"the chat template {template.Name} refused this row: {e.Message}", e);
        }
    }

    /// <summary>Tokenizes a template's text: no special tokens added (the template wrote them), except a BOS the tokenizer wants and the template left out.</summary>
    private (int[] Ids, (int, int)[] Offsets) EncodeTemplated(ChatTemplateResult r)
    {
        var enc = Tokenizer.Encode(r.Text, addSpecialTokens: false);
        var ids = enc.Ids.ToArray();
        var offsets = enc.Offsets.ToArray();
        if (!r.StartsWithBos && Tokenizer.AddBosToken == true && _bos is { } bos && (ids.Length == 0 || ids[0] != bos))
        {
            ids = [bos, .. ids];
            offsets = [(0, 0), .. offsets];
        }
        return (ids, offsets);
    }

    private (string, int[], (int, int)[], bool[]) Conversation(DatasetRow row)
    {
        var r = Apply(row, row.ConversationForTemplate(), generationPrompt: false);
        var (ids, offsets) = EncodeTemplated(r);
        var learn = new bool[ids.Length];
        if (Options.AssistantOnlyLoss)
        {
            if (r.AssistantSpans.Count == 0)
                throw new DatasetException(row.File, row.Line, null, RowProblem.NothingToLearn,
                    "assistant_only_loss is on but the conversation has no assistant turn (or the template did not write one), so there is nothing to learn");
            var (_, mask) = AssistantMask.Build(r.Text, r.AssistantSpans, _ => (ids, offsets));
            for (var i = 0; i < ids.Length; i++) learn[i] = mask[i] != 0;
        }
        else Array.Fill(learn, true);
        return (r.Text, ids, offsets, learn);
    }

    private (string, int[], (int, int)[], bool[]) ConversationalPromptCompletion(DatasetRow row)
    {
        var prompt = Apply(row, (JsonArray)row.Prompt!.DeepClone(), generationPrompt: true);
        var full = Apply(row, row.ConversationForTemplate(), generationPrompt: false);
        // The completion starts where the prompt text (with its generation prompt) stops matching the full text.
        var boundary = CommonPrefix(prompt.Text, full.Text);
        var (ids, offsets) = EncodeTemplated(full);
        var learn = new bool[ids.Length];
        var completionOnly = Options.CompletionOnlyLoss ?? true;
        for (var i = 0; i < ids.Length; i++) learn[i] = !completionOnly || offsets[i].Item1 >= boundary && offsets[i].Item2 > offsets[i].Item1;
        if (Options.AssistantOnlyLoss)
        {
            var (_, mask) = AssistantMask.Build(full.Text, full.AssistantSpans, _ => (ids, offsets));
            for (var i = 0; i < ids.Length; i++) learn[i] &= mask[i] != 0;
        }
        if (!learn.Any(x => x))
            throw new DatasetException(row.File, row.Line, "completion", RowProblem.NothingToLearn, "the completion produced no token to learn");
        return (full.Text, ids, offsets, learn);
    }

    private (string, int[], (int, int)[], bool[]) StringPromptCompletion(DatasetRow row)
    {
        if (Options.AssistantOnlyLoss)
            throw new DatasetException(row.File, row.Line, null, RowProblem.NothingToLearn,
                "assistant_only_loss needs conversational data (messages); this row is a plain prompt and completion (use completion_only_loss)");
        var prompt = row.PromptText!;
        var text = prompt + row.CompletionText;
        var (ids, offsets, eosAt) = EncodePlain(text);
        var completionOnly = Options.CompletionOnlyLoss ?? true;
        var learn = new bool[ids.Length];
        for (var i = 0; i < ids.Length; i++)
            learn[i] = !completionOnly || i >= eosAt || offsets[i].Item1 >= prompt.Length && offsets[i].Item2 > offsets[i].Item1;
        return (text, ids, offsets, learn);
    }

    private (string, int[], (int, int)[], bool[]) PlainText(DatasetRow row)
    {
        if (Options.AssistantOnlyLoss)
            throw new DatasetException(row.File, row.Line, null, RowProblem.NothingToLearn, "assistant_only_loss needs conversational data (messages); this row is plain text");
        var (ids, offsets, _) = EncodePlain(row.Text!);
        var learn = new bool[ids.Length];
        Array.Fill(learn, true);
        return (row.Text!, ids, offsets, learn);
    }

    /// <summary>Post-processor prefix (e.g. BOS) + the text's tokens + suffix, then EOS when asked and missing. Returns where the suffix starts.</summary>
    private (int[] Ids, (int, int)[] Offsets, int SuffixStart) EncodePlain(string text)
    {
        var enc = Tokenizer.Encode(text, addSpecialTokens: false);
        var prefix = _bos is { } bos && _prefix.Length > 0 && _prefix[^1] == bos && Tokenizer.BosToken is { } bt && text.StartsWith(bt, StringComparison.Ordinal)
            ? _prefix[..^1] // the text already starts with BOS: never a second one
            : _prefix;
        var ids = new List<int>(prefix.Length + enc.Count + _suffix.Length + 1);
        var offsets = new List<(int, int)>(ids.Capacity);
        foreach (var p in prefix) { ids.Add(p); offsets.Add((0, 0)); }
        for (var i = 0; i < enc.Count; i++) { ids.Add(enc.Ids[i]); offsets.Add(enc.Offsets[i]); }
        var suffixStart = ids.Count;
        foreach (var s in _suffix) { ids.Add(s); offsets.Add((text.Length, text.Length)); }
        if (Options.AddEos && _eos is { } eos && (ids.Count == 0 || ids[^1] != eos))
        {
            ids.Add(eos);
            offsets.Add((text.Length, text.Length));
        }
        return ([.. ids], [.. offsets], suffixStart);
    }

    private static int CommonPrefix(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        var i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    private static int IndexOf(int[] haystack, int[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
