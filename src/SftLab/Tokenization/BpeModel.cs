using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace SftLab.Tokenization;

/// <summary>
/// Byte-pair encoding. A word starts as single chars (or UTF-8 bytes for byte-level tokenizers),
/// and the pair with the lowest merge rank is merged again and again, leftmost first, until no
/// pair in the merge table is left. Results are cached per word.
/// </summary>
internal sealed class BpeModel : TokenizerModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabLookup;
    private readonly string?[] _idToToken;
    private readonly PairTable _pairs;
    private readonly int[] _byteToId = new int[256];
    private readonly int[]? _byteFallback;
    private readonly int _unk;
    private readonly bool _fuseUnk;
    private readonly string _prefix;
    private readonly string _suffix;
    private readonly bool _ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private const int MaxCachedChars = 128;
    private const int CacheCapacity = 200_000;
    [ThreadStatic] private static Scratch? t_scratch;

    public BpeModel(Dictionary<string, int> vocab, string?[] idToToken, PairTable pairs, int unk, bool fuseUnk, bool byteFallback,
        string? continuingSubwordPrefix, string? endOfWordSuffix, bool ignoreMerges)
    {
        _vocab = vocab;
        _vocabLookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _idToToken = idToToken;
        _pairs = pairs;
        _unk = unk;
        _fuseUnk = fuseUnk;
        _prefix = continuingSubwordPrefix ?? "";
        _suffix = endOfWordSuffix ?? "";
        _ignoreMerges = ignoreMerges;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        for (var b = 0; b < 256; b++)
            _byteToId[b] = vocab.TryGetValue(ByteLevelAlphabet.ToChar((byte)b).ToString(), out var id) ? id : -1;
        if (byteFallback)
        {
            _byteFallback = new int[256];
            for (var b = 0; b < 256; b++)
                _byteFallback[b] = vocab.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1;
        }
    }

    public override int VocabSize => _idToToken.Length;
    public override int UnkId => _unk;
    public IReadOnlyDictionary<string, int> Vocab => _vocab;
    internal PairTable Pairs => _pairs;
    public bool IgnoreMerges => _ignoreMerges;
    public override bool TryGetId(ReadOnlySpan<char> token, out int id) => _vocabLookup.TryGetValue(token, out id);
    public override string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    public static BpeModel FromJson(JsonNav n)
    {
        var (vocab, inv) = ReadVocab(n.Required("vocab"));
        var unk = -1;
        if (n.OptString("unk_token") is { } u && !vocab.TryGetValue(u, out unk))
            unk = -1; // the reference tolerates an unk_token missing from the vocabulary (it is usually an added token)
        var prefix = n.OptString("continuing_subword_prefix");
        var mergesNode = n.Required("merges");
        var pairs = new PairTable(mergesNode.Length);
        var lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        var rank = 0;
        Span<char> buf = stackalloc char[256];
        foreach (var m in mergesNode.Items())
        {
            string a, b;
            if (m.Kind == System.Text.Json.JsonValueKind.String)
            {
                var s = m.String();
                var sp = s.IndexOf(' ');
                if (sp <= 0 || sp == s.Length - 1 || s.IndexOf(' ', sp + 1) >= 0) throw m.Error($"a merge must be two tokens separated by one space, found \"{s}\"");
                a = s[..sp];
                b = s[(sp + 1)..];
            }
            else if (m.Kind == System.Text.Json.JsonValueKind.Array)
            {
                if (m.Length != 2) throw m.Error("a merge must be a pair [left, right]");
                var items = m.Items().ToArray();
                a = items[0].String();
                b = items[1].String();
            }
            else throw m.Error($"a merge must be a string \"a b\" or a pair [\"a\", \"b\"], found {m.Kind}");
            if (!vocab.TryGetValue(a, out var ia)) throw m.Error($"merge token \"{a}\" is not in the vocabulary");
            if (!vocab.TryGetValue(b, out var ib)) throw m.Error($"merge token \"{b}\" is not in the vocabulary");
            var right = prefix != null && prefix.Length > 0 && b.StartsWith(prefix, StringComparison.Ordinal) ? b[prefix.Length..] : b;
            var merged = a + right;
            if (!vocab.TryGetValue(merged, out var im)) throw m.Error($"the merge of \"{a}\" and \"{b}\" gives \"{merged}\", which is not in the vocabulary");
            pairs.TryAdd(ia, ib, rank, im);
            rank++;
        }
        if (n.Optional("dropout") is { } d && d.Double() is > 0 and < 1)
        {
            // Dropout is a training-time regularizer; encoding here is deterministic (dropout off).
        }
        return new BpeModel(vocab, inv, pairs, unk, n.OptBool("fuse_unk", false), n.OptBool("byte_fallback", false),
            prefix, n.OptString("end_of_word_suffix"), n.OptBool("ignore_merges", false));
    }

    public override void Tokenize(ReadOnlySpan<char> piece, bool byteLevel, TokenBuffer output)
    {
        if (piece.IsEmpty) return;
        int[]? cached = null;
        if (piece.Length <= MaxCachedChars && _cacheLookup.TryGetValue(piece, out cached))
        {
            for (var i = 0; i < cached.Length; i += 3) output.Add(cached[i], cached[i + 1], cached[i + 2]);
            return;
        }
        var start = output.Count;
        if (byteLevel) TokenizeBytes(piece, output);
        else TokenizeChars(piece, output);
        if (piece.Length <= MaxCachedChars && _cache.Count < CacheCapacity)
        {
            var n = output.Count - start;
            var arr = new int[n * 3];
            for (var i = 0; i < n; i++)
            {
                arr[3 * i] = output.Ids[start + i];
                arr[3 * i + 1] = output.Starts[start + i];
                arr[3 * i + 2] = output.Ends[start + i];
            }
            _cacheLookup.TryAdd(piece, arr);
        }
    }

    private sealed class Scratch
    {
        public int[] Ids = new int[256];
        public int[] Starts = new int[256];
        public int[] Ends = new int[256];
        public int[] Ranks = new int[256];
        public int[] Merged = new int[256];
        public int[] Prev = new int[256];
        public int[] Next = new int[256];
        public byte[] Bytes = new byte[1024];
        public int[] ByteCharStart = new int[1024];
        public int[] ByteCharEnd = new int[1024];
        public char[] Chars = new char[1024];

        public void EnsureSymbols(int n)
        {
            if (Ids.Length >= n) return;
            var size = Math.Max(n, Ids.Length * 2);
            Ids = new int[size]; Starts = new int[size]; Ends = new int[size]; Ranks = new int[size];
            Merged = new int[size]; Prev = new int[size]; Next = new int[size];
        }

        public void EnsureBytes(int n)
        {
            if (Bytes.Length >= n) return;
            var size = Math.Max(n, Bytes.Length * 2);
            Bytes = new byte[size]; ByteCharStart = new int[size]; ByteCharEnd = new int[size]; Chars = new char[size];
        }
    }

    private void TokenizeBytes(ReadOnlySpan<char> piece, TokenBuffer output)
    {
        var sc = t_scratch ??= new Scratch();
        sc.EnsureBytes(piece.Length * 3 + 4);
        var nb = 0;
        Span<byte> tmp = stackalloc byte[4];
        for (var i = 0; i < piece.Length;)
        {
            var cp = UnicodeInfo.CodePoint(piece, i, out var len);
            var k = UnicodeInfo.Utf8(cp, tmp);
            for (var j = 0; j < k; j++)
            {
                sc.Bytes[nb] = tmp[j];
                sc.ByteCharStart[nb] = i;
                sc.ByteCharEnd[nb] = i + len;
                nb++;
            }
            i += len;
        }
        if (_ignoreMerges)
        {
            for (var i = 0; i < nb; i++) sc.Chars[i] = ByteLevelAlphabet.ToChar(sc.Bytes[i]);
            if (_vocabLookup.TryGetValue(sc.Chars.AsSpan(0, nb), out var whole))
            {
                output.Add(whole, 0, piece.Length);
                return;
            }
        }
        sc.EnsureSymbols(nb);
        for (var i = 0; i < nb; i++)
        {
            sc.Ids[i] = _byteToId[sc.Bytes[i]];
            sc.Starts[i] = i;
            sc.Ends[i] = i + 1;
        }
        var count = Merge(sc, nb);
        for (var i = 0; i < count; i++)
        {
            var id = sc.Ids[i];
            var s = sc.ByteCharStart[sc.Starts[i]];
            var e = sc.ByteCharEnd[sc.Ends[i] - 1];
            if (id >= 0) output.Add(id, s, e);
            else if (_unk >= 0) output.Add(_unk, s, e);
        }
    }

    private void TokenizeChars(ReadOnlySpan<char> piece, TokenBuffer output)
    {
        var sc = t_scratch ??= new Scratch();
        if (_ignoreMerges && _vocabLookup.TryGetValue(piece, out var whole))
        {
            output.Add(whole, 0, piece.Length);
            return;
        }
        sc.EnsureSymbols(piece.Length * 4 + 4);
        sc.EnsureBytes(piece.Length + _prefix.Length + _suffix.Length + 8);
        var n = 0;
        Span<byte> tmp = stackalloc byte[4];
        var lastWasUnk = false;
        for (var i = 0; i < piece.Length;)
        {
            UnicodeInfo.CodePoint(piece, i, out var len);
            var key = sc.Chars.AsSpan();
            var kl = 0;
            if (i > 0) { _prefix.AsSpan().CopyTo(key); kl = _prefix.Length; }
            piece.Slice(i, len).CopyTo(key[kl..]);
            kl += len;
            if (i + len == piece.Length) { _suffix.AsSpan().CopyTo(key[kl..]); kl += _suffix.Length; }
            if (_vocabLookup.TryGetValue(key[..kl], out var id))
            {
                sc.Ids[n] = id; sc.Starts[n] = i; sc.Ends[n] = i + len; n++;
                lastWasUnk = false;
            }
            else
            {
                var done = false;
                if (_byteFallback != null)
                {
                    var cp = UnicodeInfo.CodePoint(piece, i, out _);
                    var k = UnicodeInfo.Utf8(cp, tmp);
                    var ok = true;
                    for (var j = 0; j < k; j++) ok &= _byteFallback[tmp[j]] >= 0;
                    if (ok)
                    {
                        for (var j = 0; j < k; j++) { sc.Ids[n] = _byteFallback[tmp[j]]; sc.Starts[n] = i; sc.Ends[n] = i + len; n++; }
                        done = true;
                        lastWasUnk = false;
                    }
                }
                if (!done && _unk >= 0)
                {
                    if (_fuseUnk && lastWasUnk) sc.Ends[n - 1] = i + len;
                    else { sc.Ids[n] = _unk; sc.Starts[n] = i; sc.Ends[n] = i + len; n++; }
                    lastWasUnk = true;
                }
            }
            i += len;
        }
        var count = Merge(sc, n);
        for (var i = 0; i < count; i++) output.Add(sc.Ids[i], sc.Starts[i], sc.Ends[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Lookup(int a, int b, out int rank, out int merged)
    {
        if (a < 0 || b < 0) { rank = int.MaxValue; merged = -1; return; }
        _pairs.TryGet(a, b, out rank, out merged);
    }

    /// <summary>Applies merges to the symbols in the scratch arrays; returns the new symbol count.</summary>
    private int Merge(Scratch sc, int count)
    {
        if (count < 2) return count;
        if (count > 96) return MergeHeap(sc, count);
        var ids = sc.Ids;
        var ranks = sc.Ranks;
        var merged = sc.Merged;
        var ends = sc.Ends;
        var starts = sc.Starts;
        for (var i = 0; i < count - 1; i++) Lookup(ids[i], ids[i + 1], out ranks[i], out merged[i]);
        while (true)
        {
            var best = int.MaxValue;
            var bi = -1;
            for (var i = 0; i < count - 1; i++)
                if (ranks[i] < best) { best = ranks[i]; bi = i; }
            if (bi < 0) break;
            ids[bi] = merged[bi];
            ends[bi] = ends[bi + 1];
            var tail = count - bi - 2;
            if (tail > 0)
            {
                Array.Copy(ids, bi + 2, ids, bi + 1, tail);
                Array.Copy(starts, bi + 2, starts, bi + 1, tail);
                Array.Copy(ends, bi + 2, ends, bi + 1, tail);
                Array.Copy(ranks, bi + 2, ranks, bi + 1, tail - 1 > 0 ? tail - 1 : 0);
                Array.Copy(merged, bi + 2, merged, bi + 1, tail - 1 > 0 ? tail - 1 : 0);
            }
            count--;
            if (bi > 0) Lookup(ids[bi - 1], ids[bi], out ranks[bi - 1], out merged[bi - 1]);
            if (bi < count - 1) Lookup(ids[bi], ids[bi + 1], out ranks[bi], out merged[bi]);
        }
        return count;
    }

    /// <summary>The same merges for long words: a linked list and a priority queue ordered by (rank, position).</summary>
    private int MergeHeap(Scratch sc, int count)
    {
        var ids = sc.Ids;
        var prev = sc.Prev;
        var next = sc.Next;
        var ends = sc.Ends;
        var alive = new bool[count];
        var queue = new PriorityQueue<int, long>(count);
        for (var i = 0; i < count; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
            alive[i] = true;
        }
        for (var i = 0; i < count - 1; i++)
        {
            Lookup(ids[i], ids[i + 1], out var r, out _);
            if (r != int.MaxValue) queue.Enqueue(i, ((long)r << 32) | (uint)i);
        }
        while (queue.TryDequeue(out var pos, out var prio))
        {
            if (!alive[pos]) continue;
            var nx = next[pos];
            if (nx < 0) continue;
            Lookup(ids[pos], ids[nx], out var r, out var m);
            if (r != (int)(prio >> 32)) continue; // stale entry
            ids[pos] = m;
            ends[pos] = ends[nx];
            alive[nx] = false;
            next[pos] = next[nx];
            if (next[nx] >= 0) prev[next[nx]] = pos;
            if (prev[pos] >= 0)
            {
                Lookup(ids[prev[pos]], ids[pos], out var r2, out _);
                if (r2 != int.MaxValue) queue.Enqueue(prev[pos], ((long)r2 << 32) | (uint)prev[pos]);
            }
            if (next[pos] >= 0)
            {
                Lookup(ids[pos], ids[next[pos]], out var r3, out _);
                if (r3 != int.MaxValue) queue.Enqueue(pos, ((long)r3 << 32) | (uint)pos);
            }
        }
        var w = 0;
        for (var i = 0; i >= 0; i = next[i])
        {
            ids[w] = ids[i];
            sc.Starts[w] = sc.Starts[i];
            ends[w] = ends[i];
            w++;
        }
        return w;
    }
}
