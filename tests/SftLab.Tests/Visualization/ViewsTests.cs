using System.Text.Json;
using System.Text.RegularExpressions;
using SftLab.Visualization;

namespace SftLab.Tests.Visualization;

/// <summary>What each standard view shows, from its inputs (the drawing itself is checked by plotly in PlotlyValidationTests).</summary>
public sealed class ViewsTests
{
    [Fact]
    public void TokenViewMarksSpecialAndMaskedTokensAndShowsIdsOnHover()
    {
        var html = Views.Tokens(Samples.ChatTokens).ToHtml();
        var spans = Regex.Matches(html, "<span class=\"(sl-t[^\"]*)\" data-id=\"(\\d+)\" data-index=\"(\\d+)\"[^>]* title=\"([^\"]*)\"");
        Assert.Equal(Samples.ChatTokens.Length, spans.Count);
        for (var i = 0; i < spans.Count; i++)
        {
            var t = Samples.ChatTokens[i];
            var classes = spans[i].Groups[1].Value.Split(' ');
            Assert.Equal(t.IsSpecial, classes.Contains("sl-sp"));
            Assert.Equal(t.IsMasked, classes.Contains("sl-m"));
            Assert.Equal(t.Id.ToString(), spans[i].Groups[2].Value);
            Assert.Contains($"id {t.Id}", spans[i].Groups[4].Value);
        }
        // Token text is escaped (the sample has " <b>&</b>"), newlines are marked and kept as line breaks.
        Assert.Contains("&lt;b&gt;&amp;&lt;/b&gt;", html);
        Assert.DoesNotContain("<b>&</b>", html);
        Assert.Contains("↵</span></span>\n", html);
        Assert.DoesNotContain("<script", html);
    }

    [Fact]
    public void TokenLossColorsByLossAndRejectsBadValues()
    {
        var losses = Samples.ChatLosses();
        var view = Views.TokenLoss(Samples.ChatTokens, losses);
        var maxIndex = Array.IndexOf(losses, losses.Where(double.IsFinite).Max());
        Assert.Equal(1.0, view.Intensity(maxIndex));
        Assert.Null(view.Intensity(0)); // masked
        Assert.Equal("#d62728", TokenView.Heat(1));
        Assert.Equal("#ffffff", TokenView.Heat(0));
        Assert.Contains($"loss {losses[maxIndex]:0.###}", view.ToHtml());
        Assert.Throws<ArgumentException>(() => Views.TokenLoss(Samples.ChatTokens, [1.0]));
        Assert.Throws<ArgumentException>(() => Views.TokenLoss(Samples.ChatTokens[..1], [-1.0]));
        Assert.Throws<ArgumentException>(() => Views.TokenLoss(Samples.ChatTokens[..1], [1.5], TokenValueKind.Probability));
    }

    [Fact]
    public void PackingColorsEachDocumentAndPadding()
    {
        var figure = Views.Packing([[3, 2], [4]], rowLength: 6);
        var z = ((Heatmap)figure.Data[0]).Z!;
        // Row 0: document 0 ×3, document 1 ×2, padding; row 1: document 2 ×4, padding ×2.
        Assert.Equal([1, 1, 1, 2, 2, 0], z[0]);
        Assert.Equal([3, 3, 3, 3, 0, 0], z[1]);
        Assert.Contains("75% real tokens", figure.Layout.Title!.Text);
        Assert.Throws<ArgumentException>(() => Views.Packing([[7]], rowLength: 6));
    }

    [Fact]
    public void SequenceLengthsSplitsAtMaxLength()
    {
        var figure = Views.SequenceLengths([10, 20, 30, 600, 700], maxLength: 512);
        Assert.Equal(3, ((Histogram)figure.Data[0]).X!.Count);
        Assert.Equal(2, ((Histogram)figure.Data[1]).X!.Count);
        Assert.Equal(512.0, figure.Layout.Shapes![0].X0);
        Assert.Contains("2 of 5 longer (40%)", figure.Layout.Annotations![0].Text);
        Assert.Throws<ArgumentException>(() => Views.SequenceLengths([-1]));
    }

    [Fact]
    public void AttentionKeepsDuplicateTokensApartAndChecksShapes()
    {
        string[] tokens = ["a", "b", "a"];
        double[][] w = [[1, 0, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]];
        var figure = Views.Attention(w, tokens, 0, 0);
        Assert.Equal(3, figure.Layout.XAxis!.TickVals!.Count);
        Assert.Equal(["a", "b", "a"], figure.Layout.XAxis.TickText!.Cast<string>());
        Assert.Throws<ArgumentException>(() => Views.Attention(w, ["a", "b"], 0, 0));
        Assert.Throws<ArgumentException>(() => Views.Attention([[1.0, 0]], ["a"], 0, 0));
    }

    [Fact]
    public void ComparisonGroupsByMetricWithErrorBars()
    {
        var figure = Views.Comparison(Samples.Scores);
        Assert.Equal(["zero-shot", "few-shot", "RAG", "SFT"], figure.Data.Select(t => t.Name));
        using var doc = JsonDocument.Parse(figure.ToJson());
        var sft = doc.RootElement.GetProperty("data")[3];
        Assert.Equal("[\"exact match\",\"ROUGE-L\"]", sft.GetProperty("x").GetRawText());
        Assert.Equal("[0.62,0.71]", sft.GetProperty("y").GetRawText());
        Assert.Equal("[0.03,0.02]", sft.GetProperty("error_y").GetProperty("array").GetRawText());
        Assert.Throws<ArgumentException>(() => Views.Comparison([new("a", "m", 1), new("a", "m", 2)]));
        Assert.Throws<ArgumentException>(() => Views.Comparison([new("a", "m", 1, double.NaN)]));
    }
}
