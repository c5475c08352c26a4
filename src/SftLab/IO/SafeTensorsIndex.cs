using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using SftLab.Torch;

namespace SftLab.IO;

/// <summary>
/// The index of a sharded checkpoint (<c>model.safetensors.index.json</c>, as written by
/// transformers' <c>save_pretrained</c>): <c>{"metadata": {"total_size": N}, "weight_map":
/// {"tensor name": "model-00001-of-00002.safetensors", ...}}</c>.
/// </summary>
public sealed class SafeTensorsIndex
{
    /// <summary>The largest index file read (a real one is well under a megabyte).</summary>
    public const long MaxIndexBytes = 100_000_000;

    private SafeTensorsIndex(string path, Dictionary<string, string> weightMap, Dictionary<string, JsonElement> metadata)
    {
        Path = path;
        WeightMap = weightMap;
        Metadata = metadata;
        ShardFiles = weightMap.Values.Distinct(StringComparer.Ordinal).ToArray();
        TotalSize = metadata.TryGetValue("total_size", out var size) && size.ValueKind == JsonValueKind.Number && size.TryGetInt64(out var n) ? n : null;
    }

    /// <summary>The index file (full path).</summary>
    public string Path { get; }

    /// <summary>The folder holding the index and its shards.</summary>
    public string Folder => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary>Which shard file (relative to <see cref="Folder"/>) holds each tensor, in the index's order.</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary>The index's <c>metadata</c> object (empty if absent).</summary>
    public IReadOnlyDictionary<string, JsonElement> Metadata { get; }

    /// <summary><c>metadata.total_size</c>: the bytes of tensor data in all shards, if the index states it.</summary>
    public long? TotalSize { get; }

    /// <summary>The distinct shard files, in order of first appearance in <see cref="WeightMap"/>.</summary>
    public IReadOnlyList<string> ShardFiles { get; }

    /// <summary>The full path of a shard file named in the index.</summary>
    public string ShardPath(string shardFile) => System.IO.Path.GetFullPath(System.IO.Path.Combine(Folder, shardFile));

    /// <summary>Reads and validates an index file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SafeTensorsException">It is not valid JSON, has no <c>weight_map</c> object, maps a tensor to a non-string,
    /// lists a tensor twice, or points outside its folder.</exception>
    public static SafeTensorsIndex Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"safetensors index '{full}' does not exist", full);
        var length = new FileInfo(full).Length;
        if (length > MaxIndexBytes)
            throw SafeTensorsException.InIndex(full, $"the file is {length} bytes, over the {MaxIndexBytes}-byte limit for an index");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(full));
        }
        catch (JsonException e)
        {
            throw SafeTensorsException.InIndex(full, $"not valid JSON: {e.Message}", inner: e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw SafeTensorsException.InIndex(full, $"the index must be a JSON object, not {root.ValueKind}");
            var metadata = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            JsonElement? weightMapElement = null;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == "weight_map")
                {
                    if (weightMapElement != null) throw SafeTensorsException.InIndex(full, "appears twice", field: "weight_map");
                    weightMapElement = property.Value;
                }
                else if (property.Name == "metadata" && property.Value.ValueKind != JsonValueKind.Null)
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw SafeTensorsException.InIndex(full, $"must be an object, not {property.Value.ValueKind}", field: "metadata");
                    foreach (var m in property.Value.EnumerateObject()) metadata[m.Name] = m.Value.Clone();
                }
            }
            if (weightMapElement is not { } map)
                throw SafeTensorsException.InIndex(full, "the index has no 'weight_map' (expected {\"metadata\": {...}, \"weight_map\": {\"tensor\": \"model-00001-of-00002.safetensors\"}})", field: "weight_map");
            if (map.ValueKind != JsonValueKind.Object)
                throw SafeTensorsException.InIndex(full, $"must be an object mapping tensor names to shard files, not {map.ValueKind}", field: "weight_map");

            var folder = System.IO.Path.GetDirectoryName(full)!;
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw SafeTensorsException.InIndex(full, $"the shard file must be a string, not {entry.Value.ValueKind}", entry.Name, "weight_map");
                var shard = entry.Value.GetString()!;
                if (shard.Length == 0 || System.IO.Path.IsPathRooted(shard) || !IsInside(folder, System.IO.Path.Combine(folder, shard)))
                    throw SafeTensorsException.InIndex(full, $"shard file '{shard}' must be a relative path inside the checkpoint folder", entry.Name, "weight_map");
                if (!weightMap.TryAdd(entry.Name, shard))
                    throw SafeTensorsException.InIndex(full, "the tensor is listed twice", entry.Name, "weight_map");
            }
            return new SafeTensorsIndex(full, weightMap, metadata);
        }
    }

    private static bool IsInside(string folder, string candidate)
    {
        var root = System.IO.Path.GetFullPath(folder).TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar;
        return System.IO.Path.GetFullPath(candidate).StartsWith(root, StringComparison.Ordinal);
    }

    /// <summary>Writes an index the way transformers does: keys sorted, 2-space indentation, a final newline. Atomic.</summary>
    internal static void Write(string path, long totalSize, IEnumerable<KeyValuePair<string, string>> weightMap)
    {
        SafeTensors.WriteAtomically(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            w.WriteNumber("total_size", totalSize);
            w.WriteEndObject();
            w.WriteStartObject("weight_map");
            foreach (var (name, file) in weightMap.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(name, file);
            w.WriteEndObject();
            w.WriteEndObject();
            w.Flush();
            stream.WriteByte((byte)'\n');
        });
    }
}

