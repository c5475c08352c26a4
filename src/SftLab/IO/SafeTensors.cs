using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SftLab.Torch;

namespace SftLab.IO;

/// <summary>
/// Reads and writes the Hugging Face <c>safetensors</c> format: an 8-byte little-endian header
/// length N, N bytes of UTF-8 JSON (<c>{"__metadata__": {..}, "name": {"dtype": "F32", "shape": [..],
/// "data_offsets": [begin, end]}, ..}</c>), then the raw little-endian, row-major tensor data.
/// Reads are memory-mapped and validated as strictly as the reference implementation (offsets
/// must tile the data buffer exactly); writes are atomic. Sharded checkpoints
/// (<c>model.safetensors.index.json</c>) are handled by <see cref="LoadSharded"/>,
/// <see cref="SaveSharded"/> and <see cref="LoadCheckpoint"/>.
/// </summary>
public static partial class SafeTensors
{
    /// <summary>The largest header the reader accepts (the reference implementation's limit: 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Bytes of the data written per call when saving a large tensor (keeps managed memory bounded).</summary>
    internal const long DefaultWriteChunkBytes = 64L << 20;

    /// <summary>The safetensors dtype names this library reads and writes.</summary>
    public static IReadOnlyList<string> SupportedDTypeNames { get; } =
        ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"];

    // Dtypes of the format that have no SftLab counterpart: refused by name with a clear message.
    private static readonly HashSet<string> KnownUnsupportedDTypes = new(StringComparer.Ordinal)
    {
        "F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "U16", "U32", "U64", "C64", "C128",
        "I4", "U4", "PackedI4", "PackedU4",
    };

    // ---- reading -------------------------------------------------------------------------------

    /// <summary>
    /// Opens a safetensors file for lazy access: the header is parsed and validated now, each
    /// tensor is read from the memory-mapped file when asked for. Dispose the result to unmap it.
    /// </summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SafeTensorsException">The file is not a valid safetensors file (the message says why).</exception>
    public static SafeTensorsFile Open(string path) => SafeTensorsFile.Open(path);

