using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.ChatTemplates;

/// <summary>Where one assistant message landed in a rendered conversation: characters [Start, End) of the text,
/// its content plus its end-of-turn marker (the part of the text a model is trained to produce).</summary>
/// <param name="MessageIndex">Index of the assistant message in the messages list.</param>
/// <param name="Start">Offset of the first character (UTF-16 code units, like <see cref="string"/> indexes).</param>
/// <param name="End">Offset just past the last character.</param>
public readonly record struct AssistantSpan(int MessageIndex, int Start, int End)
{
    /// <summary>Number of characters in the span.</summary>
    public int Length => End - Start;
}

/// <summary>Options of <see cref="ChatTemplate.Apply(JsonArray, ChatTemplateOptions?)"/>, named as in transformers' apply_chat_template.</summary>
public sealed record ChatTemplateOptions
{
    /// <summary>Append the header that opens an assistant turn (e.g. "&lt;|im_start|&gt;assistant\n"), so a model continues with an answer. On for generation, off for training.</summary>
    public bool AddGenerationPrompt { get; init; }

    /// <summary>Leave the final message open (no end-of-turn marker) so a model continues it, e.g. to prefill the start of an answer.</summary>
    public bool ContinueFinalMessage { get; init; }

    /// <summary>Tool (function) definitions as JSON schema objects, passed to the template as <c>tools</c>.</summary>
    public JsonArray? Tools { get; init; }

    /// <summary>Documents for retrieval-augmented templates, passed as <c>documents</c>.</summary>
    public JsonArray? Documents { get; init; }

    /// <summary>Any other variables the template reads (e.g. <c>enable_thinking</c>, <c>date_string</c>).</summary>
    public IReadOnlyDictionary<string, object?>? ExtraVariables { get; init; }

    /// <summary>Sandbox limits for the render; null for <see cref="RenderLimits.Default"/>.</summary>
    public RenderLimits? Limits { get; init; }

    /// <summary>The clock <c>strftime_now</c> reads; null for the current local time.</summary>
    public DateTime? Now { get; init; }
}

/// <summary>The rendered conversation and where each assistant message is in it.</summary>
/// <param name="Text">The text the template produced.</param>
/// <param name="AssistantSpans">One span per assistant message that appears in the text, in order.</param>
/// <param name="StartsWithBos">True when <see cref="Text"/> already begins with the BOS token (the template wrote it). Then the tokenizer must not add another one: a double BOS is a classic SFT bug.</param>
/// <param name="BosToken">The template's BOS token, or null when it has none.</param>
/// <param name="FromGenerationBlocks">True when the spans came from the template's <c>{% generation %}</c> blocks, false when they were found by tracking where each message's text landed.</param>
public sealed record ChatTemplateResult(string Text, IReadOnlyList<AssistantSpan> AssistantSpans, bool StartsWithBos, string? BosToken, bool FromGenerationBlocks)
{
    /// <summary>The assistant text (content plus end-of-turn marker) of each span, for looking at.</summary>
    public IEnumerable<string> AssistantTexts => AssistantSpans.Select(s => Text[s.Start..s.End]);
}

/// <summary>
/// A chat template: turns a list of messages (role + content, optional tool calls) into the exact text a chat model
/// was trained on, and says which characters are the assistant's, for the loss mask of supervised fine-tuning.
/// Load one from a Hugging Face <c>tokenizer_config.json</c> (<see cref="FromTokenizerConfig"/>) or take a built-in
/// (<see cref="FromBuiltin"/>).
/// </summary>
/// <remarks>
/// <para>How the assistant spans are found. When the template has <c>{% generation %}</c> blocks, the spans are exactly
/// their output (as transformers' <c>return_assistant_tokens_mask</c> does). Otherwise SftLab tracks provenance: every
/// character of every message's content (and tool calls, reasoning) carries its message index through the render —
/// through concatenation, slicing, strip/trim, split, replace, upper/lower, join, tojson — so the characters that land
/// in the text are known exactly even when the template transforms them. A span runs from the first to the last
/// character of the assistant message that reached the text (an empty message still leaves an anchor where it would
/// be), then is extended to the end of the first end-of-turn marker (<see cref="EndOfTurnMarkers"/>) that follows,
/// before the next message's text begins.</para>
/// <para>Limits: text the template writes for the assistant that comes from no message field (for example an empty
/// <c>&lt;think&gt;&lt;/think&gt;</c> block Qwen3 inserts before the content) is outside the span when it comes
/// before the first content character; a template that prints a message twice gets one span covering both; a value
/// rebuilt by an operation that does not keep per-character origins (tojson, format) is attributed as a whole.</para>
/// </remarks>
public sealed class ChatTemplate
{
    private static readonly string[] KnownEndOfTurn =
        ["<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end|>", "<end_of_turn>", "<|END_OF_TURN_TOKEN|>", "<｜end▁of▁sentence｜>", "<|return|>", "</s>", "<|endoftext|>"];

