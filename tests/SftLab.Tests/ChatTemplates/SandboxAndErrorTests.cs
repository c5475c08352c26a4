using System.Diagnostics;
using SftLab.ChatTemplates;

namespace SftLab.Tests.ChatTemplates;

/// <summary>Bad templates and hostile templates: clear errors with positions, and the sandbox's limits.</summary>
public sealed class SandboxAndErrorTests
{
    private static readonly Dictionary<string, object?> NoVars = new();

    [Theory]
    [InlineData("line1\n{% if x %}\nok\n", 2, 4)]             // never closed: points at the opening tag's name
    [InlineData("a\nb {{ 1 + }}", 2, 10)]                     // missing operand: points at '}}'
    [InlineData("{% for x in y %}\n  {% endif %}", 2, 6)]     // wrong end tag
    [InlineData("x\n\n   {% frobnicate %}", 3, 7)]            // unknown tag
    [InlineData("{{ 'unterminated }}", 1, 4)]
    public void SyntaxErrorsReportLineAndColumn(string source, int line, int column)
    {
        var e = Assert.Throws<TemplateSyntaxException>(() => JinjaTemplate.Parse(source, "t.jinja"));
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.StartsWith($"t.jinja:{line}:{column}: ", e.Message);
    }

    [Fact]
    public void RaiseExceptionBecomesAClearException()
    {
        var t = ChatTemplate.FromBuiltin("mistral");
        var e = Assert.Throws<TemplateRaisedException>(() => t.Apply("""[{"role":"user","content":"a"},{"role":"user","content":"b"}]"""));
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", e.TemplateMessage);
        Assert.Contains("rejected", e.Message);
        Assert.True(e.Line > 0);
    }

    [Fact]
    public void RuntimeErrorsNameThePosition()
    {
        var e = Assert.Throws<TemplateRuntimeException>(() => JinjaTemplate.Parse("ok\n{{ messages[0].content.strip() }}", "c.json").Render(
            new Dictionary<string, object?> { ["messages"] = new List<object?> { new Dictionary<string, object?> { ["role"] = "user" } } }));
        Assert.Equal(2, e.Line);
        Assert.Contains("has no attribute 'content'", e.Message);
    }

    [Fact]
    public void HugeLoopsStopAtTheIterationLimit()
    {
        var sw = Stopwatch.StartNew();
        var t = JinjaTemplate.Parse("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
        var e = Assert.Throws<TemplateLimitException>(() => t.Render(NoVars, new RenderLimits { MaxLoopIterations = 200_000 }));
        Assert.Contains("loop iterations", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void EndlessRecursionStopsAtTheDepthLimit()
    {
        var t = JinjaTemplate.Parse("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
        var e = Assert.Throws<TemplateLimitException>(() => t.Render(NoVars));
        Assert.Contains("recursion", e.Message);
    }

    [Fact]
    public void SlowTemplatesStopAtTheTimeLimit()
    {
        // 10^4 x 10^4 iterations with string work: far more than 50 ms.
        var t = JinjaTemplate.Parse("{% for i in range(10000) %}{% for j in range(10000) %}{{ (i ~ j) | trim | upper }}{% endfor %}{% endfor %}");
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<TemplateLimitException>(() => t.Render(NoVars, new RenderLimits { Timeout = TimeSpan.FromMilliseconds(50), MaxLoopIterations = long.MaxValue, MaxOutputLength = long.MaxValue }));
        Assert.Contains("time limit", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void OutputAndStringSizeAreBounded()
    {
        Assert.Throws<TemplateLimitException>(() => JinjaTemplate.Parse("{{ 'x' * 100000000000 }}").Render(NoVars));
        Assert.Throws<TemplateLimitException>(() => JinjaTemplate.Parse("{{ range(1000000000) | length }}").Render(NoVars));
    }

    [Fact]
    public void NoDotNetMembersAreReachable()
    {
        var vars = new Dictionary<string, object?> { ["s"] = "text", ["d"] = new Dictionary<string, object?> { ["k"] = 1 }, ["l"] = new List<object?> { 1 } };
        foreach (var expr in new[] { "s.GetType", "s.Length", "d.Count", "d.Keys", "l.Capacity", "s.__class__", "d.__init__", "s.GetHashCode" })
            Assert.Equal("", JinjaTemplate.Parse("{{ " + expr + " }}").Render(vars));
        Assert.Throws<TemplateRuntimeException>(() => JinjaTemplate.Parse("{{ s.GetType() }}").Render(vars));
        Assert.Throws<TemplateRuntimeException>(() => JinjaTemplate.Parse("{{ l.append(2) }}").Render(vars));
        Assert.Throws<TemplateRuntimeException>(() => JinjaTemplate.Parse("{{ d.update({'x': 1}) }}").Render(vars));
    }

    [Fact]
    public void BadTokenizerConfigsNameTheFileAndField()
    {
        var e1 = Assert.Throws<FormatException>(() => ChatTemplate.FromTokenizerConfigJson("{\"eos_token\": \"x\"}", "cfg.json"));
        Assert.Contains("cfg.json", e1.Message);
        Assert.Contains("chat_template", e1.Message);
        var e2 = Assert.Throws<FormatException>(() => ChatTemplate.FromTokenizerConfigJson("{\"chat_template\": \"x\", \"bos_token\": 5}", "cfg.json"));
        Assert.Contains("bos_token", e2.Message);
        var e3 = Assert.Throws<TemplateSyntaxException>(() => ChatTemplate.FromTokenizerConfigJson("{\"chat_template\": \"{% if %}\"}", "cfg.json"));
        Assert.StartsWith("cfg.json:1:", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => ChatTemplate.FromBuiltin("chatml").Apply("""[{"role":"user","content":"a"},{"content":"b"}]"""));
        Assert.Contains("messages[1].role", e4.Message);
    }

    [Fact]
    public void NamedTemplateListsPickDefaultOrByName()
    {
        var json = """{"chat_template":[{"name":"default","template":"D{{ messages|length }}"},{"name":"tool_use","template":"T"}],"eos_token":{"content":"</s>"}}""";
        Assert.Equal("D1", ChatTemplate.FromTokenizerConfigJson(json).Apply("""[{"role":"user","content":"a"}]""").Text);
        var tool = ChatTemplate.FromTokenizerConfigJson(json, templateName: "tool_use");
        Assert.Equal("T", tool.Apply("[]").Text);
        Assert.Equal("</s>", tool.EosToken);
    }
}
