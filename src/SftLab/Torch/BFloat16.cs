namespace SftLab.Torch;

/// <summary>
/// The bfloat16 format: the upper 16 bits of an IEEE float32 (8 exponent bits, 7 mantissa bits).
/// .NET has no such type; this one converts with round-to-nearest-even, as libtorch does.
/// </summary>
public readonly struct BFloat16 : IEquatable<BFloat16>
{
    /// <summary>The raw bits.</summary>
    public ushort Bits { get; }

    private BFloat16(ushort bits) => Bits = bits;

    public static BFloat16 FromBits(ushort bits) => new(bits);

    public static explicit operator BFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return new BFloat16((ushort)((bits >> 16) | 0x40)); // keep it a quiet NaN
        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return new BFloat16((ushort)((bits + rounding) >> 16));
    }

    public static explicit operator float(BFloat16 value) => BitConverter.UInt32BitsToSingle((uint)value.Bits << 16);

    public bool Equals(BFloat16 other) => Bits == other.Bits;
    public override bool Equals(object? obj) => obj is BFloat16 b && Equals(b);
    public override int GetHashCode() => Bits;
    public override string ToString() => ((float)this).ToString(System.Globalization.CultureInfo.InvariantCulture);
    public static bool operator ==(BFloat16 a, BFloat16 b) => a.Equals(b);
    public static bool operator !=(BFloat16 a, BFloat16 b) => !a.Equals(b);
}