    /// <summary>Creates a chat template from Jinja source and its special tokens.</summary>
    /// <param name="source">The Jinja text of the template.</param>
    /// <param name="bosToken">The beginning-of-sequence token (templates read it as <c>bos_token</c>), or null.</param>
    /// <param name="eosToken">The end-of-sequence token (<c>eos_token</c>), or null.</param>
    /// <param name="name">A name for error messages.</param>
    /// <param name="specialTokens">Other variables to pass (e.g. <c>pad_token</c>, <c>unk_token</c>).</param>
    public ChatTemplate(string source, string? bosToken, string? eosToken, string? name = null, IReadOnlyDictionary<string, string>? specialTokens = null)
    {
        Template = JinjaTemplate.Parse(source, name);
        BosToken = bosToken;
        EosToken = eosToken;
        Name = name;
        SpecialTokens = specialTokens ?? new Dictionary<string, string>();
        EndOfTurnMarkers = new[] { eosToken }.Concat(KnownEndOfTurn).Where(m => !string.IsNullOrEmpty(m)).Distinct().ToArray()!;
    }

    /// <summary>The parsed template.</summary>
    public JinjaTemplate Template { get; }

    /// <summary>The BOS token, or null.</summary>
    public string? BosToken { get; }

    /// <summary>The EOS token, or null.</summary>
    public string? EosToken { get; }

    /// <summary>The name used in error messages (file path or built-in name).</summary>
    public string? Name { get; }

    /// <summary>Other special tokens passed to the template as variables (pad_token, unk_token...).</summary>
    public IReadOnlyDictionary<string, string> SpecialTokens { get; }

    /// <summary>Strings that close an assistant turn; a span found by tracking extends over the first one after the content. Defaults to the EOS token and the common ones (&lt;|im_end|&gt;, &lt;|eot_id|&gt;, &lt;/s&gt;...).</summary>
    public IReadOnlyList<string> EndOfTurnMarkers { get; init; }

    /// <summary>A built-in template: chatml (SmolLM2), llama3, mistral, zephyr or alpaca (see <see cref="BuiltinChatTemplates"/>).</summary>
    public static ChatTemplate FromBuiltin(string name)
    {
        var (source, bos, eos) = BuiltinChatTemplates.Get(name);
        return new ChatTemplate(source, bos, eos, $"builtin:{name.ToLowerInvariant()}");
    }

    /// <summary>
    /// Loads the <c>chat_template</c> and special tokens of a Hugging Face <c>tokenizer_config.json</c>. When the file
    /// has several named templates, <paramref name="templateName"/> picks one (default: "default", or the first).
    /// </summary>
    public static ChatTemplate FromTokenizerConfig(string path, string? templateName = null)
    {
        string json;
        try { json = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new IOException($"{path}: cannot read the tokenizer config: {e.Message}", e); }
        return FromTokenizerConfigJson(json, path, templateName);
    }

