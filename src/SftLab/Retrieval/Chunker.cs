namespace SftLab.Retrieval;

/// <summary>
/// Splits documents into passages for retrieval. A language model's prompt holds only a few
/// passages, so long documents are cut into pieces of at most <c>maxWords</c> words; a piece ends
/// at a sentence or paragraph end whenever one fits, and consecutive pieces share up to
/// <c>overlap</c> words so a fact that straddles a cut is still whole in one of them. Words are
/// runs of non-whitespace. A sentence ends at a word ending in '.', '!' or '?' (a closing quote or
/// bracket may follow), or at a paragraph end (a blank line). Abbreviations such as "e.g." also end
/// a sentence here; that only makes cuts a little more frequent.
/// </summary>
public static class Chunker
{
    /// <summary>
    /// Splits every document into passages of at most <paramref name="maxWords"/> words.
    /// The overlap is taken in whole sentences: the next passage starts at the earliest sentence
    /// that begins within the last <paramref name="overlap"/> words of the previous one (so there
    /// may be less overlap, or none, when sentences are long). A single sentence longer than
    /// <paramref name="maxWords"/> is cut mid-sentence, and then exactly <paramref name="overlap"/>
    /// words are repeated. Documents without words give no passage. Passages are numbered in order.
    /// </summary>
    /// <exception cref="ArgumentException">maxWords &lt; 1, overlap &lt; 0 or overlap ≥ maxWords, or a document is null or has a null field.</exception>
    public static IReadOnlyList<Passage> Split(IEnumerable<Document> documents, int maxWords = 100, int overlap = 20)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (maxWords < 1) throw new ArgumentOutOfRangeException(nameof(maxWords), maxWords, "a passage holds at least one word");
        if (overlap < 0 || overlap >= maxWords) throw new ArgumentOutOfRangeException(nameof(overlap), overlap, $"overlap must be in [0, maxWords) = [0, {maxWords})");
        var passages = new List<Passage>();
        var d = 0;
        foreach (var doc in documents)
        {
            Check(doc, d++);
            var words = Words(doc.Text);
            var ordinal = 0;
            // Where a passage starting at word s ends (exclusive), and whether it had to cut a sentence.
            (int End, bool Cut) EndOf(int s)
            {
                var limit = s + maxWords;
                if (limit >= words.Count) return (words.Count, false);
                for (var i = limit; i > s; i--)
                    if (words[i - 1].EndsSentence) return (i, false);
                return (limit, true);
            }
            var s = 0;
            while (s < words.Count)
            {
                var (e, cut) = EndOf(s);
                var start = words[s].Start;
                var end = words[e - 1].End;
                passages.Add(new Passage(passages.Count, doc.Id, doc.Title, doc.Text[start..end], start, end - start, ordinal++));
                if (e == words.Count) break;
                int next;
                if (cut) next = Math.Max(e - overlap, s + 1);
                else
                {
                    // The earliest sentence start within the last `overlap` words (e itself starts a sentence).
                    next = e;
                    for (var i = Math.Max(e - overlap, s + 1); i < e; i++)
                        if (words[i - 1].EndsSentence) { next = i; break; }
                    // An overlap that leaves no room for anything new would repeat a passage: skip it.
                    if (next < e && EndOf(next).End <= e) next = e;
                }
                s = next;
            }
        }
        return passages;
    }

    /// <summary>Each document as one passage (no splitting): for knowledge bases of short documents.</summary>
    public static IReadOnlyList<Passage> Whole(IEnumerable<Document> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var d = 0;
        return documents.Select(doc =>
        {
            Check(doc, d);
            return new Passage(d++, doc.Id, doc.Title, doc.Text, 0, doc.Text.Length, 0);
        }).ToList();
    }

    private static void Check(Document? doc, int index)
    {
        if (doc is null) throw new ArgumentException($"document {index} is null");
        if (doc.Id is null || doc.Title is null || doc.Text is null)
            throw new ArgumentException($"document {index} ({doc.Id ?? "no id"}) has a null {(doc.Id is null ? "Id" : doc.Title is null ? "Title" : "Text")}");
    }

    private readonly record struct Word(int Start, int End, bool EndsSentence);

    private static List<Word> Words(string text)
    {
        var words = new List<Word>();
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i >= text.Length) break;
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i])) i++;
            var end = i;
            // A paragraph ends where the whitespace after the word holds a blank line (two newlines).
            var newlines = 0;
            for (var j = i; j < text.Length && char.IsWhiteSpace(text[j]); j++)
                if (text[j] == '\n') newlines++;
            var k = end - 1;
            while (k > start && text[k] is '"' or '\'' or ')' or ']' or '”' or '’' or '»') k--;
            var sentenceEnd = text[k] is '.' or '!' or '?' or '。' or '！' or '？';
            words.Add(new Word(start, end, sentenceEnd || newlines >= 2));
        }
        return words;
    }
}