    /// <summary>Reads and validates only the header of a safetensors file: tensor names, dtypes, shapes, offsets and metadata.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SafeTensorsException">The file is not a valid safetensors file.</exception>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        return file.Header;
    }

    /// <summary>
    /// Loads every tensor of a safetensors file (in header order). The file is memory-mapped: each
    /// tensor's bytes are copied once, straight from the mapping into native memory.
    /// </summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <param name="device">Where to put the tensors (default cpu).</param>
    /// <param name="dtype">If given, floating-point tensors are converted to this floating-point dtype; integer and bool tensors are left as they are.</param>
    /// <returns>The tensors by name; the caller owns them (or the current <see cref="DisposeScope"/> does).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SafeTensorsException">The file is not a valid safetensors file.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not a floating-point dtype.</exception>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null, DType? dtype = null)
    {
        CheckTargetDType(dtype);
        using var file = SafeTensorsFile.Open(path);
        return file.LoadAll(device, dtype);
    }

    // ---- writing -------------------------------------------------------------------------------

    /// <summary>
    /// Writes tensors to a safetensors file the way the reference implementation does: tensors
    /// ordered by dtype alignment (largest first) and then by name, data packed without gaps, the
    /// JSON header padded with spaces to a multiple of 8 bytes. The write is atomic: the data goes
    /// to a temporary file in the same folder which then replaces <paramref name="path"/>, so a
    /// failure never leaves a truncated file (and leaves an existing file untouched).
    /// </summary>
    /// <param name="path">The file to write (its folder is created if needed).</param>
    /// <param name="tensors">The tensors by name; any device, any layout (non-contiguous tensors are written row-major).</param>
    /// <param name="metadata">Optional string-to-string metadata stored under <c>__metadata__</c> (e.g. <c>{"format": "pt"}</c>).</param>
    /// <exception cref="ArgumentException">A name is <c>__metadata__</c>, a tensor is null, or a dtype cannot be stored.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, tensors, metadata, DefaultWriteChunkBytes);

    internal static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata, long chunkBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = new List<Entry>(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            if (name is null) throw new ArgumentException("a tensor name is null", nameof(tensors));
            if (name == MetadataKey)
                throw new ArgumentException($"'{MetadataKey}' is reserved for the metadata and cannot name a tensor", nameof(tensors));
            if (tensor is null) throw new ArgumentException($"tensor '{name}' is null", nameof(tensors));
            var dtype = tensor.DType;
            var dtypeName = DTypeToName(dtype)
                ?? throw new ArgumentException($"tensor '{name}' has dtype {dtype} which safetensors cannot store", nameof(tensors));
            var shape = tensor.Shape;
            long bytes = checked(tensor.NumEl * dtype.ElementSize());
            entries.Add(new Entry(name, tensor, dtype, dtypeName, shape, bytes, Encoding.UTF8.GetBytes(name)));
        }
        // Like the reference writer: by descending dtype rank (alignment), then by name (byte order).
        entries.Sort((a, b) =>
        {
            var c = WriteRank(b.DType).CompareTo(WriteRank(a.DType));
            return c != 0 ? c : a.Utf8Name.AsSpan().SequenceCompareTo(b.Utf8Name);
        });

        var header = BuildHeader(entries, metadata, out long dataBytes);
        WriteAtomically(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (var e in entries) WriteTensorData(stream, e.Name, e.Tensor, e.Bytes, chunkBytes);
            long expected = 8 + header.Length + dataBytes;
            if (stream.Position != expected)
                throw new IOException($"wrote {stream.Position} bytes to '{path}' but expected {expected} (did a tensor change while it was being saved?)");
        });
    }

    internal const string MetadataKey = "__metadata__";

    private sealed record Entry(string Name, Tensor Tensor, DType DType, string DTypeName, long[] Shape, long Bytes, byte[] Utf8Name);

    private static byte[] BuildHeader(List<Entry> entries, IReadOnlyDictionary<string, string>? metadata, out long dataBytes)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata != null)
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (key is null) throw new ArgumentException("a metadata key is null", nameof(metadata));
                    if (value is null) throw new ArgumentException($"metadata '{key}' is null (safetensors metadata values are strings)", nameof(metadata));
                    w.WriteString(key, value);
                }
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.DTypeName);
                w.WriteStartArray("shape");
                foreach (var d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset = checked(offset + e.Bytes);
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
            dataBytes = offset;
        }
        int padding = (8 - buffer.WrittenCount % 8) % 8;
        if (buffer.WrittenCount + padding > MaxHeaderBytes)
            throw new ArgumentException($"the safetensors header would be {buffer.WrittenCount + padding} bytes, over the {MaxHeaderBytes}-byte limit readers accept (too many tensors or too much metadata for one file: use SaveSharded)");
        var header = new byte[buffer.WrittenCount + padding];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    /// <summary>Writes the row-major bytes of <paramref name="tensor"/>, at most <paramref name="chunkBytes"/> (rounded to whole elements) at a time.</summary>
    internal static void WriteTensorData(Stream stream, string name, Tensor tensor, long expectedBytes, long chunkBytes)
    {
        if (expectedBytes <= chunkBytes)
        {
            var bytes = tensor.ToBytes();
            if (bytes.LongLength != expectedBytes)
                throw new IOException($"tensor '{name}' produced {bytes.LongLength} bytes but {expectedBytes} were expected (did it change while it was being saved?)");
            stream.Write(bytes);
            return;
        }
        long numel = tensor.NumEl;
        long perChunk = Math.Max(1, chunkBytes / tensor.ElementSize);
        using var flat = tensor.Reshape(-1);
        long written = 0;
        for (long start = 0; start < numel; start += perChunk)
        {
            using var part = flat.Narrow(0, start, Math.Min(perChunk, numel - start));
            var bytes = part.ToBytes();
            stream.Write(bytes);
            written += bytes.LongLength;
        }
        if (written != expectedBytes)
            throw new IOException($"tensor '{name}' produced {written} bytes but {expectedBytes} were expected (did it change while it was being saved?)");
    }

    /// <summary>Writes a file through a temporary file in the same folder, then renames it over <paramref name="path"/>.</summary>
    internal static void WriteAtomically(string path, Action<FileStream> write)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no parent folder", nameof(path));
        if (Directory.Exists(full)) throw new IOException($"cannot write '{full}': it is a folder");
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    // ---- dtypes --------------------------------------------------------------------------------

    /// <summary>The safetensors name of <paramref name="dtype"/> (<c>F32</c>, <c>BF16</c>, <c>I64</c>, <c>BOOL</c>...), or null if it has none.</summary>
    public static string? DTypeToName(DType dtype) => dtype switch
    {
        DType.Float64 => "F64",
        DType.Float32 => "F32",
        DType.Float16 => "F16",
        DType.BFloat16 => "BF16",
        DType.Int64 => "I64",
        DType.Int32 => "I32",
        DType.Int16 => "I16",
        DType.Int8 => "I8",
        DType.UInt8 => "U8",
        DType.Bool => "BOOL",
        _ => null,
    };

    /// <summary>The <see cref="DType"/> of a safetensors dtype name, or null if SftLab does not support it.</summary>
    public static DType? DTypeFromName(string name) => name switch
    {
        "F64" => DType.Float64,
        "F32" => DType.Float32,
        "F16" => DType.Float16,
        "BF16" => DType.BFloat16,
        "I64" => DType.Int64,
        "I32" => DType.Int32,
        "I16" => DType.Int16,
        "I8" => DType.Int8,
        "U8" => DType.UInt8,
        "BOOL" => DType.Bool,
        _ => null,
    };

    /// <summary>Explains why a dtype name is refused (unsupported by SftLab, or not a safetensors dtype at all).</summary>
    internal static string DescribeBadDType(string name) => KnownUnsupportedDTypes.Contains(name)
        ? $"dtype '{name}' is not supported by SftLab (supported: {string.Join(", ", SupportedDTypeNames)}); convert the tensor to one of those before saving it"
        : $"unknown dtype '{name}' (expected one of {string.Join(", ", SupportedDTypeNames)}; dtype names are case-sensitive)";

    // The reference writer's ordering key: its Dtype enum order, which increases with alignment.
    private static int WriteRank(DType dtype) => dtype switch
    {
        DType.Bool => 0,
        DType.UInt8 => 1,
        DType.Int8 => 2,
        DType.Int16 => 5,
        DType.Float16 => 7,
        DType.BFloat16 => 8,
        DType.Int32 => 9,
        DType.Float32 => 11,
        DType.Float64 => 12,
        DType.Int64 => 13,
        _ => -1,
    };

    internal static void CheckTargetDType(DType? dtype)
    {
        if (dtype is { } d && !d.IsFloatingPoint())
            throw new ArgumentException($"dtype must be a floating-point type (float32, bfloat16, float16 or float64), not {d.Name()}: only floating-point tensors are converted on load", nameof(dtype));
    }
}

