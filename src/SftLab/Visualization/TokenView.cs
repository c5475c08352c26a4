using System.Globalization;
using System.Net;
using System.Text;

namespace SftLab.Visualization;

/// <summary>One token for a <see cref="TokenView"/>: its text, its id, and how training treats it.</summary>
/// <param name="Text">The token's text as it appears in the decoded string (" the", "\n"…).</param>
/// <param name="Id">The token id.</param>
/// <param name="IsSpecial">A special token (&lt;|im_start|&gt;, &lt;/s&gt;…): drawn boxed and bold.</param>
/// <param name="IsMasked">Excluded from the loss (label -100: prompt tokens, padding): drawn grey and hatched.</param>
public readonly record struct TokenInfo(string Text, int Id, bool IsSpecial = false, bool IsMasked = false);

/// <summary>What the numbers of a value-colored <see cref="TokenView"/> are.</summary>
public enum TokenValueKind
{
    /// <summary>Per-token cross-entropy loss in nats (−log p): redder is higher.</summary>
    Loss,

    /// <summary>The probability the model gave each token (0–1): redder is lower.</summary>
    Probability,
}

/// <summary>
/// Text shown token by token: each token on its own colored background (alternating colors, so
/// the boundaries show), its id on hover, special tokens boxed, loss-masked tokens grey and
/// hatched. With per-token values (<see cref="Views.TokenLoss"/>) the background instead shows
/// the loss or probability of each token on a white-to-red scale.
/// </summary>
public sealed class TokenView : HtmlView
{
    private static readonly string[] Palette = ["#cfe5fb", "#fde2c4", "#d4f2d0", "#f9d2d2", "#e5dbf7", "#f2e3d0"];
    private readonly TokenInfo[] tokens;
    private readonly double[]? values;

    /// <summary>Creates a token view.</summary>
    /// <param name="tokens">The tokens in order.</param>
    /// <param name="title">An optional heading.</param>
    public TokenView(IEnumerable<TokenInfo> tokens, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        this.tokens = tokens.ToArray();
        Title = title;
    }

    /// <summary>Creates a view colored by a per-token value (loss or probability).</summary>
    public TokenView(IEnumerable<TokenInfo> tokens, IEnumerable<double> values, TokenValueKind kind, string? title = null)
        : this(tokens, title)
    {
        ArgumentNullException.ThrowIfNull(values);
        this.values = values.ToArray();
        ValueKind = kind;
        if (this.values.Length != this.tokens.Length)
        {
            throw new ArgumentException($"{this.tokens.Length} tokens but {this.values.Length} values; give one value per token (NaN for none).", nameof(values));
        }
        if (kind == TokenValueKind.Probability && this.values.Any(v => double.IsFinite(v) && (v < 0 || v > 1)))
        {
            throw new ArgumentException("probabilities must lie in [0, 1] (NaN for none).", nameof(values));
        }
        if (kind == TokenValueKind.Loss && this.values.Any(v => double.IsFinite(v) && v < 0))
        {
            throw new ArgumentException("a cross-entropy loss is never negative (NaN for none).", nameof(values));
        }
        MaxLoss = kind == TokenValueKind.Loss ? Math.Max(1e-9, this.values.Where((v, i) => double.IsFinite(v) && !this.tokens[i].IsMasked).DefaultIfEmpty(1).Max()) : 1;
    }

    /// <summary>The heading, if any.</summary>
    public string? Title { get; }

    /// <summary>The tokens shown.</summary>
    public IReadOnlyList<TokenInfo> Tokens => tokens;

    /// <summary>The per-token values, or null when colored by token.</summary>
    public IReadOnlyList<double>? TokenValues => values;

    /// <summary>What <see cref="TokenValues"/> are.</summary>
    public TokenValueKind ValueKind { get; }

    /// <summary>The loss drawn darkest red (the largest unmasked loss).</summary>
    public double MaxLoss { get; } = 1;

    /// <inheritdoc/>
    protected override string PageTitle => Title ?? "SftLab tokens";

    /// <summary>0 (white) to 1 (full red) for token <paramref name="i"/>, or null when it has no value.</summary>
    internal double? Intensity(int i)
    {
        if (values is null || tokens[i].IsMasked || !double.IsFinite(values[i])) return null;
        return ValueKind == TokenValueKind.Loss ? Math.Clamp(values[i] / MaxLoss, 0, 1) : Math.Clamp(1 - values[i], 0, 1);
    }

    internal static string Heat(double t)
    {
        // white → #d62728 (red), linear in RGB.
        int Mix(int a, int b) => (int)Math.Round(a + (b - a) * t);
        return $"#{Mix(255, 214):x2}{Mix(255, 39):x2}{Mix(255, 40):x2}";
    }

