using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SftLab.IO;
using SftLab.Torch;

namespace SftLab.Tests;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir;

    public SafeTensorsTests()
    {
        _dir = Path.Combine(Path.GetTempPath(), "sftlab-safetensors-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string PathOf(string name) => Path.Combine(_dir, name);

    // ---- helpers -----------------------------------------------------------------------------

    /// <summary>8-byte little-endian length + header bytes + data bytes.</summary>
    private static byte[] Build(byte[] header, byte[] data, ulong? headerLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>A file with a JSON header and <paramref name="dataBytes"/> bytes of data (0, 1, 2, ...).</summary>
    private static byte[] Build(string json, int dataBytes) =>
        Build(Encoding.UTF8.GetBytes(json), Enumerable.Range(0, dataBytes).Select(i => (byte)i).ToArray());

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    /// <summary>The test tensors: every dtype, with extreme values, plus 0-d and empty ones.</summary>
    private static Dictionary<string, Tensor> AllDTypes()
    {
        var halfs = new[] { (Half)1.5f, (Half)(-0.0f), Half.PositiveInfinity, Half.NaN, Half.Epsilon, Half.MaxValue };
        var bf16 = new[] { (BFloat16)1.0f, (BFloat16)(-3.25f), BFloat16.FromBits(0x7FC1), BFloat16.FromBits(0x0001), BFloat16.FromBits(0xFF80), (BFloat16)1e30f };
        return new Dictionary<string, Tensor>
        {
            ["float32"] = Tensor.From<float>([1.5f, -0.0f, float.NaN, float.PositiveInfinity, float.Epsilon, float.MaxValue], [2, 3]),
            ["float64"] = Tensor.From<double>([Math.PI, -0.0, double.NaN, double.NegativeInfinity, double.Epsilon, 1e300], [3, 2]),
            ["float16"] = Tensor.From<Half>(halfs, [6]),
            ["bfloat16"] = Tensor.From<BFloat16>(bf16, [2, 1, 3]),
            ["int64"] = Tensor.From<long>([long.MinValue, long.MaxValue, 0, -1], [4]),
            ["int32"] = Tensor.From<int>([int.MinValue, int.MaxValue, 0, -1], [2, 2]),
            ["int16"] = Tensor.From<short>([short.MinValue, short.MaxValue, 0], [3]),
            ["int8"] = Tensor.From<sbyte>([sbyte.MinValue, sbyte.MaxValue, 0, -1], [4]),
            ["uint8"] = Tensor.From<byte>([0, 255, 128], [3]),
            ["bool"] = Tensor.From<bool>([true, false, true, true], [2, 2]),
            ["scalar.f32"] = Tensor.Scalar(2.5),
            ["scalar.i64"] = Tensor.Scalar(-7, DType.Int64),
            ["empty.f32"] = Tensor.Zeros([0], DType.Float32),
            ["empty.bf16"] = Tensor.Zeros([2, 0, 3], DType.BFloat16),
            ["empty.bool"] = Tensor.Zeros([0, 4], DType.Bool),
            ["unicode.名前/ü \"q\""] = Tensor.From<int>([42], [1]),
        };
    }

    private static void AssertBitIdentical(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, want) in expected)
        {
            var got = actual[name];
            Assert.Equal(want.DType, got.DType);
            Assert.Equal(want.Shape, got.Shape);
            Assert.Equal(Hex(want.ToBytes()), Hex(got.ToBytes()));
        }
    }

    // ---- round trips -------------------------------------------------------------------------

    [Fact]
    public void RoundTrip_EveryDType_IsBitIdentical_AndKeepsMetadata()
    {
        using var scope = DisposeScope.Begin();
        var tensors = AllDTypes();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "héllo \"world\"", ["empty"] = "" };
        var path = PathOf("all.safetensors");
        SafeTensors.Save(path, tensors, metadata);

        var loaded = SafeTensors.Load(path);
        AssertBitIdentical(tensors, loaded);

        var header = SafeTensors.ReadHeader(path);
        Assert.Equal(metadata.OrderBy(kv => kv.Key), header.Metadata.OrderBy(kv => kv.Key));
        Assert.Equal(tensors.Count, header.Tensors.Count);
        Assert.Equal(DType.BFloat16, header["bfloat16"].DType);
        Assert.Equal("BF16", header["bfloat16"].DTypeName);
        Assert.Equal(new long[] { 2, 1, 3 }, header["bfloat16"].Shape);
        Assert.Equal(12, header["bfloat16"].ByteLength);
        Assert.Empty(header["scalar.f32"].Shape);
        Assert.Equal(1, header["scalar.f32"].NumEl);
        Assert.Equal(0, header["empty.bf16"].ByteLength);
        Assert.Equal(0, header.HeaderLength % 8);
        Assert.Equal(new FileInfo(path).Length, header.DataStart + header.DataLength);
    }

    [Fact]
    public void Save_WithoutMetadata_OmitsTheMetadataKey_AndLoadReportsNone()
    {
        using var scope = DisposeScope.Begin();
        var path = PathOf("nometa.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.From<float>([1f], [1]) });
        var json = Encoding.UTF8.GetString(File.ReadAllBytes(path), 8, (int)SafeTensors.ReadHeader(path).HeaderLength);
        Assert.DoesNotContain("__metadata__", json);
        Assert.Empty(SafeTensors.ReadHeader(path).Metadata);
    }

    [Fact]
    public void Save_NonContiguousAndChunkedTensors_WritesRowMajorValues()
    {
        using var scope = DisposeScope.Begin();
        var m = Tensor.From<float>([1, 2, 3, 4, 5, 6], [2, 3]);
        var t = m.T; // [3, 2], non-contiguous
        Assert.False(t.IsContiguous);
        var path = PathOf("nc.safetensors");
        // A chunk of 8 bytes forces the chunked writer (2 float32 elements per call).
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["t"] = t, ["big"] = Tensor.Arange(0, 37, 1, DType.Int64) }, null, chunkBytes: 8);
        var loaded = SafeTensors.Load(path);
        Assert.Equal(new long[] { 3, 2 }, loaded["t"].Shape);
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, loaded["t"].ToArray<float>());
        Assert.Equal(Enumerable.Range(0, 37).Select(i => (long)i), loaded["big"].ToArray<long>());
    }

    [Fact]
    public unsafe void FromPointer_CopiesNativeMemoryOfAnyLength()
    {
        using var scope = DisposeScope.Begin();
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        fixed (float* p = data)
        {
            var t = SafeTensorsFile.FromPointer((byte*)p, 24, [2, 3], DType.Float32, null);
            Assert.Equal(data, t.ToArray<float>());
        }
    }

    [Fact]
    public void Load_WithDType_ConvertsOnlyFloatingPointTensors()
    {
        using var scope = DisposeScope.Begin();
        var path = PathOf("conv.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["w"] = Tensor.From<BFloat16>([(BFloat16)1.5f, (BFloat16)(-2f)], [2]),
            ["d"] = Tensor.From<double>([0.25], [1]),
            ["ids"] = Tensor.From<long>([3, 4], [2]),
            ["mask"] = Tensor.From<bool>([true], [1]),
        });
        var loaded = SafeTensors.Load(path, Device.Cpu, DType.Float32);
        Assert.Equal(DType.Float32, loaded["w"].DType);
        Assert.Equal(new float[] { 1.5f, -2f }, loaded["w"].ToArray<float>());
        Assert.Equal(DType.Float32, loaded["d"].DType);
        Assert.Equal(DType.Int64, loaded["ids"].DType);
        Assert.Equal(DType.Bool, loaded["mask"].DType);

        var narrowed = SafeTensors.Load(path, dtype: DType.BFloat16);
        Assert.Equal(DType.BFloat16, narrowed["d"].DType);
        Assert.Equal(0.25, narrowed["d"].ToDouble());

        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Load(path, dtype: DType.Int32));
        Assert.Contains("floating-point", e.Message);
    }

    [Fact]
    public void Open_ReadsTensorsLazilyByName()
    {
        using var scope = DisposeScope.Begin();
        var path = PathOf("lazy.safetensors");
        SafeTensors.Save(path, AllDTypes(), new Dictionary<string, string> { ["k"] = "v" });
        var file = SafeTensors.Open(path);
        using (file)
        {
            Assert.Equal(Path.GetFullPath(path), file.Path);
            Assert.Equal("v", file.Metadata["k"]);
            Assert.Contains("int16", file.Names);
            Assert.True(file.Contains("bool"));
            Assert.False(file.Contains("nope"));
            Assert.Equal(DType.Int16, file.GetInfo("int16").DType);
            Assert.Equal(new short[] { short.MinValue, short.MaxValue, 0 }, file.GetTensor("int16").ToArray<short>());
            var f = file.GetTensor("float16", dtype: DType.Float32);
            Assert.Equal(DType.Float32, f.DType);
            Assert.Equal(1.5f, f.ToArray<float>()[0]);
            var e = Assert.Throws<KeyNotFoundException>(() => file.GetTensor("nope"));
            Assert.Contains("'nope'", e.Message);
            Assert.Contains(Path.GetFullPath(path), e.Message);
        }
        Assert.Throws<ObjectDisposedException>(() => file.GetTensor("int16"));
        file.Dispose(); // idempotent
    }

    [Fact]
    public void Save_IsAtomic_AFailureLeavesTheOldFileAndNoTemporaryFile()
    {
        using var scope = DisposeScope.Begin();
        var path = PathOf("atomic.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = Tensor.From<float>([1, 2], [2]) });
        var before = File.ReadAllBytes(path);

        var good = Tensor.From<float>([3, 4, 5], [3]);
        var disposed = Tensor.From<float>([6], [1]);
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() =>
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = good, ["b"] = disposed }));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "atomic.safetensors" }, Directory.GetFiles(_dir).Select(Path.GetFileName));

        // A successful save replaces the file.
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = good });
        Assert.Equal(new float[] { 3, 4, 5 }, SafeTensors.Load(path)["a"].ToArray<float>());
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Save_RefusesTheReservedMetadataName()
    {
        using var scope = DisposeScope.Begin();
        var e = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Save(PathOf("x.safetensors"), new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Zeros(1) }));
        Assert.Contains("__metadata__", e.Message);
        Assert.False(File.Exists(PathOf("x.safetensors")));
    }

    // ---- the writer against the spec ---------------------------------------------------------

    [Fact]
    public void Save_WritesTheReferenceLayout_ByteForByte()
    {
        using var scope = DisposeScope.Begin();
        var path = PathOf("layout.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["c"] = Tensor.From<byte>([1, 2, 3], [3]),
            ["b"] = Tensor.From<int>([1, 2], [2]),
            ["a2"] = Tensor.From<float>([-2f], [1]),
            ["a1"] = Tensor.From<float>([1f], [1]),
            ["m"] = Tensor.From<bool>([true, false], [1, 2]),
        }, new Dictionary<string, string> { ["z"] = "1", ["a"] = "2" });

        // The reference writer orders tensors by dtype alignment (F32 before I32 before U8 before BOOL),
        // then by name; writes compact JSON with __metadata__ first; pads with spaces to 8 bytes.
        var json =
            "{\"__metadata__\":{\"a\":\"2\",\"z\":\"1\"}," +
            "\"a1\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," +
            "\"a2\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}," +
            "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[8,16]}," +
            "\"c\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[16,19]}," +
            "\"m\":{\"dtype\":\"BOOL\",\"shape\":[1,2],\"data_offsets\":[19,21]}}";
        json += new string(' ', (8 - json.Length % 8) % 8);
        byte[] data =
        [
            0x00, 0x00, 0x80, 0x3F, // a1 = 1.0f
            0x00, 0x00, 0x00, 0xC0, // a2 = -2.0f
            0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, // b = [1, 2]
            0x01, 0x02, 0x03, // c
            0x01, 0x00, // m
        ];
        Assert.Equal(Hex(Build(Encoding.UTF8.GetBytes(json), data)), Hex(File.ReadAllBytes(path)));
    }

    // ---- the reader against the spec ---------------------------------------------------------

    [Fact]
    public void Load_TheSpecExampleFile()
    {
        // The example of the reference implementation's documentation: a 60-byte header (0x3C = '<').
        using var scope = DisposeScope.Begin();
        var json = "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
        byte[] data = [1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 3, 0, 0, 0, 0, 0, 0, 0x80];
        var bytes = Build(Encoding.UTF8.GetBytes(json), data);
        Assert.Equal((byte)'<', bytes[0]);
        var path = PathOf("spec.safetensors");
        File.WriteAllBytes(path, bytes);
        var t = SafeTensors.Load(path)["test"];
        Assert.Equal(DType.Int32, t.DType);
        Assert.Equal(new long[] { 2, 2 }, t.Shape);
        Assert.Equal(new[] { 1, -2, 3, int.MinValue }, t.ToArray<int>());
    }

    [Fact]
    public void Load_HandWrittenFile_AnyHeaderOrder_PaddingAndUnknownFields()
    {
        using var scope = DisposeScope.Begin();
        // Header entries in a different order than their data; odd padding; an unknown field; whitespace.
        var json = """
            { "b16": {"shape": [2], "dtype": "BF16", "data_offsets": [8, 12], "extra": {"x": [1]}},
              "__metadata__": {"format": "pt"},
              "f32": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
              "h": {"dtype": "F16", "shape": [], "data_offsets": [12, 14]},
              "flags": {"dtype": "BOOL", "shape": [2], "data_offsets": [14, 16]},
              "i64": {"dtype": "I64", "shape": [1, 1], "data_offsets": [16, 24]},
              "none": {"dtype": "F64", "shape": [0, 5], "data_offsets": [24, 24]} }
            """ + "     ";
        byte[] data =
        [
            0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0, // F32 1.0, -2.5
            0x80, 0x3F, 0x00, 0xC0, // BF16 1.0, -2.0
            0x00, 0x3C, // F16 1.0
            0x01, 0x00, // BOOL true, false
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // I64 -1
        ];
        var path = PathOf("hand.safetensors");
        File.WriteAllBytes(path, Build(Encoding.UTF8.GetBytes(json), data));

        var header = SafeTensors.ReadHeader(path);
        Assert.Equal(new[] { "b16", "f32", "h", "flags", "i64", "none" }, header.Names);
        Assert.Equal("pt", header.Metadata["format"]);

        var t = SafeTensors.Load(path);
        Assert.Equal(new float[] { 1f, -2.5f }, t["f32"].ToArray<float>());
        Assert.Equal(new[] { (BFloat16)1f, (BFloat16)(-2f) }, t["b16"].ToArray<BFloat16>());
        Assert.Empty(t["h"].Shape);
        Assert.Equal((Half)1f, t["h"].ToArray<Half>()[0]);
        Assert.Equal(new[] { true, false }, t["flags"].ToArray<bool>());
        Assert.Equal(new long[] { -1 }, t["i64"].ToArray<long>());
        Assert.Equal(new long[] { 0, 5 }, t["none"].Shape);
        Assert.Equal(DType.Float64, t["none"].DType);
    }

    [Fact]
    public void Load_EmptyObjectHeader_HasNoTensors()
    {
        var path = PathOf("empty.safetensors");
        File.WriteAllBytes(path, Build("{}      ", 0));
        Assert.Empty(SafeTensors.Load(path));
        Assert.Empty(SafeTensors.ReadHeader(path).Tensors);
    }

    // ---- malformed files ---------------------------------------------------------------------

    private const string F32x2 = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    /// <summary>Each case: the file's bytes, the text the message must contain, the tensor and field it must name.</summary>
    private static readonly Dictionary<string, (Func<byte[]> Bytes, string Expected, string? Tensor, string? Field)> Malformed = new()
    {
        ["empty file"] = (() => [], "shorter than the 8-byte", null, null),
        ["5-byte file"] = (() => [1, 0, 0, 0, 0], "5 bytes, shorter than the 8-byte", null, null),
        ["header length past end of file"] = (() => Build(Encoding.UTF8.GetBytes("{}"), [], headerLength: 100), "runs past the end of the file", null, null),
        ["huge header length"] = (() => Build(Encoding.UTF8.GetBytes("{}"), [], headerLength: 200_000_000), "larger than the 100000000-byte limit", null, null),
        ["max u64 header length"] = (() => Build(Encoding.UTF8.GetBytes("{}"), [], headerLength: ulong.MaxValue), "larger than the 100000000-byte limit", null, null),
        ["zero header length"] = (() => Build("", 0), "header is empty", null, null),
        ["invalid UTF-8"] = (() => Build([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'], []), "not valid UTF-8", null, null),
        ["not JSON"] = (() => Build("{not json}", 0), "not valid JSON", null, null),
        ["truncated JSON"] = (() => Build("{\"a\":{\"dtype\":", 0), "not valid JSON", null, null),
        ["trailing content"] = (() => Build("{} {}", 0), "not valid JSON", null, null),
        ["header is an array"] = (() => Build("[1, 2]", 0), "must be a JSON object, not an array", null, null),
        ["entry is a number"] = (() => Build("{\"a\": 5}", 0), "must be an object with dtype, shape and data_offsets", "a", null),
        ["missing dtype"] = (() => Build("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "no such field", "a", "dtype"),
        ["missing shape"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8), "no such field", "a", "shape"),
        ["missing data_offsets"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "no such field", "a", "data_offsets"),
        ["dtype is a number"] = (() => Build("{\"a\":{\"dtype\":3,\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "must be a string", "a", "dtype"),
        ["shape is a string"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8), "must be an array", "a", "shape"),
        ["shape holds a string"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8), "not an integer", "a", "shape"),
        ["shape holds a fraction"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8), "1.5, not an integer", "a", "shape"),
        ["negative dimension"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "negative (-2)", "a", "shape"),
        ["shape overflows"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8), "overflow", "a", "shape"),
        ["bytes overflow"] = (() => Build("{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]}}", 8), "overflow", "a", "shape"),
        ["unknown dtype"] = (() => Build("{\"a\":{\"dtype\":\"X42\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "unknown dtype 'X42'", "a", "dtype"),
        ["lower-case dtype"] = (() => Build("{\"a\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "unknown dtype 'f32'", "a", "dtype"),
        ["F8_E4M3"] = (() => Build("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", 8), "dtype 'F8_E4M3' is not supported", "a", "dtype"),
        ["U16"] = (() => Build("{\"a\":{\"dtype\":\"U16\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8), "dtype 'U16' is not supported", "a", "dtype"),
        ["one offset"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", 8), "must be [begin, end]", "a", "data_offsets"),
        ["three offsets"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", 8), "must be [begin, end]", "a", "data_offsets"),
        ["offsets not an array"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{\"b\":0}}}", 8), "must be an array", "a", "data_offsets"),
        ["negative offset"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8), "negative", "a", "data_offsets"),
        ["begin after end"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8), "begin > end", "a", "data_offsets"),
        ["end past buffer"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[100],\"data_offsets\":[0,400]}}", 8), "runs past the end of the data buffer (8 bytes", "a", "data_offsets"),
        ["byte length mismatch"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4), "spans 4 bytes but shape [2] of F32 needs 8 bytes", "a", "data_offsets"),
        ["overlap"] = (() => Build("{\"a\":" + F32x2 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlaps tensor 'a'", "b", "data_offsets"),
        ["same range twice"] = (() => Build("{\"a\":" + F32x2 + ",\"b\":" + F32x2 + "}", 8), "overlaps tensor", null, "data_offsets"),
        ["gap"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "gap: bytes [4, 8)", "b", "data_offsets"),
        ["gap at start"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "gap: bytes [0, 4)", "a", "data_offsets"),
        ["trailing bytes"] = (() => Build("{\"a\":" + F32x2 + "}", 12), "the last 4 bytes belong to no tensor", null, null),
        ["duplicate tensor"] = (() => Build("{\"a\":" + F32x2 + ",\"a\":" + F32x2 + "}", 8), "duplicate tensor name", "a", null),
        ["duplicate field"] = (() => Build("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "appears twice", "a", "dtype"),
        ["duplicate metadata"] = (() => Build("{\"__metadata__\":{},\"__metadata__\":{}}", 0), "appears twice", null, "__metadata__"),
        ["metadata value not a string"] = (() => Build("{\"__metadata__\":{\"k\":1}}", 0), "the value of 'k' must be a string", null, "__metadata__"),
        ["metadata not an object"] = (() => Build("{\"__metadata__\":[\"k\"]}", 0), "must be an object of string values", null, "__metadata__"),
    };

    public static TheoryData<string> MalformedCases => new(Malformed.Keys);

    [Theory]
    [MemberData(nameof(MalformedCases))]
    public void Malformed_File_GivesAClearException(string name)
    {
        var (bytes, expected, tensor, field) = Malformed[name];
        var path = PathOf("bad.safetensors");
        File.WriteAllBytes(path, bytes());
        var full = Path.GetFullPath(path);

        foreach (var read in new Action[] { () => SafeTensors.Load(path), () => SafeTensors.ReadHeader(path), () => SafeTensors.Open(path).Dispose() })
        {
            var e = Assert.Throws<SafeTensorsException>(read);
            Assert.Contains(expected, e.Message);
            Assert.Contains(full, e.Message);
            Assert.Equal(full, e.FilePath);
            if (tensor != null)
            {
                Assert.Equal(tensor, e.TensorName);
                Assert.Contains($"tensor '{tensor}'", e.Message);
            }
            if (field != null)
            {
                Assert.Equal(field, e.Field);
                Assert.Contains($"field '{field}'", e.Message);
            }
        }
        // The file is not left mapped or locked: it can be replaced and deleted.
        File.Delete(path);
    }

    [Fact]
    public void Load_MissingFile_IsFileNotFound()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(PathOf("missing.safetensors")));
        Assert.Contains("missing.safetensors", e.Message);
    }

    // ---- sharded checkpoints -----------------------------------------------------------------

    private static Dictionary<string, Tensor> SixTensors() => new()
    {
        ["model.embed.weight"] = Tensor.Arange(0, 16, 1, DType.Float32).Reshape(4, 4), // 64 bytes
        ["model.layers.0.w"] = Tensor.Arange(16, 32, 1, DType.Float32).Reshape(4, 4),
        ["model.layers.0.b"] = Tensor.Arange(0, 8, 1, DType.Int64), // 64 bytes
        ["model.layers.1.w"] = Tensor.Arange(32, 48, 1, DType.Float32).Reshape(4, 4),
        ["model.layers.1.b"] = Tensor.Arange(0, 32, 1, DType.Float32).To(DType.BFloat16), // 64 bytes
        ["lm_head.weight"] = Tensor.Arange(0, 64, 1, DType.Float32), // 256 bytes: over the limit, a shard of its own
    };

    [Fact]
    public void SaveSharded_ThenLoadSharded_RoundTrips()
    {
        using var scope = DisposeScope.Begin();
        var tensors = SixTensors();
        var folder = PathOf("ckpt");
        var written = SafeTensors.SaveSharded(folder, tensors, maxShardBytes: 150);

        // [embed, layers.0.w] [layers.0.b, layers.1.w] [lm_head] (oversized: its own shard, at once) [layers.1.b]
        var shardNames = Enumerable.Range(1, 4).Select(k => $"model-{k:D5}-of-00004.safetensors").ToArray();
        Assert.Equal(shardNames.Select(n => Path.Combine(Path.GetFullPath(folder), n)).Append(Path.Combine(Path.GetFullPath(folder), "model.safetensors.index.json")), written);
        Assert.False(File.Exists(Path.Combine(folder, "model.safetensors")));

        var index = SafeTensorsIndex.Read(Path.Combine(folder, "model.safetensors.index.json"));
        Assert.Equal(64 * 5 + 256, index.TotalSize);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), index.WeightMap.Keys); // written sorted, like transformers
        Assert.Equal(shardNames[0], index.WeightMap["model.embed.weight"]);
        Assert.Equal(shardNames[0], index.WeightMap["model.layers.0.w"]);
        Assert.Equal(shardNames[1], index.WeightMap["model.layers.0.b"]);
        Assert.Equal(shardNames[1], index.WeightMap["model.layers.1.w"]);
        Assert.Equal(shardNames[2], index.WeightMap["lm_head.weight"]);
        Assert.Equal(shardNames[3], index.WeightMap["model.layers.1.b"]);
        Assert.Equal("pt", SafeTensors.ReadHeader(Path.Combine(folder, shardNames[0])).Metadata["format"]);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "model.safetensors.index.json")));
        Assert.Equal(64 * 5 + 256, doc.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());

        AssertBitIdentical(tensors, SafeTensors.LoadSharded(folder));
        AssertBitIdentical(tensors, SafeTensors.LoadSharded(Path.Combine(folder, "model.safetensors.index.json")));
        AssertBitIdentical(tensors, SafeTensors.LoadCheckpoint(folder));
        var asFloat = SafeTensors.LoadCheckpoint(folder, dtype: DType.Float32);
        Assert.Equal(DType.Float32, asFloat["model.layers.1.b"].DType);
        Assert.Equal(DType.Int64, asFloat["model.layers.0.b"].DType);
    }

    [Fact]
    public void SaveSharded_OneShard_WritesModelSafetensors_AndRemovesAStaleShardedSave()
    {
        using var scope = DisposeScope.Begin();
        var folder = PathOf("ckpt1");
        SafeTensors.SaveSharded(folder, SixTensors(), maxShardBytes: 150);
        Assert.Equal(5, Directory.GetFiles(folder).Length);
        File.WriteAllText(Path.Combine(folder, "config.json"), "{}");

        var small = new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2, 2) };
        var written = SafeTensors.SaveSharded(folder, small);
        Assert.Equal(new[] { Path.Combine(Path.GetFullPath(folder), "model.safetensors") }, written);
        Assert.Equal(new[] { "config.json", "model.safetensors" }, Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        AssertBitIdentical(small, SafeTensors.LoadCheckpoint(folder));
        AssertBitIdentical(small, SafeTensors.LoadCheckpoint(Path.Combine(folder, "model.safetensors")));

        // Saving sharded again removes the now-stale single file, which would otherwise shadow the shards.
        SafeTensors.SaveSharded(folder, SixTensors(), maxShardBytes: 150);
        Assert.False(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.Equal(4, SafeTensorsIndex.Read(Path.Combine(folder, "model.safetensors.index.json")).ShardFiles.Count);
    }

    [Fact]
    public void LoadCheckpoint_EmptyFolder_SaysWhatItLookedFor()
    {
        var folder = PathOf("nothing");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "other.safetensors"), "");
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.LoadCheckpoint(folder));
        Assert.Contains("model.safetensors.index.json", e.Message);
        Assert.Contains("other.safetensors", e.Message);
    }

    [Fact]
    public void LoadSharded_BadIndexes_GiveClearExceptions()
    {
        using var scope = DisposeScope.Begin();
        var folder = PathOf("bad-index");
        Directory.CreateDirectory(folder);
        SafeTensors.Save(Path.Combine(folder, "model-00001-of-00001.safetensors"), new Dictionary<string, Tensor> { ["a"] = Tensor.Zeros(2) });
        var indexPath = Path.Combine(folder, "model.safetensors.index.json");

        void Expect(string json, string expected, string? tensor = null)
        {
            File.WriteAllText(indexPath, json);
            var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.LoadSharded(folder));
            Assert.Contains(expected, e.Message);
            Assert.Contains(Path.GetFullPath(indexPath), e.Message);
            Assert.Equal(tensor, e.TensorName);
        }

        Expect("{\"weight_map\": ", "not valid JSON");
        Expect("[]", "must be a JSON object");
        Expect("{\"metadata\": {}}", "has no 'weight_map'");
        Expect("{\"weight_map\": [\"a\"]}", "must be an object mapping tensor names");
        Expect("{\"weight_map\": {\"a\": 1}}", "must be a string", "a");
        Expect("{\"weight_map\": {\"a\": \"../x.safetensors\"}}", "inside the checkpoint folder", "a");
        Expect("{\"weight_map\": {\"a\": \"/etc/passwd\"}}", "inside the checkpoint folder", "a");
        Expect("{\"weight_map\": {\"a\": \"model-00001-of-00001.safetensors\", \"a\": \"model-00001-of-00001.safetensors\"}}", "listed twice", "a");
        Expect("{\"weight_map\": {\"zz\": \"model-00001-of-00001.safetensors\"}}", "does not hold it", "zz");

        File.WriteAllText(indexPath, "{\"weight_map\": {\"a\": \"model-00002-of-00002.safetensors\"}}");
        var missing = Assert.Throws<FileNotFoundException>(() => SafeTensors.LoadSharded(indexPath));
        Assert.Contains("model-00002-of-00002.safetensors", missing.Message);

        File.WriteAllText(indexPath, "{\"metadata\": {\"total_size\": 8}, \"weight_map\": {\"a\": \"model-00001-of-00001.safetensors\"}}");
        Assert.Equal(new float[] { 0, 0 }, SafeTensors.LoadSharded(folder)["a"].ToArray<float>());
    }

    // ---- an independent implementation: python3 + torch, writing/reading the format by hand ----

    /// <summary>
    /// A cross-check against python3 + torch. It is never skipped: without python3-torch it fails
    /// with a hint to run scripts/setup.sh (which installs it).
    /// </summary>
    public sealed class PythonTorchFactAttribute : FactAttribute;

    private const string Python = "/usr/bin/python3";

    private static (int Code, string Out, string Err) RunPython(string script, string[] args)
    {
        if (!File.Exists(Python)) Assert.Fail($"{Python} is missing: run scripts/setup.sh (it installs python3-torch)");
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("python3 did not finish in 2 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private const string PythonCommon = """
        import json, struct, sys, torch
        CODES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                 torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
                 torch.uint8: "U8", torch.bool: "BOOL"}
        DTYPES = {v: k for k, v in CODES.items()}
        def raw(t):
            t = t.contiguous()
            if t.dtype == torch.bfloat16:
                t = t.view(torch.int16)
            return t.numpy().tobytes()
        def describe(t):
            d = {"dtype": CODES[t.dtype], "shape": list(t.shape), "raw": raw(t).hex()}
            if t.is_floating_point():
                d["f64"] = t.double().numpy().tobytes().hex()
            else:
                d["i64"] = t.long().numpy().tobytes().hex()
            return d

        """;

    // Writes a safetensors file by hand (struct + json; data laid out in reverse name order, header
    // padded oddly) from torch tensors and prints what torch says each tensor holds.
    private const string PythonWriter = PythonCommon + """
        torch.manual_seed(0)
        ts = {
            "f32": torch.randn(3, 4), "f64": torch.randn(2, 3, dtype=torch.float64),
            "f16": torch.randn(5).half(), "bf16": torch.randn(2, 2).bfloat16(),
            "i64": torch.tensor([-2**63, 2**63 - 1, 0, 7]), "i32": torch.tensor([[1, -2], [3, 2**31 - 1]], dtype=torch.int32),
            "i16": torch.tensor([-32768, 32767], dtype=torch.int16), "i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
            "u8": torch.tensor([0, 255, 7], dtype=torch.uint8), "bool": torch.tensor([True, False, True]),
            "scalar": torch.tensor(2.5), "empty": torch.zeros(2, 0, 3), "t": torch.arange(6.).reshape(2, 3).t(),
        }
        header, data = {"__metadata__": {"source": "python", "format": "pt"}}, b""
        for name in sorted(ts, reverse=True):
            b = raw(ts[name])
            header[name] = {"dtype": CODES[ts[name].dtype], "shape": list(ts[name].shape), "data_offsets": [len(data), len(data) + len(b)]}
            data += b
        h = json.dumps(dict(sorted(header.items()))).encode("utf-8") + b"   "
        with open(sys.argv[1], "wb") as f:
            f.write(struct.pack("<Q", len(h)) + h + data)
        print(json.dumps({n: describe(t) for n, t in ts.items()}))
        """;

    // Parses a safetensors file by hand and prints what torch reads from it.
    private const string PythonReader = PythonCommon + """
        buf = open(sys.argv[1], "rb").read()
        (n,) = struct.unpack("<Q", buf[:8])
        header = json.loads(buf[8:8 + n].decode("utf-8"))
        meta = header.pop("__metadata__", {})
        end = max([v["data_offsets"][1] for v in header.values()] + [0])
        assert 8 + n + end == len(buf), "the data does not end at the end of the file"
        out = {}
        for name, info in header.items():
            b, e = info["data_offsets"]
            dtype, shape = DTYPES[info["dtype"]], info["shape"]
            chunk = bytearray(buf[8 + n + b:8 + n + e])
            t = torch.frombuffer(chunk, dtype=dtype).reshape(shape) if len(chunk) else torch.empty(shape, dtype=dtype)
            out[name] = describe(t)
        print(json.dumps({"n": n, "metadata": meta, "tensors": out}))
        """;

    private static Dictionary<string, JsonElement> ParseObject(JsonElement e) =>
        e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());

    private static void AssertMatchesTorch(JsonElement expected, Tensor actual, string name)
    {
        Assert.True(expected.GetProperty("dtype").GetString() == SafeTensors.DTypeToName(actual.DType), $"{name}: dtype");
        Assert.Equal(expected.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), actual.Shape);
        Assert.Equal(expected.GetProperty("raw").GetString(), Hex(actual.ToBytes()));
        if (expected.TryGetProperty("f64", out var f64))
        {
            using var d = actual.To(DType.Float64);
            Assert.Equal(f64.GetString(), Hex(d.ToBytes()));
        }
        else
        {
            using var l = actual.To(DType.Int64);
            Assert.Equal(expected.GetProperty("i64").GetString(), Hex(l.ToBytes()));
        }
    }

    [PythonTorchFact]
    public void Reader_MatchesTorch_OnAFileWrittenByHandInPython()
    {
        using var scope = DisposeScope.Begin();
        var path = PathOf("py.safetensors");
        var (code, stdout, stderr) = RunPython(PythonWriter, [path]);
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var expected = ParseObject(doc.RootElement);

        var loaded = SafeTensors.Load(path);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), loaded.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, want) in expected) AssertMatchesTorch(want, loaded[name], name);
        Assert.Equal("python", SafeTensors.ReadHeader(path).Metadata["source"]);
    }

    [PythonTorchFact]
    public void Writer_IsReadCorrectly_ByAHandWrittenPythonReader()
    {
        using var scope = DisposeScope.Begin();
        var tensors = AllDTypes();
        var path = PathOf("cs.safetensors");
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var (code, stdout, stderr) = RunPython(PythonReader, [path]);
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(0, doc.RootElement.GetProperty("n").GetInt64() % 8);
        Assert.Equal("pt", doc.RootElement.GetProperty("metadata").GetProperty("format").GetString());
        var got = ParseObject(doc.RootElement.GetProperty("tensors"));
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), got.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in tensors)
        {
            // NaN payloads survive a float64 round trip in torch and here alike, so compare all bits.
            AssertMatchesTorch(got[name], t, name);
        }
    }
}