/// <summary>
/// A file is not a valid safetensors file or checkpoint index. The message names the file and,
/// where relevant, the tensor and the header field at fault.
/// </summary>
public sealed class SafeTensorsException : IOException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public SafeTensorsException(string message, string filePath, string? tensorName = null, string? field = null, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
        Field = field;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The tensor at fault, if the problem is in one tensor's entry.</summary>
    public string? TensorName { get; }

    /// <summary>The header field at fault (<c>dtype</c>, <c>shape</c>, <c>data_offsets</c>, <c>__metadata__</c>, <c>weight_map</c>...), if any.</summary>
    public string? Field { get; }

    internal static SafeTensorsException InFile(string path, string detail, string? tensor = null, string? field = null, Exception? inner = null)
    {
        var sb = new StringBuilder("invalid safetensors file '").Append(path).Append('\'');
        if (tensor != null) sb.Append(", tensor '").Append(tensor).Append('\'');
        if (field != null) sb.Append(", field '").Append(field).Append('\'');
        sb.Append(": ").Append(detail);
        return new SafeTensorsException(sb.ToString(), path, tensor, field, inner);
    }

    internal static SafeTensorsException InIndex(string path, string detail, string? tensor = null, string? field = null, Exception? inner = null)
    {
        var sb = new StringBuilder("invalid safetensors index '").Append(path).Append('\'');
        if (tensor != null) sb.Append(", tensor '").Append(tensor).Append('\'');
        if (field != null) sb.Append(", field '").Append(field).Append('\'');
        sb.Append(": ").Append(detail);
        return new SafeTensorsException(sb.ToString(), path, tensor, field, inner);
    }
}
