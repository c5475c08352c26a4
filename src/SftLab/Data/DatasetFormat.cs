using System.Text.Json.Nodes;

namespace SftLab.Data;

/// <summary>
/// The row layouts SftLab trains on — the ones TRL's SFTTrainer accepts — detected from a row's
/// columns (see <see cref="DatasetFormats.Detect"/>), never configured by hand.
/// </summary>
public enum DatasetFormat
{
    /// <summary><c>{"messages": [{"role": "user", "content": "..."}, {"role": "assistant", ...}]}</c> — a conversation; the chat template renders it.</summary>
    Conversational,
    /// <summary>ShareGPT: <c>{"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", ...}]}</c>; read as <see cref="Conversational"/> (human → user, gpt → assistant).</summary>
    ShareGpt,
    /// <summary><c>{"prompt": "text", "completion": "text"}</c> — plain strings, no chat template; the loss is on the completion by default.</summary>
    PromptCompletion,
    /// <summary><c>{"prompt": [messages], "completion": [messages]}</c> — the chat template renders both; the loss is on the completion by default.</summary>
    ConversationalPromptCompletion,
    /// <summary>Alpaca: <c>{"instruction", "input", "output"}</c>; read as a conversational prompt-completion (user: instruction + input, assistant: output).</summary>
    Instruction,
    /// <summary><c>{"text": "..."}</c> — plain text for (continued) pretraining; every token is learned. A .txt file is read as this.</summary>
    Text,
}

/// <summary>Detects a row's <see cref="DatasetFormat"/> from its columns, the way TRL does.</summary>
public static class DatasetFormats
{
    /// <summary>
    /// The format of a row, from which columns it has (in this order of preference): <c>messages</c> →
    /// conversational; <c>conversations</c> → ShareGPT; <c>prompt</c> + <c>completion</c> → prompt-completion
    /// (conversational when <c>prompt</c> is a list); <c>instruction</c> + <c>output</c> → Alpaca;
    /// <c>text</c> → plain text. Preference data (<c>chosen</c>/<c>rejected</c>) and prompt-only data are
    /// recognised and refused with an explanation.
    /// </summary>
    /// <exception cref="DatasetException">The columns match no trainable format (<see cref="RowProblem.UnsupportedFormat"/>).</exception>
    public static DatasetFormat Detect(JsonObject row, string file = "row", long line = 0)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.ContainsKey("messages")) return DatasetFormat.Conversational;
        if (row.ContainsKey("conversations")) return DatasetFormat.ShareGpt;
        if (row.ContainsKey("chosen") || row.ContainsKey("rejected"))
            throw new DatasetException(file, line, null, RowProblem.UnsupportedFormat,
                $"this is preference data (columns {Columns(row)}), made for preference tuning such as DPO, not for SFT. " +
                "To fine-tune on the preferred answers, keep 'prompt' and rename 'chosen' to 'completion' (and drop 'rejected').");
        if (row.ContainsKey("prompt") && row.ContainsKey("completion"))
            return row["prompt"] is JsonArray ? DatasetFormat.ConversationalPromptCompletion : DatasetFormat.PromptCompletion;
        if (row.ContainsKey("instruction") && row.ContainsKey("output")) return DatasetFormat.Instruction;
        if (row.ContainsKey("text")) return DatasetFormat.Text;
        if (row.ContainsKey("prompt"))
            throw new DatasetException(file, line, null, RowProblem.UnsupportedFormat,
                $"this looks like prompt-only data (columns {Columns(row)}): prompts to generate from, with no answer to learn. " +
                "SFT needs 'completion' next to 'prompt', or 'messages' with assistant turns.");
        throw new DatasetException(file, line, null, RowProblem.UnsupportedFormat,
            $"cannot tell the dataset format from the columns {Columns(row)}. Expected one of: 'messages' (conversational), " +
            "'conversations' (ShareGPT), 'prompt' + 'completion', 'instruction' + 'output' (Alpaca), or 'text'.");
    }

    /// <summary>The columns a row of <paramref name="format"/> must have.</summary>
    public static IReadOnlyList<string> RequiredColumns(DatasetFormat format) => format switch
    {
        DatasetFormat.Conversational => ["messages"],
        DatasetFormat.ShareGpt => ["conversations"],
        DatasetFormat.PromptCompletion or DatasetFormat.ConversationalPromptCompletion => ["prompt", "completion"],
        DatasetFormat.Instruction => ["instruction", "output"],
        DatasetFormat.Text => ["text"],
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>A short human name: "conversational (messages)", "Alpaca instruction"...</summary>
    public static string Describe(DatasetFormat format) => format switch
    {
        DatasetFormat.Conversational => "conversational (messages)",
        DatasetFormat.ShareGpt => "ShareGPT (conversations with from/value)",
        DatasetFormat.PromptCompletion => "prompt-completion (strings)",
        DatasetFormat.ConversationalPromptCompletion => "conversational prompt-completion (message lists)",
        DatasetFormat.Instruction => "Alpaca instruction (instruction/input/output)",
        DatasetFormat.Text => "plain text",
        _ => format.ToString(),
    };

    /// <summary>Parses a format name as written in configs and on the command line (conversational, sharegpt, prompt-completion, conversational-prompt-completion, instruction/alpaca, text).</summary>
    public static DatasetFormat Parse(string name) => name.Trim().ToLowerInvariant().Replace('_', '-') switch
    {
        "conversational" or "messages" => DatasetFormat.Conversational,
        "sharegpt" or "conversations" => DatasetFormat.ShareGpt,
        "prompt-completion" => DatasetFormat.PromptCompletion,
        "conversational-prompt-completion" => DatasetFormat.ConversationalPromptCompletion,
        "instruction" or "alpaca" => DatasetFormat.Instruction,
        "text" => DatasetFormat.Text,
        _ => throw new ArgumentException($"unknown dataset format '{name}'; use conversational, sharegpt, prompt-completion, conversational-prompt-completion, instruction or text"),
    };

    private static string Columns(JsonObject row) => row.Count == 0 ? "(none)" : string.Join(", ", row.Select(kv => $"'{kv.Key}'"));
}
