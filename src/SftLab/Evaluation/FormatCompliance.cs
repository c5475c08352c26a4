using System.Text.Json;
using System.Text.RegularExpressions;

namespace SftLab.Evaluation;

/// <summary>One reason an output broke the required format.</summary>
/// <param name="Path">Where: <c>$</c> for the whole output, or a JSON path such as <c>$.items[2].name</c>.</param>
/// <param name="Rule">Which rule: <c>regex</c>, <c>json</c> (not parseable), or the JSON-schema keyword (<c>type</c>, <c>required</c>, ...).</param>
/// <param name="Message">A sentence a person can act on.</param>
public sealed record FormatViolation(string Path, string Rule, string Message)
{
    /// <summary><c>$.price: type: expected number, got string "12"</c>.</summary>
    public override string ToString() => $"{Path}: {Rule}: {Message}";
}

/// <summary>The verdict of a <see cref="FormatCheck"/> on one output.</summary>
/// <param name="Passed">True when the output follows the format.</param>
/// <param name="Violations">Why it does not (empty when it passed).</param>
/// <param name="Answer">For a regex check with an answer group, the text of that group (e.g. the short
/// answer inside a house-style reply); null when there is none or the output failed.</param>
public sealed record FormatResult(bool Passed, IReadOnlyList<FormatViolation> Violations, string? Answer = null)
{
    /// <summary>"ok", or the violations one per line.</summary>
    public override string ToString() => Passed ? "ok" : string.Join("\n", Violations);
}

/// <summary>
/// Format compliance: does an output follow a required shape? Rewards exactly what a product
/// needs when a program parses the reply (a fixed template, valid JSON with the right fields);
/// says nothing about whether the content is correct, so report it next to a content metric.
/// Build one with <see cref="Regex(string, int?, bool)"/> or <see cref="JsonSchema(string)"/>, then call
/// <see cref="Check"/> per output; the mean of <see cref="FormatResult.Passed"/> is the compliance rate.
/// </summary>
public abstract class FormatCheck
{
    /// <summary>Checks one output.</summary>
    public abstract FormatResult Check(string output);

    /// <summary>1 when the output passes, else 0 (the per-example value to average or bootstrap).</summary>
    public double Score(string output) => Check(output).Passed ? 1 : 0;

    /// <summary>
    /// A regular-expression check (.NET syntax, which agrees with Python's <c>re</c> on ordinary
    /// patterns). By default the whole output must match, as if the pattern were wrapped in
    /// <c>\A(?:…)\z</c>; with <paramref name="fullMatch"/> false, a match anywhere is enough (the
    /// pattern's own ^ and $ still apply). Matching is limited to one second per output.
    /// </summary>
    /// <param name="pattern">The pattern, e.g. the house style's <c>^\[FH\] Answer: ([^\n]+)\n([^\n]+[.!?])\n-- Fernhollow Support$</c>.</param>
    /// <param name="answerGroup">A capture group (number) whose text is returned as <see cref="FormatResult.Answer"/>.</param>
    /// <param name="fullMatch">Require the whole output to match.</param>
    /// <exception cref="ArgumentException">The pattern does not compile, or the group does not exist.</exception>
    public static RegexFormatCheck Regex(string pattern, int? answerGroup = null, bool fullMatch = true) => new(pattern, answerGroup, fullMatch);

    /// <summary>
    /// A JSON-schema check: the output (trimmed) must be one JSON value that satisfies the schema.
    /// Supported keywords: type, enum, const, properties, required, additionalProperties, items,
    /// minItems, maxItems, minLength, maxLength, pattern, minimum, maximum, exclusiveMinimum,
    /// exclusiveMaximum; annotations ($schema, $id, title, description, default, examples,
    /// $comment) are ignored. Any other keyword is an error when the schema is built, so a check is
    /// never silently weaker than its schema. Every violation is reported with its JSON path.
    /// </summary>
    /// <exception cref="FormatException">The schema is not JSON or uses an unsupported or malformed keyword (the message names its path).</exception>
    public static JsonSchemaFormatCheck JsonSchema(string schemaJson) => new(schemaJson);
}

/// <summary>A format check by regular expression (see <see cref="FormatCheck.Regex"/>).</summary>
public sealed class RegexFormatCheck : FormatCheck
{
    private readonly Regex _regex;
    private readonly int? _answerGroup;

    /// <summary>The pattern as given.</summary>
    public string Pattern { get; }

    internal RegexFormatCheck(string pattern, int? answerGroup, bool fullMatch)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Pattern = pattern;
        try
        {
            _regex = new Regex(fullMatch ? $@"\A(?:{pattern})\z" : pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"format regex /{pattern}/ does not compile: {e.Message}", nameof(pattern), e);
        }
        if (answerGroup is { } g)
        {
            // With fullMatch the wrapper adds no capturing group, so numbering is the pattern's own.
            var numbers = _regex.GetGroupNumbers();
            if (!numbers.Contains(g)) throw new ArgumentException($"format regex /{pattern}/ has no group {g} (it has groups 0..{numbers.Max()})", nameof(answerGroup));
        }
        _answerGroup = answerGroup;
    }

    /// <inheritdoc/>
    public override FormatResult Check(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Match match;
        try
        {
            match = _regex.Match(output);
        }
        catch (RegexMatchTimeoutException)
        {
            return new FormatResult(false, [new FormatViolation("$", "regex", $"matching /{Pattern}/ took over a second (a pattern with catastrophic backtracking?)")]);
        }
        if (!match.Success)
            return new FormatResult(false, [new FormatViolation("$", "regex", $"the output does not match /{Pattern}/ ({Describe(output)})")]);
        var answer = _answerGroup is { } g && match.Groups[g].Success ? match.Groups[g].Value : null;
        return new FormatResult(true, [], answer);
    }

    private static string Describe(string output)
    {
        if (output.Length == 0) return "it is empty";
        var lines = output.Split('\n').Length;
        var start = output.Length > 40 ? output[..40] + "…" : output;
        return $"{lines} line(s), starting {JsonSerializer.Serialize(start, JsonSchemaFormatCheck.Relaxed)}";
    }
}
