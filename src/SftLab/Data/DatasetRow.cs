using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.Data;

/// <summary>
/// One validated row of a dataset, in a normalized shape whatever its file layout: a conversation
/// (<see cref="Messages"/>), a conversational prompt and completion (<see cref="Prompt"/>,
/// <see cref="Completion"/>), string prompt and completion (<see cref="PromptText"/>,
/// <see cref="CompletionText"/>), or plain <see cref="Text"/>. ShareGPT rows become
/// <see cref="Messages"/> (human → user, gpt → assistant); Alpaca rows become a conversational prompt
/// (one user message: the instruction, a blank line, the input) and completion (the output).
/// The original columns stay in <see cref="Raw"/>, and <see cref="File"/>/<see cref="Line"/> say where the row came from.
/// </summary>
public sealed class DatasetRow
{
    /// <summary>The roles a message may have.</summary>
    public static readonly IReadOnlyList<string> Roles = ["system", "user", "assistant", "tool"];

    private string? _content;

    private DatasetRow(string file, long line, DatasetFormat format, JsonObject raw)
    {
        File = file;
        Line = line;
        Format = format;
        Raw = raw;
    }

    /// <summary>The file the row came from.</summary>
    public string File { get; }

    /// <summary>The 1-based line where the row starts.</summary>
    public long Line { get; }

    /// <summary><c>file:line</c>, for messages.</summary>
    public string Location => $"{File}:{Line}";

    /// <summary>The row's layout in the file.</summary>
    public DatasetFormat Format { get; }

    /// <summary>The row as read (all columns, including ones SFT does not use such as an id).</summary>
    public JsonObject Raw { get; }

    /// <summary>The conversation (role/content objects), for conversational and ShareGPT rows; else null.</summary>
    public JsonArray? Messages { get; private init; }

    /// <summary>The prompt messages, for conversational prompt-completion and Alpaca rows; else null.</summary>
    public JsonArray? Prompt { get; private init; }

    /// <summary>The completion messages (assistant turns), for conversational prompt-completion and Alpaca rows; else null.</summary>
    public JsonArray? Completion { get; private init; }

    /// <summary>The prompt, for string prompt-completion rows; else null.</summary>
    public string? PromptText { get; private init; }

    /// <summary>The completion, for string prompt-completion rows; else null.</summary>
    public string? CompletionText { get; private init; }

    /// <summary>The document, for plain-text rows; else null.</summary>
    public string? Text { get; private init; }

    /// <summary>True when a chat template renders this row (it has messages).</summary>
    public bool IsConversational => Messages is not null || Prompt is not null;

    /// <summary>True when the row separates a prompt from a completion (the completion-only loss applies).</summary>
    public bool HasCompletion => Completion is not null || CompletionText is not null;

    /// <summary>Every message of the row in order (the prompt then the completion), or an empty list for string rows.</summary>
    public IEnumerable<JsonObject> AllMessages =>
        (Messages ?? (IEnumerable<JsonNode?>)[]).Concat(Prompt ?? (IEnumerable<JsonNode?>)[]).Concat(Completion ?? (IEnumerable<JsonNode?>)[]).OfType<JsonObject>();

    /// <summary>
    /// The conversation to render with a chat template: <see cref="Messages"/>, or the prompt followed by
    /// the completion (a new array; the row is not changed).
    /// </summary>
    public JsonArray ConversationForTemplate()
    {
        if (Messages is not null) return (JsonArray)Messages.DeepClone();
        if (Prompt is null || Completion is null) throw new InvalidOperationException($"{Location}: a {DatasetFormats.Describe(Format)} row has no messages");
        var all = new JsonArray();
        foreach (var m in Prompt) all.Add(m?.DeepClone());
        foreach (var m in Completion) all.Add(m?.DeepClone());
        return all;
    }

    /// <summary>
    /// The row's content as one text, the same for the same content whatever the layout: each message as
    /// <c>role: content</c> on its own lines, or <c>prompt</c> + <c>completion</c>, or the text. Used for
    /// duplicate detection, splitting and the language mix.
    /// </summary>
    public string ContentText => _content ??= BuildContent();

    private string BuildContent()
    {
        if (Text is not null) return Text;
        if (PromptText is not null) return PromptText + "\n" + CompletionText;
        var sb = new StringBuilder();
        foreach (var m in AllMessages)
        {
            if (sb.Length > 0) sb.Append('\n');
            sb.Append(m["role"]?.GetValue<string>()).Append(": ").Append(ContentOf(m));
            if (m["tool_calls"] is JsonArray calls) sb.Append(' ').Append(calls.ToJsonString());
        }
        return sb.ToString();
    }

