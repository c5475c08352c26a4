using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.ChatTemplates;

/// <summary>
/// A Jinja template, parsed once and rendered many times: SftLab's own implementation of the subset of
/// Jinja2 that chat templates use, with Jinja's semantics and the settings transformers renders chat templates
/// with (trim_blocks, lstrip_blocks, loop controls, <c>{% generation %}</c>, <c>raise_exception</c>,
/// <c>strftime_now</c>, a <c>tojson</c> that keeps key order). It runs sandboxed: templates see only the data
/// passed in, and <see cref="RenderLimits"/> bound loops, recursion, output size and time.
/// </summary>
/// <example>
/// <code>
/// var t = JinjaTemplate.Parse("{% for m in messages %}{{ m.role }}: {{ m.content | trim }}\n{% endfor %}");
/// var text = t.Render(new Dictionary&lt;string, object?&gt; { ["messages"] = messagesJsonArray });
/// </code>
/// </example>
public sealed class JinjaTemplate
{
    private readonly List<Node> _body;

    private JinjaTemplate(string source, string? name, List<Node> body)
    {
        Source = source;
        Name = name;
        _body = body;
        HasGenerationBlocks = ContainsGeneration(body);
    }

    /// <summary>The template source text.</summary>
    public string Source { get; }

    /// <summary>The name used in error messages (a file path, or a built-in template's name), or null.</summary>
    public string? Name { get; }

    /// <summary>True when the template marks the assistant's text with <c>{% generation %}...{% endgeneration %}</c> blocks.</summary>
    public bool HasGenerationBlocks { get; }

    /// <summary>Parses <paramref name="source"/>; throws <see cref="TemplateSyntaxException"/> (with line and column) when it is not valid Jinja.</summary>
    /// <param name="source">The template text.</param>
    /// <param name="name">A name for error messages, such as the file the template came from.</param>
    public static JinjaTemplate Parse(string source, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new JinjaTemplate(source, name, Parser.Parse(source, name));
    }

    /// <summary>
    /// Renders the template with <paramref name="context"/> as its variables. Values may be strings, numbers, booleans,
    /// null, dictionaries (string keys), lists/arrays, <see cref="JsonNode"/> or <see cref="JsonElement"/>.
    /// </summary>
    /// <exception cref="TemplateRuntimeException">The template failed (including <see cref="TemplateRaisedException"/> and <see cref="TemplateLimitException"/>).</exception>
    public string Render(IReadOnlyDictionary<string, object?> context, RenderLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var vars = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in context) vars[k] = JinjaValue.From(v);
        return RenderCore(vars, limits ?? RenderLimits.Default, tracking: false, () => DateTime.Now).Text.ToString();
    }

    internal OutputBuffer RenderCore(Dictionary<string, object?> vars, RenderLimits limits, bool tracking, Func<DateTime> now)
    {
        var interp = new Interpreter(Name, limits, tracking);
        interp.InstallGlobals(now);
        var frame = new Frame(null);
        foreach (var (k, v) in vars) frame.Vars[k] = v;
        try
        {
            interp.Run(_body, frame);
        }
        catch (TemplateException)
        {
            throw;
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException or ArgumentException or OverflowException or IndexOutOfRangeException or FormatException)
        {
            throw new TemplateRuntimeException($"render failed: {e.Message}", Name, 0, 0, e);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new TemplateLimitException("the template nests too deeply", Name);
        }
        return interp.Output;
    }

    private static bool ContainsGeneration(IEnumerable<Node> nodes) => nodes.Any(n => n switch
    {
        GenerationNode => true,
        IfNode i => ContainsGeneration(i.Body) || ContainsGeneration(i.Else),
        ForNode f => ContainsGeneration(f.Body) || ContainsGeneration(f.Else),
        MacroNode m => ContainsGeneration(m.Body),
        CallBlockNode c => ContainsGeneration(c.Body),
        FilterBlockNode fb => ContainsGeneration(fb.Body),
        SetBlockNode sb => ContainsGeneration(sb.Body),
        _ => false,
    });
}

/// <summary>Converts .NET and JSON values to the engine's values (Python-like: int, float, str, list, dict, None).</summary>
internal static class JinjaValue
{
    public static object? From(object? v, int depth = 0)
    {
        if (depth > 256) throw new ArgumentException("value is nested too deeply (more than 256 levels)");
        switch (v)
        {
            case null: return null;
            case string or bool or long or double or TaggedString or PyDict or PyTuple or Undefined: return v;
            case int i: return (long)i;
            case short s: return (long)s;
            case byte b: return (long)b;
            case uint u: return (long)u;
            case float f: return (double)f;
            case decimal m: return (double)m;
            case JsonNode node: return FromJson(node, depth);
            case JsonElement el: return FromElement(el, depth);
            case List<object?> list when list.All(x => x is null or string or bool or long or double or PyDict or List<object?>): return list;
            case IDictionary dict:
            {
                var d = new PyDict();
                foreach (DictionaryEntry e in dict) d[e.Key is string ks ? ks : From(e.Key, depth + 1) ?? "None"] = From(e.Value, depth + 1);
                return d;
            }
            case IEnumerable seq:
                return seq.Cast<object?>().Select(x => From(x, depth + 1)).ToList();
            default:
                throw new ArgumentException($"a template cannot receive a value of type {v.GetType().Name}: pass strings, numbers, booleans, null, dictionaries, lists or JSON");
        }
    }

    public static object? FromJson(JsonNode? node, int depth = 0)
    {
        if (depth > 256) throw new ArgumentException("JSON value is nested too deeply (more than 256 levels)");
        switch (node)
        {
            case null: return null;
            case JsonObject o:
            {
                var d = new PyDict();
                foreach (var (k, v) in o) d[k] = FromJson(v, depth + 1);
                return d;
            }
            case JsonArray a: return a.Select(x => FromJson(x, depth + 1)).ToList();
            case JsonValue v:
                if (v.TryGetValue<JsonElement>(out var el)) return FromElement(el, depth);
                if (v.TryGetValue<string>(out var str)) return str;
                if (v.TryGetValue<bool>(out var b)) return b;
                if (v.TryGetValue<int>(out var i32)) return (long)i32;
                if (v.TryGetValue<long>(out var i64)) return i64;
                if (v.TryGetValue<double>(out var dbl)) return dbl;
                if (v.TryGetValue<float>(out var flt)) return (double)flt;
                if (v.TryGetValue<decimal>(out var dec)) return (double)dec;
                return FromElement(JsonSerializer.SerializeToElement(v), depth);
            default: return null;
        }
    }

    private static object? FromElement(JsonElement el, int depth)
    {
        switch (el.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.Undefined: return null;
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.String: return el.GetString();
            case JsonValueKind.Number:
            {
                var raw = el.GetRawText();
                if (raw.IndexOfAny(['.', 'e', 'E']) < 0 && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
                return el.GetDouble();
            }
            case JsonValueKind.Array: return el.EnumerateArray().Select(x => FromElement(x, depth + 1)).ToList();
            case JsonValueKind.Object:
            {
                var d = new PyDict();
                foreach (var p in el.EnumerateObject()) d[p.Name] = FromElement(p.Value, depth + 1);
                return d;
            }
            default: return null;
        }
    }
}
