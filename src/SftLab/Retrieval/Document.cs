using System.Text.Json;

namespace SftLab.Retrieval;

/// <summary>A knowledge-base document: what retrieval-augmented generation (RAG) searches.</summary>
/// <param name="Id">A unique id; retrieval is scored by whether the right ids come back.</param>
/// <param name="Title">A short title (indexed with the text by default).</param>
/// <param name="Text">The body. Paragraphs are separated by blank lines.</param>
public sealed record Document(string Id, string Title, string Text)
{
    /// <summary>
    /// Reads documents from a JSON Lines file, one object per line with string fields
    /// <c>id</c>, <c>title</c> (optional) and <c>text</c>; other fields are ignored. Blank lines are skipped.
    /// </summary>
    /// <exception cref="InvalidDataException">A line is not a JSON object, lacks a field, or repeats an id (the message names file, line and field).</exception>
    public static IReadOnlyList<Document> LoadJsonl(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var docs = new List<Document>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(line);
                root = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{lineNo}: not valid JSON: {e.Message}", e);
            }
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}:{lineNo}: expected a JSON object, got {root.ValueKind}");
            string Field(string name, bool required)
            {
                if (!root.TryGetProperty(name, out var v))
                    return required ? throw new InvalidDataException($"{path}:{lineNo}: field \"{name}\" is missing") : "";
                return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new InvalidDataException($"{path}:{lineNo}: field \"{name}\" must be a string, not {v.ValueKind}");
            }
            var id = Field("id", true);
            if (seen.TryGetValue(id, out var first)) throw new InvalidDataException($"{path}:{lineNo}: field \"id\": \"{id}\" was already used on line {first}");
            seen[id] = lineNo;
            docs.Add(new Document(id, Field("title", false), Field("text", true)));
        }
        return docs;
    }
}

/// <summary>A searchable piece of a document (see <see cref="Chunker"/>).</summary>
/// <param name="Index">Its position in the passage list (0-based); ties in search are broken by it.</param>
/// <param name="DocId">The id of the document it came from.</param>
/// <param name="Title">That document's title.</param>
/// <param name="Text">The passage text, an exact slice of the document text.</param>
/// <param name="Start">Where the slice starts in the document text (a character offset).</param>
/// <param name="Length">The slice's length in characters.</param>
/// <param name="Ordinal">Its number within its document (0-based).</param>
public sealed record Passage(int Index, string DocId, string Title, string Text, int Start, int Length, int Ordinal);
