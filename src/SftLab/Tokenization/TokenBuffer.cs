using System.Runtime.CompilerServices;

namespace SftLab.Tokenization;

/// <summary>A growable list of (id, start, end) triples, reused across calls to avoid allocations.</summary>
internal sealed class TokenBuffer
{
    public int[] Ids = new int[256];
    public int[] Starts = new int[256];
    public int[] Ends = new int[256];
    public bool[] Special = new bool[256];
    public int Count;

    public void Clear() => Count = 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int id, int start, int end, bool special = false)
    {
        if (Count == Ids.Length) Grow();
        Ids[Count] = id;
        Starts[Count] = start;
        Ends[Count] = end;
        Special[Count] = special;
        Count++;
    }

    private void Grow()
    {
        var n = Ids.Length * 2;
        Array.Resize(ref Ids, n);
        Array.Resize(ref Starts, n);
        Array.Resize(ref Ends, n);
        Array.Resize(ref Special, n);
    }
}

/// <summary>An open-addressing hash map from a pair of token ids to (merge rank, merged id): the BPE merge table.</summary>
internal sealed class PairTable
{
    private ulong[] _keys;
    private long[] _values;
    private int _count;
    private int _mask;
    private const ulong Empty = ulong.MaxValue;

    public PairTable(int capacity)
    {
        var size = 16;
        while (size < capacity * 2) size <<= 1;
        _keys = new ulong[size];
        Array.Fill(_keys, Empty);
        _values = new long[size];
        _mask = size - 1;
    }

    public int Count => _count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Key(int a, int b) => ((ulong)(uint)a << 32) | (uint)b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> 40) & _mask;

    /// <summary>Adds the pair unless it is present (the first, lowest rank wins). Returns whether it was added.</summary>
    public bool TryAdd(int a, int b, int rank, int merged)
    {
        if ((_count + 1) * 2 > _keys.Length) Resize();
        var key = Key(a, b);
        var i = Slot(key);
        while (_keys[i] != Empty)
        {
            if (_keys[i] == key) return false;
            i = (i + 1) & _mask;
        }
        _keys[i] = key;
        _values[i] = ((long)rank << 32) | (uint)merged;
        _count++;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(int a, int b, out int rank, out int merged)
    {
        var key = Key(a, b);
        var i = Slot(key);
        while (true)
        {
            var k = _keys[i];
            if (k == key)
            {
                var v = _values[i];
                rank = (int)(v >> 32);
                merged = (int)v;
                return true;
            }
            if (k == Empty)
            {
                rank = int.MaxValue;
                merged = -1;
                return false;
            }
            i = (i + 1) & _mask;
        }
    }

    private void Resize()
    {
        var oldK = _keys;
        var oldV = _values;
        _keys = new ulong[oldK.Length * 2];
        Array.Fill(_keys, Empty);
        _values = new long[oldK.Length * 2];
        _mask = _keys.Length - 1;
        _count = 0;
        for (var i = 0; i < oldK.Length; i++)
            if (oldK[i] != Empty)
            {
                var key = oldK[i];
                var j = Slot(key);
                while (_keys[j] != Empty) j = (j + 1) & _mask;
                _keys[j] = key;
                _values[j] = oldV[i];
                _count++;
            }
    }
}