    /// <summary>Like <see cref="FromTokenizerConfig"/>, from the JSON text; <paramref name="sourceName"/> names it in errors.</summary>
    public static ChatTemplate FromTokenizerConfigJson(string json, string sourceName = "tokenizer_config.json", string? templateName = null)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { throw new FormatException($"{sourceName}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", e); }
        if (root is not JsonObject obj) throw new FormatException($"{sourceName}: expected a JSON object at the top level");
        var tpl = obj["chat_template"];
        string source;
        switch (tpl)
        {
            case JsonValue v when v.TryGetValue<string>(out var s):
                source = s;
                break;
            case JsonArray list:
            {
                var named = list.OfType<JsonObject>().Select(o => (Name: o["name"]?.GetValue<string>(), Template: o["template"]?.GetValue<string>())).ToList();
                var want = templateName ?? "default";
                var pick = named.FirstOrDefault(n => n.Name == want);
                if (pick.Template is null && templateName is not null)
                    throw new ArgumentException($"{sourceName}: chat_template has no template named '{templateName}' (it has: {string.Join(", ", named.Select(n => n.Name))})");
                source = pick.Template ?? named.FirstOrDefault().Template ?? throw new FormatException($"{sourceName}: chat_template list has no templates");
                break;
            }
            case null:
                throw new FormatException($"{sourceName}: no \"chat_template\" field (this tokenizer has no chat template; use a built-in one)");
            default:
                throw new FormatException($"{sourceName}: \"chat_template\" must be a string or a list of {{name, template}}");
        }
        string? Token(string field) => obj[field] switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonObject o when o["content"] is JsonValue c && c.TryGetValue<string>(out var s) => s,
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
            _ => throw new FormatException($"{sourceName}: \"{field}\" must be a string, an object with \"content\", or null"),
        };
        var special = new Dictionary<string, string>();
        foreach (var f in new[] { "pad_token", "unk_token", "sep_token", "cls_token", "mask_token" })
            if (Token(f) is { } t) special[f] = t;
        return new ChatTemplate(source, Token("bos_token"), Token("eos_token"), sourceName, special);
    }

    /// <summary>Renders <paramref name="messages"/> (a JSON array of {"role", "content", "tool_calls"?...}) with the template.</summary>
    /// <exception cref="ArgumentException">A message is malformed; the message names its JSON path (e.g. messages[2].role).</exception>
    /// <exception cref="TemplateException">The template failed or rejected the conversation.</exception>
    public ChatTemplateResult Apply(JsonArray messages, ChatTemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        options ??= new ChatTemplateOptions();
        if (options.AddGenerationPrompt && options.ContinueFinalMessage)
            throw new ArgumentException("add_generation_prompt and continue_final_message cannot both be set: the first opens a new assistant turn, the second continues the last message");
        if (options.ContinueFinalMessage && messages.Count == 0)
            throw new ArgumentException("continue_final_message needs at least one message");

        var converted = new List<object?>();
        var roles = new List<string>();
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is not JsonObject m) throw new ArgumentException($"messages[{i}]: expected an object with \"role\" and \"content\"");
            if (m["role"] is not JsonValue rv || !rv.TryGetValue<string>(out var role))
                throw new ArgumentException($"messages[{i}].role: expected a string (system, user, assistant or tool)");
            roles.Add(role);
            var d = (PyDict)JinjaValue.FromJson(m)!;
            // Tag what the message says (not its role) with its index + 1, so we can see where it lands.
            foreach (var key in d.Keys.ToList())
                if (key is string k && k != "role" && k != "name")
                    d[k] = TagAll(d[k], i + 1);
            converted.Add(d);
        }

        var vars = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = converted,
            ["add_generation_prompt"] = options.AddGenerationPrompt,
            ["bos_token"] = BosToken ?? "",
            ["eos_token"] = EosToken ?? "",
        };
        foreach (var (k, v) in SpecialTokens) vars[k] = v;
        if (options.Tools is not null) vars["tools"] = JinjaValue.FromJson(options.Tools);
        if (options.Documents is not null) vars["documents"] = JinjaValue.FromJson(options.Documents);
        if (options.ExtraVariables is not null)
            foreach (var (k, v) in options.ExtraVariables) vars[k] = JinjaValue.From(v);

        var now = options.Now;
        var output = Template.RenderCore(vars, options.Limits ?? RenderLimits.Default, tracking: true, () => now ?? DateTime.Now);
        var text = output.Text.ToString();
        var tags = output.Tags!;
        var anchors = output.Anchors!;

        // Where each message's characters are: first and last (+1) offsets.
        var n = messages.Count;
        var first = Enumerable.Repeat(int.MaxValue, n + 1).ToArray();
        var last = Enumerable.Repeat(-1, n + 1).ToArray();
        for (var p = 0; p < tags.Count; p++)
        {
            var t = tags[p] & ~OutputBuffer.GenerationBit;
            if (t <= 0 || t > n) continue;
            first[t] = Math.Min(first[t], p);
            last[t] = Math.Max(last[t], p + 1);
        }
        foreach (var (pos, tag) in anchors)
        {
            var t = tag & ~OutputBuffer.GenerationBit;
            if (t <= 0 || t > n) continue;
            first[t] = Math.Min(first[t], pos);
            last[t] = Math.Max(last[t], pos);
        }

        if (options.ContinueFinalMessage)
        {
            if (last[n] < 0)
                throw new TemplateRuntimeException("continue_final_message: the final message's content does not appear in the rendered text", Name);
            text = text[..last[n]];
            tags.RemoveRange(last[n], tags.Count - last[n]);
        }

        var spans = new List<AssistantSpan>();
        var fromGeneration = Template.HasGenerationBlocks;
        if (fromGeneration)
        {
            var p = 0;
            while (p < tags.Count)
            {
                if ((tags[p] & OutputBuffer.GenerationBit) == 0) { p++; continue; }
                var s = p;
                var owner = 0;
                while (p < tags.Count && (tags[p] & OutputBuffer.GenerationBit) != 0)
                {
                    var t = tags[p] & ~OutputBuffer.GenerationBit;
                    if (owner == 0 && t > 0 && t <= n && roles[t - 1] == "assistant") owner = t;
                    p++;
                }
                if (owner == 0)
                    foreach (var (pos, tag) in anchors)
                    {
                        var t = tag & ~OutputBuffer.GenerationBit;
                        if (pos >= s && pos <= p && (tag & OutputBuffer.GenerationBit) != 0 && t > 0 && t <= n) { owner = t; break; }
                    }
                spans.Add(new AssistantSpan(owner - 1, s, p));
            }
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                if (roles[i] != "assistant" || last[i + 1] < 0) continue;
                var start = first[i + 1];
                var contentEnd = last[i + 1];
                var bound = text.Length;
                for (var j = i + 1; j < n; j++)
                    if (first[j + 1] != int.MaxValue && first[j + 1] >= contentEnd) bound = Math.Min(bound, first[j + 1]);
                var end = contentEnd;
                if (!(options.ContinueFinalMessage && i == n - 1))
                {
                    var best = -1;
                    var bestLen = 0;
                    foreach (var marker in EndOfTurnMarkers)
                    {
                        var k = text.IndexOf(marker, contentEnd, bound - contentEnd, StringComparison.Ordinal);
                        if (k >= 0 && (best < 0 || k < best || (k == best && marker.Length > bestLen))) { best = k; bestLen = marker.Length; }
                    }
                    if (best >= 0) end = best + bestLen;
                }
                spans.Add(new AssistantSpan(i, start, Math.Min(end, text.Length)));
            }
        }
        var startsWithBos = !string.IsNullOrEmpty(BosToken) && text.StartsWith(BosToken, StringComparison.Ordinal);
        return new ChatTemplateResult(text, spans, startsWithBos, BosToken, fromGeneration);
    }

    /// <summary>Renders a conversation given as JSON text (an array of messages).</summary>
    public ChatTemplateResult Apply(string messagesJson, ChatTemplateOptions? options = null)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(messagesJson); }
        catch (JsonException e) { throw new ArgumentException($"messages: not valid JSON: {e.Message}", e); }
        return Apply(node as JsonArray ?? throw new ArgumentException("messages: expected a JSON array"), options);
    }

    private static object? TagAll(object? v, int tag) => v switch
    {
        string s => TaggedString.Uniform(s, tag) is var u && s.Length == 0 ? TaggedString.Make("", null, tag) : u,
        List<object?> l => l.Select(x => TagAll(x, tag)).ToList(),
        PyDict d => TagDict(d, tag),
        _ => v,
    };

    private static PyDict TagDict(PyDict d, int tag)
    {
        var r = new PyDict();
        foreach (var kv in d) r[kv.Key] = kv.Key is "type" ? kv.Value : TagAll(kv.Value, tag);
        return r;
    }
}
