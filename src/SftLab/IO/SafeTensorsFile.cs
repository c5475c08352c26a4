using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;
using System.Text.Unicode;
using SftLab.Torch;

namespace SftLab.IO;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed class SafeTensorInfo
{
    internal SafeTensorInfo(string name, DType dtype, long[] shape, long begin, long end, long numel)
    {
        Name = name;
        DType = dtype;
        ShapeArray = shape;
        Begin = begin;
        End = end;
        NumEl = numel;
    }

    internal long[] ShapeArray { get; }

    /// <summary>The tensor's name (the header key).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The safetensors dtype name (<c>F32</c>, <c>BF16</c>...).</summary>
    public string DTypeName => SafeTensors.DTypeToName(DType)!;

    /// <summary>The size of each dimension (empty for a 0-d tensor).</summary>
    public IReadOnlyList<long> Shape => ShapeArray;

    /// <summary>Start of the tensor's bytes, relative to the data buffer after the header.</summary>
    public long Begin { get; }

    /// <summary>End (exclusive) of the tensor's bytes, relative to the data buffer after the header.</summary>
    public long End { get; }

    /// <summary>Number of bytes of data.</summary>
    public long ByteLength => End - Begin;

    /// <summary>Number of elements.</summary>
    public long NumEl { get; }

    /// <summary>E.g. <c>w: BF16[4, 8] @ [0, 64)</c>.</summary>
    public override string ToString() => $"{Name}: {DTypeName}[{string.Join(", ", ShapeArray)}] @ [{Begin}, {End})";
}

/// <summary>The parsed, validated header of a safetensors file.</summary>
public sealed class SafeTensorsHeader
{
    private readonly Dictionary<string, SafeTensorInfo> _byName;

    internal SafeTensorsHeader(string path, long headerLength, long dataLength, List<SafeTensorInfo> tensors,
        Dictionary<string, SafeTensorInfo> byName, Dictionary<string, string> metadata)
    {
        Path = path;
        HeaderLength = headerLength;
        DataLength = dataLength;
        Tensors = tensors;
        _byName = byName;
        Metadata = metadata;
        Names = tensors.Select(t => t.Name).ToArray();
    }

    /// <summary>The file the header was read from (full path).</summary>
    public string Path { get; }

    /// <summary>N, the length of the JSON header in bytes (including any padding).</summary>
    public long HeaderLength { get; }

    /// <summary>File offset of the data buffer (8 + <see cref="HeaderLength"/>).</summary>
    public long DataStart => 8 + HeaderLength;

    /// <summary>Length of the data buffer in bytes.</summary>
    public long DataLength { get; }

