namespace SftLab.ChatTemplates;

/// <summary>
/// Chat templates SftLab ships, written as Jinja so they go through the same engine as downloaded ones.
/// Each carries the special tokens of its format. All of them accept system/user/assistant/tool messages,
/// assistant <c>tool_calls</c>, a <c>tools</c> list and <c>add_generation_prompt</c>, and end every assistant
/// turn with an end-of-turn token (what a fine-tuned model must learn to emit to stop).
/// </summary>
public static class BuiltinChatTemplates
{
    /// <summary>
    /// ChatML, the format of SmolLM2 (and Qwen): <c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c> per message;
    /// the generation prompt is <c>&lt;|im_start|&gt;assistant\n</c>. No BOS token. (SmolLM2's own template also inserts a
    /// default system prompt when the conversation has none; set the variable <c>default_system_message</c> to get that.)
    /// </summary>
    public const string ChatMLSource =
        "{%- if messages and messages[0].role == 'system' %}{% set system = messages[0].content %}{% set rest = messages[1:] %}" +
        "{%- else %}{% set system = default_system_message if default_system_message is defined else none %}{% set rest = messages %}{% endif %}" +
        "{%- if system is not none or tools %}{{ '<|im_start|>system\\n' }}{% if system is not none %}{{ system }}{% endif %}" +
        "{%- if tools %}{% if system %}{{ '\\n\\n' }}{% endif %}{{ '# Tools\\n\\nYou may call these functions. Answer with <tool_call>{\"name\": ..., \"arguments\": {...}}</tool_call>.\\n<tools>' }}" +
        "{%- for tool in tools %}{{ '\\n' + tool | tojson }}{% endfor %}{{ '\\n</tools>' }}{% endif %}{{ '<|im_end|>\\n' }}{% endif %}" +
        "{%- for message in rest %}" +
        "{%- if message.role == 'assistant' %}{{ '<|im_start|>assistant\\n' }}{% generation %}{{ message.content if message.content is string else '' }}" +
        "{%- for call in message.tool_calls or [] %}{% set f = call.function if call.function is defined else call %}" +
        "{%- if loop.first and message.content or not loop.first %}{{ '\\n' }}{% endif %}" +
        "{{- '<tool_call>\\n{\"name\": \"' + f.name + '\", \"arguments\": ' + (f.arguments if f.arguments is string else f.arguments | tojson) + '}\\n</tool_call>' }}" +
        "{%- endfor %}{{ '<|im_end|>' }}{% endgeneration %}{{ '\\n' }}" +
        "{%- elif message.role == 'tool' %}{{ '<|im_start|>tool\\n' + message.content + '<|im_end|>\\n' }}" +
        "{%- else %}{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{% endif %}" +
        "{%- endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /// <summary>
    /// Llama 3: <c>&lt;|begin_of_text|&gt;</c> once, then <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ncontent&lt;|eot_id|&gt;</c>
    /// per message (content trimmed, as Meta's template does); tool results use the <c>ipython</c> role and tool calls are
    /// JSON objects <c>{"name": ..., "parameters": ...}</c>.
    /// </summary>
    public const string Llama3Source =
        "{{- bos_token }}" +
        "{%- if tools %}{{ '<|start_header_id|>system<|end_header_id|>\\n\\n' }}" +
        "{%- if messages and messages[0].role == 'system' %}{{ messages[0].content | trim + '\\n\\n' }}{% endif %}" +
        "{{- 'You have access to the following functions. To call one, respond with JSON {\"name\": function name, \"parameters\": arguments}.\\n' }}" +
        "{%- for tool in tools %}{{ '\\n' + tool | tojson(indent=4) + '\\n' }}{% endfor %}{{ '<|eot_id|>' }}{% endif %}" +
        "{%- for message in messages %}" +
        "{%- if tools and loop.first and message.role == 'system' %}" +
        "{%- elif message.role == 'assistant' %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% generation %}" +
        "{%- if message.tool_calls %}{% for call in message.tool_calls %}{% set f = call.function if call.function is defined else call %}" +
        "{{- '{\"name\": \"' + f.name + '\", \"parameters\": ' + (f.arguments if f.arguments is string else f.arguments | tojson) + '}' }}{% endfor %}" +
        "{%- else %}{{ message.content | trim }}{% endif %}{{ '<|eot_id|>' }}{% endgeneration %}" +
        "{%- elif message.role == 'tool' %}{{ '<|start_header_id|>ipython<|end_header_id|>\\n\\n' + message.content | trim + '<|eot_id|>' }}" +
        "{%- else %}{{ '<|start_header_id|>' + message.role + '<|end_header_id|>\\n\\n' + message.content | trim + '<|eot_id|>' }}{% endif %}" +
        "{%- endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    /// <summary>
    /// Mistral instruct: <c>&lt;s&gt;[INST] user [/INST]assistant&lt;/s&gt;</c>; a system message is put before the first user
    /// message; tools go in <c>[AVAILABLE_TOOLS]</c>, calls in <c>[TOOL_CALLS]</c>, results in <c>[TOOL_RESULTS]</c>.
    /// User and assistant turns must alternate (the template raises an error otherwise, as Mistral's does).
    /// </summary>
    public const string MistralSource =
        "{%- if messages and messages[0].role == 'system' %}{% set system = messages[0].content %}{% set rest = messages[1:] %}" +
        "{%- else %}{% set system = '' %}{% set rest = messages %}{% endif %}" +
        "{%- set ns = namespace(last='assistant', first_user=true) %}{{ bos_token }}" +
        "{%- if tools %}{{ '[AVAILABLE_TOOLS] ' + tools | tojson + '[/AVAILABLE_TOOLS]' }}{% endif %}" +
        "{%- for message in rest %}" +
        "{%- if message.role == 'user' %}" +
        "{%- if ns.last == 'user' %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
        "{{- '[INST] ' }}{% if ns.first_user and system %}{{ system + '\\n\\n' }}{% endif %}{{ message.content + ' [/INST]' }}" +
        "{%- set ns.first_user = false %}" +
        "{%- elif message.role == 'assistant' %}" +
        "{%- if ns.last == 'assistant' %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
        "{%- generation %}{% if message.tool_calls %}{{ '[TOOL_CALLS] [' }}{% for call in message.tool_calls %}{% set f = call.function if call.function is defined else call %}" +
        "{%- if not loop.first %}{{ ', ' }}{% endif %}{{ '{\"name\": \"' + f.name + '\", \"arguments\": ' + (f.arguments if f.arguments is string else f.arguments | tojson) + '}' }}{% endfor %}{{ ']' }}" +
        "{%- else %}{{ message.content }}{% endif %}{{ eos_token }}{% endgeneration %}" +
        "{%- elif message.role == 'tool' %}{{ '[TOOL_RESULTS] ' + message.content + '[/TOOL_RESULTS]' }}" +
        "{%- else %}{{ raise_exception('Only system, user, assistant and tool roles are supported, and system only first; got ' + message.role) }}{% endif %}" +
        "{%- set ns.last = message.role %}" +
        "{%- endfor %}";