    /// <summary>The text content of a message ("" when it has none, e.g. an assistant turn that only calls tools).</summary>
    public static string ContentOf(JsonObject message) =>
        message["content"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    /// <summary>
    /// Validates <paramref name="raw"/> as a row of <paramref name="format"/> and normalizes it.
    /// Conversations must be well formed: every message an object with a known role and string content,
    /// an optional system message first, then user and assistant turns alternating (tool results only
    /// after an assistant turn that calls tools), no empty turn.
    /// </summary>
    /// <param name="raw">The row's columns.</param>
    /// <param name="format">The dataset's format (detected from its first row).</param>
    /// <param name="file">File name for messages.</param>
    /// <param name="line">1-based line for messages.</param>
    /// <param name="allowEmptyTurns">Accept turns whose content is empty or whitespace (for inspecting dirty data; they are counted in the report).</param>
    /// <exception cref="DatasetException">The row is malformed; the message names the file, line and field.</exception>
    public static DatasetRow Parse(JsonObject raw, DatasetFormat format, string file, long line, bool allowEmptyTurns = false)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var v = new Validator(file, line, allowEmptyTurns);
        foreach (var column in DatasetFormats.RequiredColumns(format))
            if (!raw.ContainsKey(column))
                throw v.Error(null, RowProblem.FormatMismatch,
                    $"missing column '{column}': the dataset is {DatasetFormats.Describe(format)} (detected from its first row), but this row has {DescribeColumns(raw)}");
        switch (format)
        {
            case DatasetFormat.Conversational:
            {
                var messages = v.MessageList(raw["messages"], "messages");
                v.CheckConversation([.. messages.Select((m, i) => (m, $"messages[{i}]"))], completionStart: -1);
                return new DatasetRow(file, line, format, raw) { Messages = ToArray(messages) };
            }
            case DatasetFormat.ShareGpt:
            {
                var messages = v.ShareGptList(raw["conversations"]);
                v.CheckConversation([.. messages.Select((m, i) => (m, $"conversations[{i}]"))], completionStart: -1);
                return new DatasetRow(file, line, format, raw) { Messages = ToArray(messages) };
            }
            case DatasetFormat.ConversationalPromptCompletion:
            case DatasetFormat.PromptCompletion when raw["prompt"] is JsonArray:
            {
                if (raw["completion"] is not JsonArray)
                    throw v.Error("completion", RowProblem.WrongType, $"expected a list of messages (as 'prompt' is), got {Kind(raw["completion"])}");
                var prompt = v.MessageList(raw["prompt"], "prompt");
                var completion = v.MessageList(raw["completion"], "completion");
                var all = prompt.Select((m, i) => (m, $"prompt[{i}]")).Concat(completion.Select((m, i) => (m, $"completion[{i}]"))).ToList();
                v.CheckConversation(all, completionStart: prompt.Count);
                return new DatasetRow(file, line, DatasetFormat.ConversationalPromptCompletion, raw) { Prompt = ToArray(prompt), Completion = ToArray(completion) };
            }
            case DatasetFormat.PromptCompletion:
            {
                var prompt = v.String(raw["prompt"], "prompt", allowEmpty: true);
                if (raw["completion"] is JsonArray)
                    throw v.Error("completion", RowProblem.WrongType, "expected a string (as 'prompt' is), got a list");
                var completion = v.String(raw["completion"], "completion", allowEmpty: false);
                return new DatasetRow(file, line, format, raw) { PromptText = prompt, CompletionText = completion };
            }
            case DatasetFormat.Instruction:
            {
                var instruction = v.String(raw["instruction"], "instruction", allowEmpty: false);
                var input = raw["input"] is null ? "" : v.String(raw["input"], "input", allowEmpty: true);
                var output = v.String(raw["output"], "output", allowEmpty: false);
                var user = string.IsNullOrWhiteSpace(input) ? instruction : instruction + "\n\n" + input;
                return new DatasetRow(file, line, format, raw)
                {
                    Prompt = [new JsonObject { ["role"] = "user", ["content"] = user }],
                    Completion = [new JsonObject { ["role"] = "assistant", ["content"] = output }],
                };
            }
            case DatasetFormat.Text:
                return new DatasetRow(file, line, format, raw) { Text = v.String(raw["text"], "text", allowEmpty: false) };
            default:
                throw new ArgumentOutOfRangeException(nameof(format));
        }
    }