public static partial class SafeTensors
{
    /// <summary>The default shard size of <see cref="SaveSharded"/>: 5 GB, transformers' default <c>max_shard_size</c>.</summary>
    public const long DefaultMaxShardBytes = 5_000_000_000;

    /// <summary>The conventional weights file of a model folder.</summary>
    public const string DefaultWeightsName = "model.safetensors";

    /// <summary>
    /// Loads a sharded checkpoint: every tensor its index lists, from the shard the index names.
    /// </summary>
    /// <param name="path">The index file (<c>model.safetensors.index.json</c>) or the folder holding it.</param>
    /// <param name="device">Where to put the tensors (default cpu).</param>
    /// <param name="dtype">If given, floating-point tensors are converted to this floating-point dtype.</param>
    /// <returns>The tensors by name, in the index's order.</returns>
    /// <exception cref="FileNotFoundException">The index or a shard it names does not exist.</exception>
    /// <exception cref="SafeTensorsException">The index or a shard is invalid, or a shard lacks a tensor the index assigns to it.</exception>
    public static Dictionary<string, Tensor> LoadSharded(string path, Device? device = null, DType? dtype = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckTargetDType(dtype);
        var indexPath = path;
        if (Directory.Exists(path))
        {
            indexPath = System.IO.Path.Combine(path, DefaultWeightsName + ".index.json");
            if (!File.Exists(indexPath))
                throw new FileNotFoundException($"folder '{System.IO.Path.GetFullPath(path)}' has no {DefaultWeightsName}.index.json{DescribeFolder(path)}", indexPath);
        }
        var index = SafeTensorsIndex.Read(indexPath);
        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var group in index.WeightMap.GroupBy(kv => kv.Value, StringComparer.Ordinal))
            {
                var shardPath = index.ShardPath(group.Key);
                if (!File.Exists(shardPath))
                    throw new FileNotFoundException($"shard '{group.Key}' named by index '{index.Path}' does not exist", shardPath);
                using var shard = Open(shardPath);
                foreach (var (name, _) in group)
                {
                    if (!shard.Contains(name))
                        throw SafeTensorsException.InIndex(index.Path, $"the weight_map puts the tensor in '{group.Key}', but that file does not hold it", name, "weight_map");
                    loaded.Add(name, shard.GetTensor(name, device, dtype));
                }
            }
            var ordered = new Dictionary<string, Tensor>(loaded.Count, StringComparer.Ordinal);
            foreach (var name in index.WeightMap.Keys) ordered.Add(name, loaded[name]);
            return ordered;
        }
        catch
        {
            foreach (var t in loaded.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads the weights of a model folder as transformers finds them: <c>model.safetensors</c> if
    /// present, else the sharded <c>model.safetensors.index.json</c>. Also accepts the path of a
    /// <c>.safetensors</c> file or of an index <c>.json</c> file.
    /// </summary>
    /// <param name="path">A model folder, a <c>.safetensors</c> file or an index file.</param>
    /// <param name="device">Where to put the tensors (default cpu).</param>
    /// <param name="dtype">If given, floating-point tensors are converted to this floating-point dtype.</param>
    /// <exception cref="FileNotFoundException">Neither weights file exists (the message lists what the folder holds).</exception>
    public static Dictionary<string, Tensor> LoadCheckpoint(string path, Device? device = null, DType? dtype = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
            return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? LoadSharded(path, device, dtype) : Load(path, device, dtype);
        if (!Directory.Exists(path))
            throw new FileNotFoundException($"'{System.IO.Path.GetFullPath(path)}' is neither a model folder nor a safetensors file", path);
        var single = System.IO.Path.Combine(path, DefaultWeightsName);
        if (File.Exists(single)) return Load(single, device, dtype);
        var index = System.IO.Path.Combine(path, DefaultWeightsName + ".index.json");
        if (File.Exists(index)) return LoadSharded(index, device, dtype);
        throw new FileNotFoundException(
            $"folder '{System.IO.Path.GetFullPath(path)}' has neither {DefaultWeightsName} nor {DefaultWeightsName}.index.json{DescribeFolder(path)}", single);
    }

    private static string DescribeFolder(string folder)
    {
        var files = Directory.EnumerateFiles(folder)
            .Select(f => System.IO.Path.GetFileName(f))
            .Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).Take(10).ToList();
        return files.Count == 0 ? " (it holds no .safetensors or .json files)" : $" (it holds: {string.Join(", ", files)})";
    }

    /// <summary>
    /// Saves tensors as a checkpoint split into shards of at most <paramref name="maxShardBytes"/> of
    /// tensor data, the way transformers' <c>save_pretrained</c> does: tensors are taken in the
    /// dictionary's order and a new shard starts when the next tensor would overflow the current
    /// one (a tensor larger than the limit gets a shard of its own). Several shards are written as
    /// <c>model-00001-of-0000N.safetensors</c> plus <c>model.safetensors.index.json</c> (with
    /// <c>metadata.total_size</c>); a single shard is written as plain <c>model.safetensors</c> with
    /// no index. Each file is written atomically; afterwards, weights files of an earlier save
    /// that the new checkpoint does not use (stale shards, a stale index or single file) are deleted.
    /// </summary>
    /// <param name="folder">The checkpoint folder (created if needed).</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="maxShardBytes">Most bytes of tensor data per shard (default 5 GB).</param>
    /// <param name="metadata">The <c>__metadata__</c> of each shard; default <c>{"format": "pt"}</c>, as transformers writes.</param>
    /// <param name="weightsName">The single-file name; shards and index are named after it (default <c>model.safetensors</c>).</param>
    /// <returns>The files written: the shards, then the index (or just the single file).</returns>
    public static IReadOnlyList<string> SaveSharded(string folder, IReadOnlyDictionary<string, Tensor> tensors, long maxShardBytes = DefaultMaxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null, string weightsName = DefaultWeightsName)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        ArgumentException.ThrowIfNullOrEmpty(weightsName);
        if (!weightsName.EndsWith(".safetensors", StringComparison.Ordinal) || weightsName != System.IO.Path.GetFileName(weightsName))
            throw new ArgumentException($"weightsName must be a file name ending in .safetensors, not '{weightsName}'", nameof(weightsName));
        metadata ??= new Dictionary<string, string> { ["format"] = "pt" };
        var stem = weightsName[..^".safetensors".Length];

        // Plan the shards (huggingface_hub's split_state_dict_into_shards).
        var shards = new List<Dictionary<string, Tensor>>();
        var current = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        long currentBytes = 0, totalBytes = 0;
        foreach (var (name, tensor) in tensors)
        {
            if (tensor is null) throw new ArgumentException($"tensor '{name}' is null", nameof(tensors));
            long bytes = checked(tensor.NumEl * tensor.DType.ElementSize());
            totalBytes = checked(totalBytes + bytes);
            if (bytes > maxShardBytes)
            {
                shards.Add(new Dictionary<string, Tensor>(StringComparer.Ordinal) { [name] = tensor });
                continue;
            }
            if (currentBytes + bytes > maxShardBytes && current.Count > 0)
            {
                shards.Add(current);
                current = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                currentBytes = 0;
            }
            current.Add(name, tensor);
            currentBytes += bytes;
        }
        if (current.Count > 0 || shards.Count == 0) shards.Add(current);
        if (shards.Count > 99_999)
            throw new ArgumentException($"{shards.Count} shards is more than the 5-digit file names allow: raise maxShardBytes", nameof(maxShardBytes));

        var fullFolder = System.IO.Path.GetFullPath(folder);
        Directory.CreateDirectory(fullFolder);
        var indexPath = System.IO.Path.Combine(fullFolder, weightsName + ".index.json");
        var singlePath = System.IO.Path.Combine(fullFolder, weightsName);
        var written = new List<string>();
        if (shards.Count == 1)
        {
            Save(singlePath, shards[0], metadata);
            written.Add(singlePath);
            DeleteStale(fullFolder, stem, keep: new HashSet<string>(), alsoDelete: indexPath);
            return written;
        }

        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int k = 0; k < shards.Count; k++)
        {
            var file = $"{stem}-{k + 1:D5}-of-{shards.Count:D5}.safetensors";
            var shardPath = System.IO.Path.Combine(fullFolder, file);
            Save(shardPath, shards[k], metadata);
            written.Add(shardPath);
            names.Add(file);
            foreach (var name in shards[k].Keys) weightMap[name] = file;
        }
        SafeTensorsIndex.Write(indexPath, totalBytes, weightMap);
        written.Add(indexPath);
        DeleteStale(fullFolder, stem, names, alsoDelete: singlePath);
        return written;
    }

    /// <summary>Deletes shards of an earlier save (<c>stem-NNNNN-of-NNNNN.safetensors</c> not in <paramref name="keep"/>) and <paramref name="alsoDelete"/>.</summary>
    private static void DeleteStale(string folder, string stem, IReadOnlySet<string> keep, string alsoDelete)
    {
        var pattern = new Regex($"^{Regex.Escape(stem)}-[0-9]{{5}}-of-[0-9]{{5}}\\.safetensors$");
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            var name = System.IO.Path.GetFileName(file);
            if (pattern.IsMatch(name) && !keep.Contains(name)) File.Delete(file);
        }
        if (File.Exists(alsoDelete)) File.Delete(alsoDelete);
    }
}
