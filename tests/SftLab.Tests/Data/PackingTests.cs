using SftLab.Data;
using SftLab.Models;
using SftLab.Tests.Models;
using SftLab.Torch;

namespace SftLab.Tests.Data;

public sealed class PackingTests
{
    private static List<TokenizedExample> Docs(params int[] lengths) =>
        lengths.Select((n, d) => new TokenizedExample(
            Enumerable.Range(0, n).Select(i => (long)(d * 100 + i + 1)).ToArray(),
            Enumerable.Range(0, n).Select(i => i == 0 ? TokenizedExample.IgnoreIndex : d * 100 + i + 1L).ToArray())).ToList();

    [Fact]
    public void BestFitDecreasingFillsRowsAndLosesNoToken()
    {
        var docs = Docs(7, 3, 5, 2, 6, 1, 4, 8, 2);
        var packer = new PackedBatcher(10, padTokenId: 0);
        var rows = packer.Pack(docs);
        Assert.All(rows, r => Assert.True(r.Sum(d => d.Length) <= 10));
        // 38 tokens in rows of 10: best-fit decreasing needs the minimum, 4 rows.
        Assert.Equal(4, rows.Count);
        var packedTokens = rows.SelectMany(r => r.SelectMany(d => d.InputIds)).Order().ToList();
        Assert.Equal(docs.SelectMany(d => d.InputIds).Order().ToList(), packedTokens);
    }

    [Fact]
    public void PositionIdsRestartPerDocumentAndPaddingHasNoLabels()
    {
        var docs = Docs(4, 3, 2);
        var batch = new PackedBatcher(6, padTokenId: 0).Plan(docs, batchSize: 8).Single();
        Assert.Equal(6, batch.Columns);
        Assert.Null(batch.AttentionMask);
        for (var r = 0; r < batch.Rows; r++)
        {
            var pos = batch.PositionIds!.Skip(r * 6).Take(6).ToArray();
            var ids = batch.InputIds.Skip(r * 6).Take(6).ToArray();
            // Every document starts at position 0 and counts up.
            for (var c = 0; c < 6; c++)
                if (pos[c] != 0) Assert.Equal(pos[c - 1] + 1, pos[c]);
            for (var c = 0; c < 6; c++)
                if (ids[c] != 0) Assert.Equal((ids[c] - 1) % 100, pos[c]);
        }
        Assert.All(batch.InputIds.Zip(batch.Labels).Where(p => p.First == 0), p => Assert.Equal(TokenizedExample.IgnoreIndex, p.Second));
        Assert.Equal(9, batch.RealTokens);
        Assert.Equal(3, batch.PaddingTokens);
    }

    [Theory]
    [InlineData("keep_start")]
    [InlineData("keep_end")]
    public void LongDocumentsAreTruncatedPerTheMode(string mode)
    {
        var docs = Docs(12, 3);
        var rows = new PackedBatcher(8, 0, mode).Pack(docs);
        var longDoc = rows.SelectMany(r => r).Single(d => d.InputIds[^1] / 100 == 0 && d.Length == 8);
        Assert.Equal(mode == "keep_start" ? Enumerable.Range(1, 8) : Enumerable.Range(5, 8), longDoc.InputIds.Select(i => (int)i));
        Assert.Throws<ArgumentException>(() => new PackedBatcher(8, 0, "middle"));
    }

    [Fact]
    public void PackedRowAttentionBlocksCrossDocumentAttention()
    {
        using var scope = DisposeScope.Begin();
        using var model = new LlamaForCausalLM(ModelTests.Tiny(), seed: 1);
        var docs = Docs(5, 4, 3).Select(d => new TokenizedExample(d.InputIds.Select(i => i % 48 + 2).ToArray(), d.Labels)).ToList();
        var batch = new PackedBatcher(12, 0).Plan(docs, 4).Single();
        var (ids, _, mask, pos) = batch.ToTensors(Device.Cpu);
        var packed = model.Forward(ids, mask, pos);
        // Each document alone gives the same logits as inside the packed row.
        var offset = 0L;
        foreach (var row in Enumerable.Range(0, batch.Rows))
            for (var c = 0; c < batch.Columns;)
            {
                var start = c;
                do c++; while (c < batch.Columns && batch.PositionIds![row * batch.Columns + c] != 0);
                var len = c - start;
                var alone = model.Forward(ids.Select(0, row).Narrow(0, start, len).Unsqueeze(0));
                Assert.True(packed.Select(0, row).Narrow(0, start, len).AllClose(alone.Squeeze(0), 1e-4, 1e-5), $"row {row} document at {start}");
                offset += len;
            }
        Assert.Equal(12, offset);
    }

    [Fact]
    public void PaddingFreeConcatenatesWithoutPadding()
    {
        var docs = Docs(3, 5, 2, 4);
        var batches = new PaddingFreeBatcher(100).Plan(docs, 2);
        Assert.Equal(2, batches.Count);
        Assert.All(batches, b => Assert.Equal(1, b.Rows));
        Assert.Equal(8, batches[0].Columns);
        Assert.Equal(new long[] { 0, 1, 2, 0, 1, 2, 3, 4 }, batches[0].PositionIds);
        Assert.Equal(docs.Take(2).SelectMany(d => d.InputIds), batches[0].InputIds);
        Assert.Equal(batches.Sum(b => b.RealTokens), docs.Sum(d => d.Length));
    }

    [Fact]
    public void PackingPlansAreDeterministic()
    {
        var docs = Docs(7, 3, 5, 2, 6, 1, 4, 8, 2, 9, 3);
        var a = new PackedBatcher(10, 0, seed: 5).Plan(docs, 2);
        var b = new PackedBatcher(10, 0, seed: 5).Plan(docs, 2);
        Assert.Equal(a.SelectMany(x => x.InputIds), b.SelectMany(x => x.InputIds));
    }
}