    /// <inheritdoc/>
    protected override string RenderBody(string scope)
    {
        var sb = new StringBuilder(tokens.Length * 120 + 2048);
        var s = "." + scope;
        sb.Append("<div class=\"").Append(scope).Append("\">\n<style>\n")
          .Append(s).Append(" { font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; color: #1f2328; background: #ffffff; padding: 10px 14px; font-size: 13px; }\n")
          .Append(s).Append(" .sl-title { font-weight: 600; font-size: 15px; margin-bottom: 6px; }\n")
          .Append(s).Append(" .sl-legend { color: #57606a; margin-bottom: 8px; line-height: 2; }\n")
          .Append(s).Append(" .sl-text { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 14px; line-height: 2.1; white-space: pre-wrap; word-break: break-word; }\n")
          .Append(s).Append(" .sl-t { border-radius: 3px; padding: 2px 0; box-shadow: inset -1px 0 0 rgba(0,0,0,0.18); }\n")
          .Append(s).Append(" .sl-sp { font-weight: 700; color: #4b2a91; background: #ede4ff; outline: 1.5px solid #7c4dcc; outline-offset: -1px; padding: 2px 2px; }\n")
          .Append(s).Append(" .sl-m { color: #6e7781; background: repeating-linear-gradient(135deg, #eceff2 0 4px, #f8f9fa 4px 8px); }\n")
          .Append(s).Append(" .sl-sp.sl-m { color: #7c6aa6; }\n")
          .Append(s).Append(" .sl-ws { color: #8c959f; }\n")
          .Append(s).Append(" .sl-bar { display: inline-block; width: 120px; height: 10px; vertical-align: middle; border: 1px solid #d0d7de; background: linear-gradient(90deg, #ffffff, #d62728); }\n")
          .Append("</style>\n");
        if (Title is not null) sb.Append("<div class=\"sl-title\">").Append(WebUtility.HtmlEncode(Title)).Append("</div>\n");
        sb.Append("<div class=\"sl-legend\">").Append(tokens.Length).Append(" tokens · ");
        if (values is null)
        {
            sb.Append("<span class=\"sl-t\" style=\"background:").Append(Palette[0]).Append("\">alternating</span>")
              .Append("<span class=\"sl-t\" style=\"background:").Append(Palette[1]).Append("\">colors</span> = token boundaries");
        }
        else if (ValueKind == TokenValueKind.Loss)
        {
            sb.Append("loss 0 <span class=\"sl-bar\"></span> ").Append(MaxLoss.ToString("0.##", CultureInfo.InvariantCulture)).Append(" nats");
        }
        else
        {
            sb.Append("probability 1 <span class=\"sl-bar\"></span> 0");
        }
        sb.Append(" · <span class=\"sl-t sl-sp\">special</span> · <span class=\"sl-t sl-m\">masked (no loss)</span> · hover a token for its id</div>\n");
        sb.Append("<div class=\"sl-text\">");
        for (var i = 0; i < tokens.Length; i++)
        {
            var t = tokens[i];
            var classes = "sl-t" + (t.IsSpecial ? " sl-sp" : "") + (t.IsMasked ? " sl-m" : "");
            string? background = null;
            if (!t.IsSpecial && !t.IsMasked)
            {
                background = values is null ? Palette[i % Palette.Length] : Intensity(i) is double h ? Heat(h) : "#ffffff";
            }
            sb.Append("<span class=\"").Append(classes).Append("\" data-id=\"").Append(t.Id.ToString(CultureInfo.InvariantCulture))
              .Append("\" data-index=\"").Append(i.ToString(CultureInfo.InvariantCulture)).Append('"');
            if (background is not null)
            {
                sb.Append(" style=\"background:").Append(background);
                if (values is not null && Intensity(i) > 0.6) sb.Append(";color:#ffffff");
                sb.Append('"');
            }
            sb.Append(" title=\"").Append(WebUtility.HtmlEncode(Tooltip(i))).Append("\">");
            AppendVisibleText(sb, t.Text);
            sb.Append("</span>");
            sb.Append('\n', t.Text.Count(ch => ch == '\n'));
        }
        sb.Append("</div>\n</div>\n");
        return sb.ToString();
    }

    private string Tooltip(int i)
    {
        var t = tokens[i];
        var tip = new StringBuilder();
        tip.Append("#").Append(i).Append("  id ").Append(t.Id.ToString(CultureInfo.InvariantCulture)).Append("  ")
           .Append(Quote(t.Text));
        if (t.IsSpecial) tip.Append("  special");
        if (t.IsMasked) tip.Append("  masked (no loss)");
        if (values is not null && double.IsFinite(values[i]))
        {
            if (ValueKind == TokenValueKind.Loss)
            {
                tip.Append("  loss ").Append(values[i].ToString("0.###", CultureInfo.InvariantCulture))
                   .Append("  p ").Append(Math.Exp(-values[i]).ToString("0.###", CultureInfo.InvariantCulture));
            }
            else
            {
                tip.Append("  p ").Append(values[i].ToString("0.###", CultureInfo.InvariantCulture));
            }
        }
        return tip.ToString();
    }

    private static string Quote(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in text)
        {
            sb.Append(c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", '"' => "\\\"", _ => c.ToString() });
        }
        return sb.Append('"').ToString();
    }

    // Newlines and tabs get a visible mark; the newline itself follows the span so the text wraps there.
    private static void AppendVisibleText(StringBuilder sb, string text)
    {
        if (text.Length == 0)
        {
            sb.Append("<span class=\"sl-ws\">∅</span>");
            return;
        }
        var run = new StringBuilder();
        void FlushRun()
        {
            if (run.Length == 0) return;
            sb.Append(WebUtility.HtmlEncode(run.ToString()));
            run.Clear();
        }
        foreach (var c in text)
        {
            var mark = c switch { '\n' => "↵", '\r' => "␍", '\t' => "→", _ => null };
            if (mark is null)
            {
                run.Append(c);
                continue;
            }
            FlushRun();
            sb.Append("<span class=\"sl-ws\">").Append(mark).Append("</span>");
            if (c == '\t') sb.Append("   ");
        }
        FlushRun();
    }
}
