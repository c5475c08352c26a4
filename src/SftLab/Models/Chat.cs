using System.Text.Json.Nodes;
using SftLab.ChatTemplates;
using SftLab.Tokenization;
using SftLab.Torch;

namespace SftLab.Models;

/// <summary>
/// A model, its tokenizer and its chat template together: send messages, get the assistant's
/// reply. The prompt is rendered with the generation prompt (so the model knows it is its turn)
/// and tokenized without adding special tokens again (the template writes them — as transformers'
/// <c>apply_chat_template</c> does); generation stops at EOS or the template's end-of-turn token.
/// </summary>
public sealed class Chat : IDisposable
{
    private readonly bool _ownsModel;

    public LlamaForCausalLM Model { get; }
    public Tokenizer Tokenizer { get; }
    public ChatTemplate Template { get; }

    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="template">Chat template (default: the tokenizer's, else ChatML).</param>
    public Chat(LlamaForCausalLM model, Tokenizer tokenizer, ChatTemplate? template = null)
        : this(model, tokenizer, template, ownsModel: false) { }

    private Chat(LlamaForCausalLM model, Tokenizer tokenizer, ChatTemplate? template, bool ownsModel)
    {
        Model = model;
        Tokenizer = tokenizer;
        Template = template ?? (tokenizer.ChatTemplate is { } src
            ? new ChatTemplate(src, tokenizer.BosToken, tokenizer.EosToken)
            : ChatTemplate.FromBuiltin("chatml"));
        _ownsModel = ownsModel;
    }

    /// <summary>Loads model, tokenizer and template from one Hugging Face folder.</summary>
    public static Chat FromPretrained(string folder, Device? device = null, DType dtype = DType.Float32, ChatTemplate? template = null)
    {
        var tokenizer = Tokenizer.FromFolder(folder);
        var model = LlamaForCausalLM.FromPretrained(folder, device, dtype);
        model.Eval();
        return new Chat(model, tokenizer, template, ownsModel: true);
    }

    /// <summary>Token ids that end the assistant's turn: EOS and the template's end-of-turn markers that are single tokens.</summary>
    public IReadOnlyList<long> StopTokenIds =>
        Template.EndOfTurnMarkers.Append(Tokenizer.EosToken ?? "")
            .Select(m => Tokenizer.TokenToId(m))
            .Where(id => id != null).Select(id => (long)id!.Value)
            .Concat(Model.Config.EosTokenIds)
            .Distinct().ToList();

    /// <summary>The prompt ids for <paramref name="messages"/> with the generation prompt appended.</summary>
    public long[] EncodePrompt(JsonArray messages, ChatTemplateOptions? options = null)
    {
        var rendered = Template.Apply(messages, (options ?? new ChatTemplateOptions()) with { AddGenerationPrompt = true });
        return Tokenizer.Encode(rendered.Text, addSpecialTokens: false).Ids.Select(i => (long)i).ToArray();
    }

    /// <summary>
    /// The assistant's reply to <paramref name="messages"/> (JSON array of {role, content}).
    /// <paramref name="onText"/> receives the reply as it grows, piece by piece.
    /// </summary>
    public string Reply(JsonArray messages, GenerationConfig? config = null, Action<string>? onText = null)
    {
        var prompt = EncodePrompt(messages);
        config = (config ?? new GenerationConfig()) with { EosTokenIds = config?.EosTokenIds ?? StopTokenIds };
        var ids = new List<int>();
        var shown = 0;
        var tokens = TextGeneration.Generate(Model, [prompt], config, (_, t) =>
        {
            if (onText is null) return;
            ids.Add((int)t);
            var text = Tokenizer.Decode(ids, skipSpecialTokens: true);
            // Emit only complete characters: a multi-byte character may need more tokens.
            if (text.Length > shown && !text.EndsWith('\uFFFD'))
            {
                onText(text[shown..]);
                shown = text.Length;
            }
        }, decode: config.StopStrings is { Count: > 0 } ? a => Tokenizer.Decode(a.Select(x => (int)x), skipSpecialTokens: true) : null)[0];
        return Tokenizer.Decode(tokens.Select(t => (int)t), skipSpecialTokens: true).Trim();
    }

    /// <summary>One user message in, the reply out (with an optional system prompt).</summary>
    public string Ask(string user, string? system = null, GenerationConfig? config = null, Action<string>? onText = null)
    {
        var messages = new JsonArray();
        if (system != null) messages.Add(new JsonObject { ["role"] = "system", ["content"] = system });
        messages.Add(new JsonObject { ["role"] = "user", ["content"] = user });
        return Reply(messages, config, onText);
    }

    /// <summary>Plain continuation of a text (base models): the text is tokenized with the tokenizer's special tokens (e.g. BOS).</summary>
    public string Complete(string text, GenerationConfig? config = null, Action<string>? onText = null)
    {
        var prompt = Tokenizer.Encode(text, addSpecialTokens: true).Ids.Select(i => (long)i).ToArray();
        var ids = new List<int>();
        var shown = 0;
        var tokens = TextGeneration.Generate(Model, [prompt], config, (_, t) =>
        {
            if (onText is null) return;
            ids.Add((int)t);
            var s = Tokenizer.Decode(ids, skipSpecialTokens: true);
            if (s.Length > shown && !s.EndsWith('\uFFFD'))
            {
                onText(s[shown..]);
                shown = s.Length;
            }
        })[0];
        return Tokenizer.Decode(tokens.Select(t => (int)t), skipSpecialTokens: true);
    }

    public void Dispose()
    {
        if (_ownsModel) Model.Dispose();
    }
}