    /// <summary>Builds a row from columns already in memory (e.g. made in a notebook), detecting the format.</summary>
    public static DatasetRow FromJson(JsonObject raw, string source = "memory", long line = 1) =>
        Parse(raw, DatasetFormats.Detect(raw, source, line), source, line);

    private static JsonArray ToArray(List<JsonObject> messages)
    {
        var a = new JsonArray();
        foreach (var m in messages) a.Add(m.Parent is null ? m : m.DeepClone());
        return a;
    }

    private static string DescribeColumns(JsonObject raw) =>
        raw.Count == 0 ? "no columns" : "columns " + string.Join(", ", raw.Select(kv => $"'{kv.Key}'"));

    /// <summary>"a number", "a string", "null"... for messages about wrong types.</summary>
    internal static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "true/false",
            JsonValueKind.Null => "null",
            _ => "a value",
        },
        _ => "a value",
    };

    private sealed class Validator(string file, long line, bool allowEmptyTurns)
    {
        public DatasetException Error(string? field, RowProblem problem, string detail) => new(file, line, field, problem, detail);

        public string String(JsonNode? node, string field, bool allowEmpty)
        {
            if (node is null) throw Error(field, RowProblem.MissingField, "is null; expected a string");
            if (node is not JsonValue jv || !jv.TryGetValue<string>(out var s)) throw Error(field, RowProblem.WrongType, $"expected a string, got {Kind(node)}");
            if (!allowEmpty && string.IsNullOrWhiteSpace(s) && !allowEmptyTurns) throw Error(field, RowProblem.EmptyContent, "is empty (or only whitespace)");
            return s;
        }

        public List<JsonObject> MessageList(JsonNode? node, string field)
        {
            if (node is not JsonArray list) throw Error(field, RowProblem.WrongType, $"expected a list of messages, got {Kind(node)}");
            if (list.Count == 0) throw Error(field, RowProblem.EmptyMessages, "the list of messages is empty");
            var result = new List<JsonObject>(list.Count);
            for (var i = 0; i < list.Count; i++)
            {
                var path = $"{field}[{i}]";
                if (list[i] is not JsonObject m) throw Error(path, RowProblem.WrongType, $"expected a message object with 'role' and 'content', got {Kind(list[i])}");
                if (!m.ContainsKey("role") || m["role"] is null)
                    throw Error(path + ".role", RowProblem.MissingRole, $"missing; every message needs a role ({string.Join(", ", Roles)})");
                if (m["role"] is not JsonValue rv || !rv.TryGetValue<string>(out var role))
                    throw Error(path + ".role", RowProblem.WrongType, $"expected a string, got {Kind(m["role"])}");
                if (!Roles.Contains(role))
                    throw Error(path + ".role", RowProblem.UnknownRole, $"'{role}' is not a role chat templates know; use one of {string.Join(", ", Roles)}");
                CheckContent(m, role, path);
                result.Add(m);
            }
            return result;
        }

        public List<JsonObject> ShareGptList(JsonNode? node)
        {
            const string field = "conversations";
            if (node is not JsonArray list) throw Error(field, RowProblem.WrongType, $"expected a list of turns, got {Kind(node)}");
            if (list.Count == 0) throw Error(field, RowProblem.EmptyMessages, "the list of turns is empty");
            var result = new List<JsonObject>(list.Count);
            for (var i = 0; i < list.Count; i++)
            {
                var path = $"{field}[{i}]";
                if (list[i] is not JsonObject t) throw Error(path, RowProblem.WrongType, $"expected a turn object with 'from' and 'value', got {Kind(list[i])}");
                // Some ShareGPT-style sets use role/content inside "conversations"; accept both.
                var (roleKey, contentKey) = t.ContainsKey("from") || !t.ContainsKey("role") ? ("from", "value") : ("role", "content");
                if (t[roleKey] is null) throw Error($"{path}.{roleKey}", RowProblem.MissingRole, "missing; every turn needs a speaker (human, gpt or system)");
                if (t[roleKey] is not JsonValue rv || !rv.TryGetValue<string>(out var from))
                    throw Error($"{path}.{roleKey}", RowProblem.WrongType, $"expected a string, got {Kind(t[roleKey])}");
                var role = from.ToLowerInvariant() switch
                {
                    "human" or "user" => "user",
                    "gpt" or "assistant" or "model" or "chatgpt" or "bard" => "assistant",
                    "system" => "system",
                    "tool" or "function" or "observation" => "tool",
                    _ => throw Error($"{path}.{roleKey}", RowProblem.UnknownRole, $"'{from}' is not a ShareGPT speaker; use human, gpt, system or tool"),
                };
                if (t[contentKey] is null) throw Error($"{path}.{contentKey}", RowProblem.MissingField, "missing; every turn needs its text");
                if (t[contentKey] is not JsonValue cv || !cv.TryGetValue<string>(out var content))
                    throw Error($"{path}.{contentKey}", RowProblem.WrongType, $"expected a string, got {Kind(t[contentKey])}");
                if (string.IsNullOrWhiteSpace(content) && !allowEmptyTurns)
                    throw Error($"{path}.{contentKey}", RowProblem.EmptyContent, "an empty turn (no text, or only whitespace)");
                result.Add(new JsonObject { ["role"] = role, ["content"] = content });
            }
            return result;
        }

        private void CheckContent(JsonObject m, string role, string path)
        {
            var hasCalls = false;
            if (m["tool_calls"] is { } calls)
            {
                if (calls is not JsonArray ca) throw Error(path + ".tool_calls", RowProblem.WrongType, $"expected a list of tool calls, got {Kind(calls)}");
                if (role != "assistant") throw Error(path + ".tool_calls", RowProblem.WrongType, $"only assistant messages call tools (this one is '{role}')");
                hasCalls = ca.Count > 0;
            }
            var content = m["content"];
            if (content is null || content is JsonValue nv && nv.GetValueKind() == JsonValueKind.Null)
            {
                if (hasCalls) return;
                throw Error(path + ".content", RowProblem.MissingField, m.ContainsKey("content") ? "is null; expected the message's text" : "missing; every message needs its text");
            }
            if (content is JsonArray)
                throw Error(path + ".content", RowProblem.WrongType, "expected a string, got a list (multimodal content parts are not supported: write the text as a string)");
            if (content is not JsonValue v || !v.TryGetValue<string>(out var s))
                throw Error(path + ".content", RowProblem.WrongType, $"expected a string, got {Kind(content)}");
            if (string.IsNullOrWhiteSpace(s) && !hasCalls && !allowEmptyTurns)
                throw Error(path + ".content", RowProblem.EmptyContent, $"an empty {role} turn (no text, or only whitespace)");
        }

        /// <summary>Optional system first, then user/assistant alternating; tool results right after an assistant turn that calls tools.</summary>
        public void CheckConversation(List<(JsonObject Message, string Path)> messages, int completionStart)
        {
            string? prev = null;
            var prevPath = "";
            var prevCalls = false;
            for (var i = 0; i < messages.Count; i++)
            {
                var (m, path) = messages[i];
                var role = m["role"]!.GetValue<string>();
                string? problem = role switch
                {
                    "system" when i > 0 => $"a system message can only come first (it follows {prevPath}, a '{prev}' turn)",
                    "user" when prev == "user" => $"'user' follows 'user' ({prevPath}): turns must alternate user/assistant",
                    "user" when prev == "tool" => $"'user' follows a tool result ({prevPath}): the assistant must answer the tool result first",
                    "assistant" when prev is null or "system" => "the first turn (after an optional system message) must be the user's, not the assistant's",
                    "assistant" when prev == "assistant" => $"'assistant' follows 'assistant' ({prevPath}): turns must alternate user/assistant",
                    "tool" when !(prev == "tool" || prev == "assistant" && prevCalls) => $"a tool result must follow an assistant turn that calls tools (it follows {(prev is null ? "nothing" : $"{prevPath}, a '{prev}' turn")})",
                    _ => null,
                };
                if (problem is not null) throw Error(path + ".role", RowProblem.NonAlternating, problem);
                if (completionStart >= 0 && i >= completionStart && role is not ("assistant" or "tool"))
                    throw Error(path + ".role", RowProblem.NonAlternating, $"a completion holds the assistant's answer; '{role}' belongs in the prompt");
                prev = role;
                prevPath = path;
                prevCalls = m["tool_calls"] is JsonArray { Count: > 0 };
            }
            if (completionStart >= 0 && completionStart == messages.Count)
                throw Error("completion", RowProblem.EmptyMessages, "the completion has no messages");
        }
    }
}
