using System.Text.Json;
using SftLab.Visualization;

namespace SftLab.Tests.Visualization;

/// <summary>The figure JSON without a browser: omitted fields, gaps, bad input with its path.</summary>
public sealed class FigureJsonTests
{
    private static IEnumerable<(string Path, JsonElement Value)> Walk(JsonElement e, string path)
    {
        yield return (path, e);
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                foreach (var x in Walk(p.Value, path + "." + p.Name)) yield return x;
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in e.EnumerateArray())
            {
                foreach (var x in Walk(item, $"{path}[{i++}]")) yield return x;
            }
        }
    }

    [Fact]
    public void UnsetFieldsAreOmittedAndOnlyDataGapsAreNull()
    {
        var figure = new Figure(
            new Scatter { Y = new[] { 1.0, double.NaN, 3 } },
            new Bar { X = new[] { "a" }, Y = new[] { 1 } },
            new Histogram { X = new[] { 1, 2 } },
            new Heatmap { Z = [[1, double.NegativeInfinity]] },
            new Box { Y = new[] { 1.0 } },
            new Table { Header = new TableCells { Values = [new[] { "h" }] }, Cells = new TableCells { Values = [new[] { 1 }] } });
        figure.Layout.Title = "t";
        figure.Layout.Margin = new Margin { Left = 1 };
        using var doc = JsonDocument.Parse(figure.ToJson());
        var nulls = Walk(doc.RootElement, "").Where(x => x.Value.ValueKind == JsonValueKind.Null).Select(x => x.Path).ToList();
        Assert.Equal([".data[0].y[1]", ".data[3].z[0][1]"], nulls);
        // Unset fields are absent, not null: the margin has only "l", the scatter only type and y.
        Assert.Equal(["l"], doc.RootElement.GetProperty("layout").GetProperty("margin").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["type", "y"], doc.RootElement.GetProperty("data")[0].EnumerateObject().Select(p => p.Name).Order());
        Assert.False(doc.RootElement.TryGetProperty("config", out _));
    }

    [Fact]
    public void NumbersRoundTripExactlyAndGapsBecomeNull()
    {
        double[] y = [0.1, 1e-300, -2.5e17, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1.0 / 3];
        using var doc = JsonDocument.Parse(Chart.Line(y).ToJson());
        var written = doc.RootElement.GetProperty("data")[0].GetProperty("y").EnumerateArray().ToArray();
        for (var i = 0; i < y.Length; i++)
        {
            if (double.IsFinite(y[i])) Assert.Equal(y[i], written[i].GetDouble());
            else Assert.Equal(JsonValueKind.Null, written[i].ValueKind);
        }
    }

    [Fact]
    public void NamesFollowPlotly()
    {
        var figure = Chart.Bar(new[] { "a" }, new[] { 1 }, errors: [0.5]);
        figure.Layout.PaperBgColor = "#fff";
        figure.Layout.GetXAxis(2).Title = "second";
        figure.Layout.GetYAxis(3).Type = "log";
        figure.Data[0].ShowLegend = true;
        figure.Data[0].HoverTemplate = "%{y}";
        using var doc = JsonDocument.Parse(figure.ToJson());
        var layout = doc.RootElement.GetProperty("layout");
        Assert.Equal("#fff", layout.GetProperty("paper_bgcolor").GetString());
        Assert.Equal("second", layout.GetProperty("xaxis2").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("log", layout.GetProperty("yaxis3").GetProperty("type").GetString());
        var trace = doc.RootElement.GetProperty("data")[0];
        Assert.Equal(0.5, trace.GetProperty("error_y").GetProperty("array")[0].GetDouble());
        Assert.True(trace.GetProperty("showlegend").GetBoolean());
        Assert.Equal("%{y}", trace.GetProperty("hovertemplate").GetString());
    }

    [Fact]
    public void DatesAreWrittenInPlotlyFormat()
    {
        var v = Values.From(new[] { new DateTime(2026, 3, 4, 5, 6, 7, 890) });
        Assert.Equal("2026-03-04 05:06:07.890000", v[0]);
        Assert.Equal([1.0, 2.5], Values.From(new[] { 1f, 2.5f }).Numbers.ToArray());
    }

    [Fact]
    public void MismatchedLengthsNameTheTraceAndFields()
    {
        var e = Assert.Throws<FigureException>(() => Chart.Line(new[] { 1, 2, 3 }, new[] { 1.0, 2 }, name: "train"));
        Assert.Contains("x has 3 values but y has 2", e.Message);

        var figure = Chart.Line(new[] { 1, 2 }, new[] { 1, 2 }, name: "train");
        figure.Add(new Scatter { Name = "eval", X = new[] { 1, 2 }, Y = new[] { 1, 2, 3 } });
        var later = Assert.Throws<FigureException>(() => figure.ToJson());
        Assert.Contains("data[1] (scatter \"eval\")", later.Message);

        Assert.Contains("error_y.array", Assert.Throws<FigureException>(() => Chart.Bar(new[] { "a", "b" }, new[] { 1, 2 }, errors: [1])).Message);
        Assert.Contains("z[1] has 1 values but z[0] has 2", Assert.Throws<FigureException>(() => Chart.Heatmap([[1, 2], [3]])).Message);
        Assert.Contains("x has 5 values for 2 columns", Assert.Throws<FigureException>(() => Chart.Heatmap([[1, 2]], ["a", "b", "c", "d", "e"])).Message);
        Assert.Contains("cells.values[1] has 1 rows", Assert.Throws<FigureException>(() => Chart.Table(["a", "b"], new[] { 1, 2 }, new[] { 3 })).Message);
        Assert.Contains("the header has 1 columns", Assert.Throws<FigureException>(() => Chart.Table(["a"], new[] { 1 }, new[] { 3 })).Message);
    }

    [Fact]
    public void NonFiniteNumbersOutsideDataArraysAreRejectedWithTheirPath()
    {
        var figure = Chart.Line(new[] { 1, 2 }, new[] { 1, 2 });
        figure.Layout.GetXAxis(1).Range = [0, double.NaN];
        Assert.StartsWith("layout.xaxis.range[1] is NaN", Assert.Throws<FigureException>(() => figure.ToJson()).Message);

        var opacity = Chart.Line(new[] { 1, 2 }, new[] { 1, 2 });
        opacity.Data[0].Opacity = double.PositiveInfinity;
        Assert.StartsWith("data[0].opacity is ∞", Assert.Throws<FigureException>(() => opacity.ToJson()).Message.Replace("Infinity", "∞"));

        var shape = new Figure().AddVerticalLine(double.NaN);
        Assert.StartsWith("layout.shapes[0].x0 is NaN", Assert.Throws<FigureException>(() => shape.ToJson()).Message);
    }

    [Fact]
    public void EmptySeriesAreAllowed()
    {
        using var doc = JsonDocument.Parse(Chart.Line(Array.Empty<int>(), Array.Empty<double>()).ToJson());
        Assert.Equal(0, doc.RootElement.GetProperty("data")[0].GetProperty("x").GetArrayLength());
        Assert.Empty(Chart.Combine().Data);
    }

    [Fact]
    public void SubplotsPutEachCellOnItsOwnAxesWithoutChangingTheCells()
    {
        var a = Chart.Line(new[] { 1 }, new[] { 1 }).WithXAxis("step");
        var b = Chart.Bar(new[] { "x" }, new[] { 2 }).AddVerticalLine(0.5, "mark");
        var grid = Chart.Subplots(1, 2, [a, b], ["A", "B"]);
        Assert.Equal(["x", "x2"], grid.Data.Select(t => t.XAxis));
        Assert.Equal(["y", "y2"], grid.Data.Select(t => t.YAxis));
        Assert.Null(b.Data[0].XAxis);
        Assert.Equal("x2", grid.Layout.Shapes![0].XRef);
        Assert.Equal("y2 domain", grid.Layout.Shapes![0].YRef);
        Assert.Equal("step", grid.Layout.XAxis!.Title!.Text);
        Assert.Equal(["<b>A</b>", "mark", "<b>B</b>"], grid.Layout.Annotations!.Select(x => x.Text));
        Assert.Throws<ArgumentException>(() => Chart.Subplots(1, 1, [a, b]));
    }
}
