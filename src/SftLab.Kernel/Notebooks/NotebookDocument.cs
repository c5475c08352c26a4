using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.Kernel.Notebooks;

/// <summary>One cell of a notebook: its type, source text and tags (a view over the notebook's JSON).</summary>
public sealed class NotebookCell
{
    internal NotebookCell(JsonObject json, int index, string path)
    {
        Json = json;
        Index = index;
        var type = json["cell_type"];
        CellType = type is JsonValue v && v.TryGetValue<string>(out var t)
            ? t
            : throw new FormatException($"{path}: cells[{index}].cell_type is missing or not a string");
        Source = SourceText(json["source"], $"{path}: cells[{index}].source");
    }

    /// <summary>The cell's JSON (changes to it are saved with the notebook).</summary>
    public JsonObject Json { get; }

    /// <summary>The position of the cell in the notebook (0-based).</summary>
    public int Index { get; internal set; }

    /// <summary>"code", "markdown" or "raw".</summary>
    public string CellType { get; }

    /// <summary>The cell's text.</summary>
    public string Source { get; }

    /// <summary>metadata.tags (e.g. "parameters").</summary>
    public IReadOnlyList<string> Tags =>
        Json["metadata"]?["tags"] is JsonArray a ? [.. a.Select(t => t?.GetValue<string>() ?? "")] : [];

    /// <summary>nbformat stores source as a string or as a list of lines; both read as one string.</summary>
    internal static string SourceText(JsonNode? node, string where) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray a => string.Concat(a.Select((x, i) => x is JsonValue xv && xv.TryGetValue<string>(out var line)
            ? line
            : throw new FormatException($"{where}[{i}] must be a string"))),
        _ => throw new FormatException($"{where} must be a string or a list of strings"),
    };
}

/// <summary>
/// A Jupyter notebook (.ipynb, nbformat 4): read, edit cells, write. Errors name the file and the JSON path.
/// </summary>
public sealed class NotebookDocument
{
    private NotebookDocument(JsonObject root, string path)
    {
        Root = root;
        Path = path;
        if (root["nbformat"] is not JsonValue f || !f.TryGetValue<int>(out var major) || major != 4)
            throw new FormatException($"{path}: nbformat must be 4 (this is not a Jupyter notebook of a supported version)");
        if (root["cells"] is not JsonArray cells)
            throw new FormatException($"{path}: \"cells\" is missing or not a list");
        var list = new List<NotebookCell>();
        for (var i = 0; i < cells.Count; i++)
            list.Add(new NotebookCell(cells[i] as JsonObject ?? throw new FormatException($"{path}: cells[{i}] is not an object"), i, path));
        Cells = list;
    }

    /// <summary>The notebook's JSON.</summary>
    public JsonObject Root { get; }

    /// <summary>Where it was read from.</summary>
    public string Path { get; }

    /// <summary>The cells in order.</summary>
    public IReadOnlyList<NotebookCell> Cells { get; private set; }

    /// <summary>metadata.kernelspec.name, or null.</summary>
    public string? KernelName => (string?)Root["metadata"]?["kernelspec"]?["name"];

    /// <summary>Reads a notebook file.</summary>
    public static NotebookDocument Load(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: not valid JSON: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new FileNotFoundException($"{path}: cannot read the notebook: {e.Message}", path, e);
        }
        return new NotebookDocument(root as JsonObject ?? throw new FormatException($"{path}: the notebook is not a JSON object"), path);
    }

    /// <summary>Parses notebook JSON text (path names it in errors).</summary>
    public static NotebookDocument Parse(string json, string path)
    {
        try
        {
            return new NotebookDocument(JsonNode.Parse(json) as JsonObject ?? throw new FormatException($"{path}: the notebook is not a JSON object"), path);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The first cell tagged <paramref name="tag"/>, or null.</summary>
    public NotebookCell? FindTagged(string tag) => Cells.FirstOrDefault(c => c.Tags.Contains(tag));

    /// <summary>Inserts a code cell at <paramref name="index"/> with the given source and tags; returns it.</summary>
    public NotebookCell InsertCodeCell(int index, string source, params string[] tags)
    {
        var tagArray = new JsonArray();
        foreach (var t in tags) tagArray.Add(t);
        var json = new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["id"] = Guid.NewGuid().ToString("N")[..8],
            ["metadata"] = new JsonObject { ["tags"] = tagArray },
            ["outputs"] = new JsonArray(),
            ["source"] = source,
        };
        var cells = (JsonArray)Root["cells"]!;
        cells.Insert(index, json);
        var list = Cells.ToList();
        list.Insert(index, new NotebookCell(json, index, Path));
        for (var i = 0; i < list.Count; i++) list[i].Index = i;
        Cells = list;
        return list[index];
    }

    /// <summary>The notebook as JSON text, indented like Jupyter writes it.</summary>
    public string ToJson() => Root.ToJsonString(new JsonSerializerOptions
    {
        WriteIndented = true,
        IndentSize = 1,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }) + "\n";

    /// <summary>Writes the notebook atomically (a temporary file, then a rename).</summary>
    public void Save(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var tmp = full + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, ToJson());
        File.Move(tmp, full, overwrite: true);
    }
}