    /// <summary>The tensors, in the order the header lists them.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The tensor names, in the order the header lists them.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The <c>__metadata__</c> entries (empty if the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Whether the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Looks up a tensor's entry.</summary>
    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out SafeTensorInfo info) => _byName.TryGetValue(name, out info);

    /// <summary>A tensor's entry.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such tensor (the message lists some that it has).</exception>
    public SafeTensorInfo this[string name] => _byName.TryGetValue(name, out var info) ? info : throw NotFound(name);

    internal KeyNotFoundException NotFound(string name)
    {
        var some = Names.Take(5).Select(n => $"'{n}'");
        var more = Names.Count > 5 ? ", ..." : "";
        var what = Names.Count == 0 ? "it holds no tensors" : $"it holds {Names.Count}: {string.Join(", ", some)}{more}";
        return new KeyNotFoundException($"tensor '{name}' is not in safetensors file '{Path}' ({what})");
    }

    // ---- parsing -------------------------------------------------------------------------------

    /// <summary>Parses and validates a header. <paramref name="dataLength"/> is the size of the data buffer after it.</summary>
    internal static SafeTensorsHeader Parse(string path, ReadOnlySpan<byte> json, long dataLength)
    {
        if (!Utf8.IsValid(json)) throw SafeTensorsException.InFile(path, "the JSON header is not valid UTF-8");
        if (json.Trim(" \t\r\n"u8).IsEmpty) throw SafeTensorsException.InFile(path, "the JSON header is empty (expected a JSON object)");
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
        var tensors = new List<SafeTensorInfo>();
        var byName = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        try
        {
            if (!reader.Read()) throw SafeTensorsException.InFile(path, "the JSON header is empty (expected a JSON object)");
            if (reader.TokenType != JsonTokenType.StartObject)
                throw SafeTensorsException.InFile(path, $"the header must be a JSON object, not {Describe(reader.TokenType)}");
            while (true)
            {
                Next(ref reader, path);
                if (reader.TokenType == JsonTokenType.EndObject) break;
                var name = reader.GetString()!;
                Next(ref reader, path);
                if (name == SafeTensors.MetadataKey)
                {
                    if (metadata != null) throw SafeTensorsException.InFile(path, $"'{SafeTensors.MetadataKey}' appears twice in the header", field: SafeTensors.MetadataKey);
                    metadata = ParseMetadata(ref reader, path);
                    continue;
                }
                if (byName.ContainsKey(name)) throw SafeTensorsException.InFile(path, "duplicate tensor name: the header lists it twice", tensor: name);
                var info = ParseTensor(ref reader, path, name, dataLength);
                byName.Add(name, info);
                tensors.Add(info);
            }
            if (reader.Read()) throw SafeTensorsException.InFile(path, "unexpected content after the header's JSON object");
        }
        catch (JsonException e)
        {
            throw SafeTensorsException.InFile(path, $"the header is not valid JSON: {e.Message}", inner: e);
        }
        catch (InvalidOperationException e) // a string with an invalid escape, such as a lone surrogate
        {
            throw SafeTensorsException.InFile(path, $"the header is not valid JSON: {e.Message}", inner: e);
        }
        CheckCoverage(path, tensors, dataLength);
        return new SafeTensorsHeader(path, json.Length, dataLength, tensors, byName, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal));
    }

    private static void Next(ref Utf8JsonReader reader, string path)
    {
        if (!reader.Read()) throw SafeTensorsException.InFile(path, "the JSON header ends before its object is closed");
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static Dictionary<string, string> ParseMetadata(ref Utf8JsonReader reader, string path)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reader.TokenType == JsonTokenType.Null) return metadata;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw SafeTensorsException.InFile(path, $"must be an object of string values, not {Describe(reader.TokenType)}", field: SafeTensors.MetadataKey);
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndObject) return metadata;
            var key = reader.GetString()!;
            Next(ref reader, path);
            if (reader.TokenType != JsonTokenType.String)
                throw SafeTensorsException.InFile(path, $"the value of '{key}' must be a string, not {Describe(reader.TokenType)}", field: SafeTensors.MetadataKey);
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw SafeTensorsException.InFile(path, $"key '{key}' appears twice", field: SafeTensors.MetadataKey);
        }
    }

    private static SafeTensorInfo ParseTensor(ref Utf8JsonReader reader, string path, string name, long dataLength)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw SafeTensorsException.InFile(path, $"the entry must be an object with dtype, shape and data_offsets, not {Describe(reader.TokenType)}", tensor: name);
        string? dtypeName = null;
        List<long>? shape = null;
        long[]? offsets = null;
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndObject) break;
            var field = reader.GetString()!;
            Next(ref reader, path);
            switch (field)
            {
                case "dtype":
                    if (dtypeName != null) throw Duplicate(path, name, field);
                    if (reader.TokenType != JsonTokenType.String)
                        throw SafeTensorsException.InFile(path, $"must be a string such as \"F32\", not {Describe(reader.TokenType)}", name, field);
                    dtypeName = reader.GetString()!;
                    break;
                case "shape":
                    if (shape != null) throw Duplicate(path, name, field);
                    shape = ReadIntegers(ref reader, path, name, field, "dimension");
                    break;
                case "data_offsets":
                    if (offsets != null) throw Duplicate(path, name, field);
                    var list = ReadIntegers(ref reader, path, name, field, "offset");
                    if (list.Count != 2)
                        throw SafeTensorsException.InFile(path, $"must be [begin, end], but has {list.Count} element(s)", name, field);
                    offsets = [list[0], list[1]];
                    break;
                default:
                    reader.Skip(); // unknown fields are ignored, as the reference reader does
                    break;
            }
        }
        if (dtypeName is null) throw Missing(path, name, "dtype");
        if (shape is null) throw Missing(path, name, "shape");
        if (offsets is null) throw Missing(path, name, "data_offsets");

        var dtype = SafeTensors.DTypeFromName(dtypeName)
            ?? throw SafeTensorsException.InFile(path, SafeTensors.DescribeBadDType(dtypeName), name, "dtype");
        long numel = 1;
        foreach (var d in shape)
        {
            try { numel = checked(numel * d); }
            catch (OverflowException)
            {
                throw SafeTensorsException.InFile(path, $"shape [{string.Join(", ", shape)}] has more elements than a tensor can hold (arithmetic overflow)", name, "shape");
            }
        }
        long expectedBytes;
        try { expectedBytes = checked(numel * dtype.ElementSize()); }
        catch (OverflowException)
        {
            throw SafeTensorsException.InFile(path, $"shape [{string.Join(", ", shape)}] of {dtypeName} needs more bytes than a file can hold (arithmetic overflow)", name, "shape");
        }
        var (begin, end) = (offsets[0], offsets[1]);
        if (begin > end)
            throw SafeTensorsException.InFile(path, $"[{begin}, {end}] has begin > end", name, "data_offsets");
        if (end > dataLength)
            throw SafeTensorsException.InFile(path, $"[{begin}, {end}] runs past the end of the data buffer ({dataLength} bytes after the header): the file is truncated or the header is wrong", name, "data_offsets");
        if (end - begin != expectedBytes)
            throw SafeTensorsException.InFile(path,
                $"[{begin}, {end}] spans {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtypeName} needs {expectedBytes} bytes ({numel} elements x {dtype.ElementSize()} bytes)",
                name, "data_offsets");
        return new SafeTensorInfo(name, dtype, shape.ToArray(), begin, end, numel);
    }

    private static List<long> ReadIntegers(ref Utf8JsonReader reader, string path, string tensor, string field, string what)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw SafeTensorsException.InFile(path, $"must be an array of non-negative integers, not {Describe(reader.TokenType)}", tensor, field);
        var values = new List<long>();
        while (true)
        {
            Next(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndArray) return values;
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v))
            {
                var text = reader.TokenType == JsonTokenType.Number ? System.Text.Encoding.UTF8.GetString(reader.ValueSpan) : Describe(reader.TokenType);
                throw SafeTensorsException.InFile(path, $"{what} {values.Count} is {text}, not an integer", tensor, field);
            }
            if (v < 0) throw SafeTensorsException.InFile(path, $"{what} {values.Count} is negative ({v})", tensor, field);
            values.Add(v);
        }
    }

    private static SafeTensorsException Duplicate(string path, string tensor, string field) =>
        SafeTensorsException.InFile(path, "the field appears twice in the entry", tensor, field);

    private static SafeTensorsException Missing(string path, string tensor, string field) =>
        SafeTensorsException.InFile(path, "the entry has no such field (each tensor needs dtype, shape and data_offsets)", tensor, field);

    /// <summary>The tensors' byte ranges must tile the data buffer exactly: no overlap, no hole, nothing after the last one (as the reference reader requires).</summary>
    private static void CheckCoverage(string path, List<SafeTensorInfo> tensors, long dataLength)
    {
        var sorted = tensors.ToArray();
        Array.Sort(sorted, (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        SafeTensorInfo? previous = null;
        foreach (var t in sorted)
        {
            if (t.Begin < covered)
                throw SafeTensorsException.InFile(path,
                    $"[{t.Begin}, {t.End}] overlaps tensor '{previous!.Name}' at [{previous.Begin}, {previous.End}]", t.Name, "data_offsets");
            if (t.Begin > covered)
                throw SafeTensorsException.InFile(path,
                    $"[{t.Begin}, {t.End}] leaves a gap: bytes [{covered}, {t.Begin}) of the data buffer belong to no tensor (the reference reader rejects such files)",
                    t.Name, "data_offsets");
            covered = t.End;
            previous = t;
        }
        if (covered != dataLength)
            throw SafeTensorsException.InFile(path,
                $"the data buffer has {dataLength} bytes but the tensors cover only the first {covered}: the last {dataLength - covered} bytes belong to no tensor (the reference reader rejects such files)");
    }
}

/// <summary>
/// An open, memory-mapped safetensors file: the header is parsed up front, tensors are read
/// one at a time by name (useful for models larger than memory, or to load a few weights).
/// Tensors returned stay valid after the file is disposed (they own copies of their data).
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;
    private bool _disposed;

    private SafeTensorsFile(MemoryMappedFile map, MemoryMappedViewAccessor view, byte* pointer, SafeTensorsHeader header)
    {
        _map = map;
        _view = view;
        _base = pointer;
        Header = header;
    }

    /// <summary>The parsed header.</summary>
    public SafeTensorsHeader Header { get; }

    /// <summary>The file's full path.</summary>
    public string Path => Header.Path;

    /// <summary>The tensor names, in header order.</summary>
    public IReadOnlyList<string> Names => Header.Names;

    /// <summary>The <c>__metadata__</c> entries.</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    /// <summary>Whether the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => Header.Contains(name);

    /// <summary>Opens and validates a safetensors file; see <see cref="SafeTensors.Open"/>.</summary>
    internal static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException(Directory.Exists(full)
                ? $"'{full}' is a folder, not a safetensors file (use SafeTensors.LoadCheckpoint for a model folder)"
                : $"safetensors file '{full}' does not exist", full);
        var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        byte* pointer = null;
        try
        {
            long length = stream.Length;
            if (length < 8)
                throw SafeTensorsException.InFile(full, $"the file is {length} bytes, shorter than the 8-byte header length that starts every safetensors file");
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            pointer += view.PointerOffset;

            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(pointer, 8));
            if (n > (ulong)SafeTensors.MaxHeaderBytes)
                throw SafeTensorsException.InFile(full, $"the header length {n} is larger than the {SafeTensors.MaxHeaderBytes}-byte limit (this is probably not a safetensors file, or it is corrupt)");
            if ((long)n > length - 8)
                throw SafeTensorsException.InFile(full, $"the header length {n} runs past the end of the file ({length} bytes): the file is truncated or not a safetensors file");
            var header = SafeTensorsHeader.Parse(full, new ReadOnlySpan<byte>(pointer + 8, (int)n), length - 8 - (long)n);
            return new SafeTensorsFile(map, view, pointer, header);
        }
        catch
        {
            if (pointer != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            if (map != null) map.Dispose(); else stream.Dispose();
            throw;
        }
    }

    /// <summary>A tensor's header entry.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    public SafeTensorInfo GetInfo(string name) => Header[name];

    /// <summary>Reads one tensor from the file.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="device">Where to put it (default cpu).</param>
    /// <param name="dtype">If given and the tensor is floating-point, convert it to this floating-point dtype.</param>
    /// <exception cref="KeyNotFoundException">No such tensor (the message lists some that exist).</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    public Tensor GetTensor(string name, Device? device = null, DType? dtype = null)
    {
        SafeTensors.CheckTargetDType(dtype);
        return Read(Header[name], device, dtype);
    }

    /// <summary>Reads every tensor (in header order). If one fails, those already read are disposed.</summary>
    /// <param name="device">Where to put them (default cpu).</param>
    /// <param name="dtype">If given, floating-point tensors are converted to this floating-point dtype.</param>
    public Dictionary<string, Tensor> LoadAll(Device? device = null, DType? dtype = null)
    {
        SafeTensors.CheckTargetDType(dtype);
        var result = new Dictionary<string, Tensor>(Header.Tensors.Count, StringComparer.Ordinal);
        try
        {
            foreach (var info in Header.Tensors) result.Add(info.Name, Read(info, device, dtype));
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    private Tensor Read(SafeTensorInfo info, Device? device, DType? dtype)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte* data = _base + Header.DataStart + info.Begin;
        DType? convert = dtype is { } d && info.DType.IsFloatingPoint() && d != info.DType ? d : null;
        if (convert is not { } target) return FromRaw(data, info.ByteLength, info.ShapeArray, info.DType, device);

        // Convert where the data is smaller: on the cpu before a move when narrowing, on the device after it when widening.
        bool narrowing = target.ElementSize() < info.DType.ElementSize();
        var tensor = FromRaw(data, info.ByteLength, info.ShapeArray, info.DType, narrowing ? null : device);
        try
        {
            var converted = tensor.To(target);
            tensor.Dispose();
            tensor = converted;
            if (narrowing && device is { Type: not DeviceType.Cpu } dev)
            {
                var moved = tensor.To(dev);
                tensor.Dispose();
                tensor = moved;
            }
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>A tensor from raw bytes: through <see cref="Tensor.FromBytes"/>, or straight from the pointer when the data is too large for a span.</summary>
    internal static Tensor FromRaw(byte* data, long byteLength, long[] shape, DType dtype, Device? device) =>
        byteLength <= int.MaxValue
            ? Tensor.FromBytes(new ReadOnlySpan<byte>(data, (int)byteLength), shape, dtype, device)
            : FromPointer(data, byteLength, shape, dtype, device);

    /// <summary>A tensor copied from native memory of any length (no span, so no 2 GB limit).</summary>
    internal static Tensor FromPointer(byte* data, long byteLength, long[] shape, DType dtype, Device? device)
    {
        TorchRuntime.Initialize();
        var (type, index) = device is { } d ? ((int)d.Type, d.Index) : (0, -1);
        fixed (long* s = shape)
            return new Tensor(Native.sft_from_data(data, byteLength, s, shape.Length, (int)dtype, type, index));
    }

    /// <summary>Unmaps the file. Tensors already read stay valid.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