    /// <summary>Zephyr: <c>&lt;|role|&gt;\ncontent&lt;/s&gt;\n</c> per message; the generation prompt is <c>&lt;|assistant|&gt;\n</c>.</summary>
    public const string ZephyrSource =
        "{%- if tools %}{{ '<|system|>\\n' }}{% if messages and messages[0].role == 'system' %}{{ messages[0].content + '\\n\\n' }}{% endif %}" +
        "{{- 'Tools you may call (answer with a JSON list of calls):\\n' + tools | tojson + eos_token + '\\n' }}{% endif %}" +
        "{%- for message in messages %}" +
        "{%- if tools and loop.first and message.role == 'system' %}" +
        "{%- elif message.role == 'assistant' %}{{ '<|assistant|>\\n' }}{% generation %}{{ message.content if message.content is string else '' }}" +
        "{%- if message.tool_calls %}{{ message.tool_calls | map(attribute='function') | list | tojson }}{% endif %}{{ eos_token }}{% endgeneration %}{{ '\\n' }}" +
        "{%- else %}{{ '<|' + message.role + '|>\\n' + message.content + eos_token + '\\n' }}{% endif %}" +
        "{%- endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

    /// <summary>
    /// Alpaca: a preamble (the system message, or Alpaca's default), then <c>### Instruction:</c> / <c>### Response:</c>
    /// sections separated by blank lines; each response ends with the EOS token. Tool results appear as <c>### Input:</c>.
    /// </summary>
    public const string AlpacaSource =
        "{%- if messages and messages[0].role == 'system' %}{% set system = messages[0].content %}{% set rest = messages[1:] %}" +
        "{%- else %}{% set system = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.' %}{% set rest = messages %}{% endif %}" +
        "{{- system }}{% if tools %}{{ '\\n\\nAvailable tools:\\n' + tools | tojson(indent=2) }}{% endif %}{{ '\\n\\n' }}" +
        "{%- for message in rest %}" +
        "{%- if message.role == 'user' %}{{ '### Instruction:\\n' + message.content + '\\n\\n' }}" +
        "{%- elif message.role == 'assistant' %}{{ '### Response:\\n' }}{% generation %}{{ message.content if message.content is string else '' }}" +
        "{%- if message.tool_calls %}{% if message.content %}{{ '\\n' }}{% endif %}{{ message.tool_calls | map(attribute='function') | list | tojson }}{% endif %}{{ eos_token }}{% endgeneration %}{{ '\\n\\n' }}" +
        "{%- elif message.role == 'tool' %}{{ '### Input:\\n' + message.content + '\\n\\n' }}" +
        "{%- else %}{{ raise_exception('Alpaca supports system (first), user, assistant and tool messages; got ' + message.role) }}{% endif %}" +
        "{%- endfor %}{% if add_generation_prompt %}{{ '### Response:\\n' }}{% endif %}";

    /// <summary>The names <see cref="Get"/> accepts: chatml (alias smollm2), llama3, mistral, zephyr, alpaca.</summary>
    public static IReadOnlyList<string> Names { get; } = ["chatml", "llama3", "mistral", "zephyr", "alpaca"];

    /// <summary>The source and special tokens of a built-in template.</summary>
    /// <param name="name">One of <see cref="Names"/> (case-insensitive; "smollm2" and "llama-3" are accepted too).</param>
    public static (string Source, string? BosToken, string EosToken) Get(string name) => name.ToLowerInvariant() switch
    {
        "chatml" or "smollm2" or "smollm" => (ChatMLSource, null, "<|im_end|>"),
        "llama3" or "llama-3" => (Llama3Source, "<|begin_of_text|>", "<|eot_id|>"),
        "mistral" => (MistralSource, "<s>", "</s>"),
        "zephyr" => (ZephyrSource, null, "</s>"),
        "alpaca" => (AlpacaSource, null, "</s>"),
        _ => throw new ArgumentException($"unknown built-in chat template '{name}'; choose one of: {string.Join(", ", Names)}", nameof(name)),
    };
}
