using SftLab.Retrieval;

namespace SftLab.Tests.Retrieval;

/// <summary>Chunking: hand cases for the sentence-aligned overlap, and invariants on the shipped knowledge base.</summary>
public class ChunkerTests
{
    private static List<string> Texts(string text, int maxWords, int overlap) =>
        Chunker.Split([new Document("d", "T", text)], maxWords, overlap).Select(p => p.Text).ToList();

    [Fact]
    public void OverlapIsInWholeSentences()
    {
        // Sentences of two words; 4 words per passage, 2 words of overlap: each passage repeats the previous one's last sentence.
        Assert.Equal(["A b. C d.", "C d. E f.", "E f. G h."], Texts("A b. C d. E f. G h.", 4, 2));
        Assert.Equal(["A b. C d.", "E f. G h."], Texts("A b. C d. E f. G h.", 4, 0));
        // The 3-word sentence "C d e." does not fit in 2 words of overlap: no overlap then.
        Assert.Equal(["A b. C d e.", "F g h i. J."], Texts("A b. C d e. F g h i. J.", 5, 2));
        // With 3 words it would fit, but a passage "C d e." alone would add nothing new, so it is skipped.
        Assert.Equal(["A b. C d e.", "F g h i. J."], Texts("A b. C d e. F g h i. J.", 5, 3));
    }

    [Fact]
    public void ASentenceLongerThanAPassageIsCutWithExactOverlap()
    {
        var words = string.Join(' ', Enumerable.Range(1, 12).Select(i => "w" + i));
        Assert.Equal(["w1 w2 w3 w4 w5", "w4 w5 w6 w7 w8", "w7 w8 w9 w10 w11", "w10 w11 w12"], Texts(words, 5, 2));
    }

    [Fact]
    public void ParagraphEndsAndQuotesEndSentences()
    {
        // "line" ends a paragraph (blank line); "said." followed by a closing quote ends a sentence.
        Assert.Equal(["Intro line", "Next para here \"he said.\"", "Last one"], Texts("Intro line\n\nNext para here \"he said.\" Last one", 5, 0));
    }

    [Fact]
    public void KnowledgeBasePassagesAreExactSlicesCoveringEveryWord()
    {
        var docs = Document.LoadJsonl(System.IO.Path.Combine(Oracles.PythonOracle.RepoRoot, "datasets", "knowledge-base", "documents.jsonl"));
        Assert.Equal(116, docs.Count);
        const int maxWords = 30, overlap = 8;
        var passages = Chunker.Split(docs, maxWords, overlap);
        Assert.Equal(Enumerable.Range(0, passages.Count), passages.Select(p => p.Index));
        Assert.True(passages.Count > docs.Count, "some documents are longer than 30 words");
        foreach (var doc in docs)
        {
            var mine = passages.Where(p => p.DocId == doc.Id).ToList();
            Assert.NotEmpty(mine);
            Assert.Equal(Enumerable.Range(0, mine.Count), mine.Select(p => p.Ordinal));
            var covered = new bool[doc.Text.Length];
            for (var i = 0; i < mine.Count; i++)
            {
                var p = mine[i];
                Assert.Equal(doc.Text.Substring(p.Start, p.Length), p.Text);
                Assert.Equal(doc.Title, p.Title);
                Assert.InRange(p.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length, 1, maxWords);
                for (var c = p.Start; c < p.Start + p.Length; c++) covered[c] = true;
                if (i > 0)
                {
                    // Consecutive passages move forward and share at most `overlap` words.
                    var prev = mine[i - 1];
                    Assert.True(p.Start > prev.Start);
                    var shared = Math.Max(0, prev.Start + prev.Length - p.Start);
                    var sharedWords = shared == 0 ? 0 : doc.Text.Substring(p.Start, shared).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
                    Assert.InRange(sharedWords, 0, overlap);
                }
            }
            for (var c = 0; c < doc.Text.Length; c++)
                Assert.True(covered[c] || char.IsWhiteSpace(doc.Text[c]), $"{doc.Id}: character {c} is in no passage");
        }
        Assert.Equal(docs.Count, Chunker.Whole(docs).Count);
    }

    [Fact]
    public void BadInputIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Chunker.Split([], maxWords: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Chunker.Split([], maxWords: 10, overlap: 10));
        Assert.Contains("document 1", Assert.Throws<ArgumentException>(() => Chunker.Split([new Document("a", "", "x"), null!])).Message);
        Assert.Empty(Chunker.Split([new Document("a", "t", "   ")]));
    }

    [Fact]
    public void JsonlErrorsNameFileLineAndField()
    {
        var path = System.IO.Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "{\"id\": \"a\", \"title\": \"A\", \"text\": \"x\"}\n\n{\"id\": \"b\", \"title\": \"B\"}\n");
            var e = Assert.Throws<InvalidDataException>(() => Document.LoadJsonl(path));
            Assert.Contains($"{path}:3: field \"text\" is missing", e.Message);
            File.WriteAllText(path, "{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": \"a\", \"text\": \"y\"}\n");
            Assert.Contains("was already used on line 1", Assert.Throws<InvalidDataException>(() => Document.LoadJsonl(path)).Message);
            File.WriteAllText(path, "{\"id\": 5, \"text\": \"x\"}\n");
            Assert.Contains(":1: field \"id\" must be a string", Assert.Throws<InvalidDataException>(() => Document.LoadJsonl(path)).Message);
            File.WriteAllText(path, "not json\n");
            Assert.Contains(":1: not valid JSON", Assert.Throws<InvalidDataException>(() => Document.LoadJsonl(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
