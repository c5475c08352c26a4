namespace SftLab.Torch;

/// <summary>Element types. The values are libtorch's <c>c10::ScalarType</c> codes.</summary>
public enum DType
{
    UInt8 = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Float16 = 5,
    Float32 = 6,
    Float64 = 7,
    Bool = 11,
    BFloat16 = 15,
}

/// <summary>Helpers for <see cref="DType"/>.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.UInt8 or DType.Int8 or DType.Bool => 1,
        DType.Int16 or DType.Float16 or DType.BFloat16 => 2,
        DType.Int32 or DType.Float32 => 4,
        DType.Int64 or DType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>True for the floating-point types (the ones that can require gradients).</summary>
    public static bool IsFloatingPoint(this DType dtype) =>
        dtype is DType.Float16 or DType.BFloat16 or DType.Float32 or DType.Float64;

    /// <summary>The PyTorch name, e.g. <c>float32</c>, <c>bfloat16</c>.</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.UInt8 => "uint8",
        DType.Int8 => "int8",
        DType.Int16 => "int16",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.Float16 => "float16",
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Bool => "bool",
        DType.BFloat16 => "bfloat16",
        _ => dtype.ToString(),
    };

    /// <summary>Parses a PyTorch or Hugging Face dtype name ("float32", "bf16", "torch.float16", "auto" is not accepted).</summary>
    public static DType Parse(string name) => name.Trim().ToLowerInvariant().Replace("torch.", "") switch
    {
        "float32" or "float" or "fp32" or "f32" => DType.Float32,
        "float16" or "half" or "fp16" or "f16" => DType.Float16,
        "bfloat16" or "bf16" => DType.BFloat16,
        "float64" or "double" or "f64" => DType.Float64,
        "int64" or "long" or "i64" => DType.Int64,
        "int32" or "int" or "i32" => DType.Int32,
        "int16" or "short" or "i16" => DType.Int16,
        "int8" or "i8" => DType.Int8,
        "uint8" or "u8" => DType.UInt8,
        "bool" => DType.Bool,
        _ => throw new ArgumentException($"unknown dtype '{name}' (expected float32, bfloat16, float16, float64, int64, int32, int16, int8, uint8 or bool)", nameof(name)),
    };

    /// <summary>The dtype that holds .NET values of type <typeparamref name="T"/>.</summary>
    public static DType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(short)) return DType.Int16;
        if (typeof(T) == typeof(sbyte)) return DType.Int8;
        if (typeof(T) == typeof(byte)) return DType.UInt8;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        if (typeof(T) == typeof(Half)) return DType.Float16;
        if (typeof(T) == typeof(BFloat16)) return DType.BFloat16;
        throw new NotSupportedException($"no tensor dtype holds .NET type {typeof(T).Name}");
    }
}
