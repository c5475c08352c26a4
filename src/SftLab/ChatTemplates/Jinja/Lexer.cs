using System.Globalization;
using System.Text;

namespace SftLab.ChatTemplates;

internal enum TokenKind { Data, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, Eof }

internal readonly record struct Token(TokenKind Kind, string Value, int Line, int Column, object? Literal = null)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;
    public bool IsName(string value) => Kind == TokenKind.Name && Value == value;
    public bool IsOp(string value) => Kind == TokenKind.Operator && Value == value;
    public override string ToString() => Kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.BlockEnd => "'%}'",
        TokenKind.String => "string",
        _ => $"'{Value}'",
    };
}

/// <summary>
/// Splits a template into tokens the way Jinja's lexer does, with the settings transformers uses for chat
/// templates: trim_blocks (the first newline after a block or comment tag is dropped), lstrip_blocks
/// (spaces and tabs before a block or comment tag at the start of a line are dropped), whitespace control
/// with '-' and '+', newlines normalised to '\n', and one trailing newline of the source removed.
/// </summary>
internal sealed class Lexer
{
    private static readonly string[] Operators =
        ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";"];

    private readonly string _src;
    private readonly string? _name;
    private readonly bool _trimBlocks, _lstripBlocks;
    private readonly List<Token> _tokens = [];
    private readonly int[] _lineStarts;
    private int _pos;

    private Lexer(string source, string? name, bool trimBlocks, bool lstripBlocks)
    {
        var normalized = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (normalized.EndsWith('\n')) normalized = normalized[..^1];
        _src = normalized;
        _name = name;
        _trimBlocks = trimBlocks;
        _lstripBlocks = lstripBlocks;
        var starts = new List<int> { 0 };
        for (var i = 0; i < _src.Length; i++) if (_src[i] == '\n') starts.Add(i + 1);
        _lineStarts = starts.ToArray();
    }

    public static List<Token> Tokenize(string source, string? name, bool trimBlocks = true, bool lstripBlocks = true) =>
        new Lexer(source, name, trimBlocks, lstripBlocks).Run();

    private (int Line, int Column) Position(int offset)
    {
        var idx = Array.BinarySearch(_lineStarts, offset);
        if (idx < 0) idx = ~idx - 1;
        return (idx + 1, offset - _lineStarts[idx] + 1);
    }

    private TemplateSyntaxException Error(string message, int offset)
    {
        var (l, c) = Position(offset);
        return new TemplateSyntaxException(message, _name, l, c);
    }

    private void Add(TokenKind kind, string value, int offset, object? literal = null)
    {
        var (l, c) = Position(offset);
        _tokens.Add(new Token(kind, value, l, c, literal));
    }

    private static bool IsSpace(char c) => char.IsWhiteSpace(c);

    private List<Token> Run()
    {
        var lineStarting = true;
        var stripNext = false; // a '-' at the end of the previous tag strips leading whitespace of this data
        while (_pos <= _src.Length)
        {
            var next = FindTagStart(_pos);
            var dataEnd = next < 0 ? _src.Length : next;
            var dataStart = _pos;
            if (stripNext)
                while (dataStart < dataEnd && IsSpace(_src[dataStart])) dataStart++;
            stripNext = false;
            if (next < 0)
            {
                if (dataStart < dataEnd) Add(TokenKind.Data, _src[dataStart..dataEnd], dataStart);
                break;
            }
            var kindChar = _src[next + 1];
            var sign = next + 2 < _src.Length && (_src[next + 2] == '-' || _src[next + 2] == '+') ? _src[next + 2] : '\0';
            var text = _src[dataStart..dataEnd];
            if (sign == '-')
                text = text.TrimEnd();
            else if (sign != '+' && _lstripBlocks && kindChar != '{')
            {
                var lpos = text.LastIndexOf('\n') + 1;
                var atLineStart = lpos > 0 || (dataStart == _pos && lineStarting);
                if (atLineStart && lpos < text.Length && text.AsSpan(lpos).IndexOfAnyExcept(" \t\v\f") < 0)
                    text = text[..lpos];
            }
            if (text.Length > 0) Add(TokenKind.Data, text, dataStart);
            var bodyStart = next + 2 + (sign != '\0' ? 1 : 0);
            if (kindChar == '#')
            {
                var end = _src.IndexOf("#}", bodyStart, StringComparison.Ordinal);
                if (end < 0) throw Error("unclosed comment: missing '#}'", next);
                var minus = end > bodyStart && _src[end - 1] == '-';
                var plus = end > bodyStart && _src[end - 1] == '+';
                _pos = end + 2;
                if (minus) stripNext = true;
                else if (_trimBlocks && !plus && _pos < _src.Length && _src[_pos] == '\n') _pos++;
                lineStarting = _src[_pos - 1] == '\n';
                continue;
            }
            var isBlock = kindChar == '%';
            if (isBlock && TryRaw(next, bodyStart, out var rawEnd, out var rawText, out var rawStripAfter))
            {
                if (rawText.Length > 0) Add(TokenKind.Data, rawText, bodyStart);
                _pos = rawEnd;
                stripNext = rawStripAfter;
                lineStarting = _pos > 0 && _src[_pos - 1] == '\n';
                continue;
            }
            Add(isBlock ? TokenKind.BlockBegin : TokenKind.VariableBegin, isBlock ? "{%" : "{{", next);
            _pos = bodyStart;
            var (closeMinus, closePlus) = LexInside(isBlock ? '%' : '}', next);
            Add(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, isBlock ? "%}" : "}}", _pos - 2);
            if (closeMinus) stripNext = true;
            else if (isBlock && _trimBlocks && !closePlus && _pos < _src.Length && _src[_pos] == '\n') _pos++;
            lineStarting = _pos > 0 && _src[_pos - 1] == '\n';
        }
        var (el, ec) = Position(_src.Length);
        _tokens.Add(new Token(TokenKind.Eof, "", el, ec));
        return _tokens;
    }

    private int FindTagStart(int from)
    {
        var i = from;
        while (true)
        {
            i = _src.IndexOf('{', i);
            if (i < 0 || i + 1 >= _src.Length) return -1;
            var c = _src[i + 1];
            if (c == '{' || c == '%' || c == '#') return i;
            i++;
        }
    }

    /// <summary>Handles {% raw %}...{% endraw %}: the text in between is data, not template.</summary>
    private bool TryRaw(int tagStart, int bodyStart, out int end, out string text, out bool stripAfter)
    {
        end = 0; text = ""; stripAfter = false;
        var i = bodyStart;
        while (i < _src.Length && IsSpace(_src[i])) i++;
        if (string.CompareOrdinal(_src, i, "raw", 0, 3) != 0) return false;
        i += 3;
        while (i < _src.Length && IsSpace(_src[i])) i++;
        var minus = i < _src.Length && _src[i] == '-';
        if (minus || (i < _src.Length && _src[i] == '+')) i++;
        if (string.CompareOrdinal(_src, i, "%}", 0, 2) != 0) return false;
        var contentStart = i + 2;
        if (minus) while (contentStart < _src.Length && IsSpace(_src[contentStart])) contentStart++;
        else if (_trimBlocks && contentStart < _src.Length && _src[contentStart] == '\n') contentStart++;
        var search = contentStart;
        while (true)
        {
            var open = _src.IndexOf("{%", search, StringComparison.Ordinal);
            if (open < 0) throw Error("missing '{% endraw %}'", tagStart);
            var j = open + 2;
            var innerMinus = j < _src.Length && _src[j] == '-';
            if (innerMinus || (j < _src.Length && _src[j] == '+')) j++;
            while (j < _src.Length && IsSpace(_src[j])) j++;
            if (string.CompareOrdinal(_src, j, "endraw", 0, 6) != 0) { search = open + 2; continue; }
            j += 6;
            while (j < _src.Length && IsSpace(_src[j])) j++;
            var closeMinus = j < _src.Length && _src[j] == '-';
            if (closeMinus || (j < _src.Length && _src[j] == '+')) j++;
            if (string.CompareOrdinal(_src, j, "%}", 0, 2) != 0) { search = open + 2; continue; }
            text = _src[contentStart..open];
            if (innerMinus) text = text.TrimEnd();
            end = j + 2;
            if (closeMinus) stripAfter = true;
            else if (_trimBlocks && end < _src.Length && _src[end] == '\n') end++;
            return true;
        }
    }

    /// <summary>Lexes the inside of a {{ }} or {% %} tag up to and including its close; returns its '-'/'+' flags.</summary>
    private (bool Minus, bool Plus) LexInside(char closeChar, int tagStart)
    {
        var depth = 0;
        while (true)
        {
            while (_pos < _src.Length && IsSpace(_src[_pos])) _pos++;
            if (_pos >= _src.Length)
                throw Error(closeChar == '%' ? "unexpected end of template: the block tag is not closed with '%}'" : "unexpected end of template: the expression is not closed with '}}'", tagStart);
            var c = _src[_pos];
            // Tag end: "-%}", "+%}", "%}" (or the same with "}}"), unless inside brackets for "}}".
            if ((c == '-' || c == '+') && _pos + 2 < _src.Length + 0 && Matches(_pos + 1, closeChar) && (closeChar == '%' || depth == 0))
            {
                _pos += 3;
                return (c == '-', c == '+');
            }
            if (Matches(_pos, closeChar) && (closeChar == '%' || depth == 0))
            {
                _pos += 2;
                return (false, false);
            }
            if (char.IsLetter(c) || c == '_')
            {
                var s = _pos;
                while (_pos < _src.Length && (char.IsLetterOrDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
                Add(TokenKind.Name, _src[s.._pos], s);
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && _pos + 1 < _src.Length && char.IsAsciiDigit(_src[_pos + 1]) && false))
            {
                LexNumber();
                continue;
            }
            if (c == '\'' || c == '"')
            {
                LexString(c);
                continue;
            }
            var op = Operators.FirstOrDefault(o => string.CompareOrdinal(_src, _pos, o, 0, o.Length) == 0);
            if (op is null) throw Error($"unexpected character '{c}'", _pos);
            if (op is "(" or "[" or "{") depth++;
            else if (op is ")" or "]" or "}") depth--;
            Add(TokenKind.Operator, op, _pos);
            _pos += op.Length;
        }
    }

    private bool Matches(int at, char closeChar) =>
        at + 1 < _src.Length && _src[at] == closeChar && _src[at + 1] == '}';

    private void LexNumber()
    {
        var s = _pos;
        while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        var isFloat = false;
        if (_pos + 1 < _src.Length && _src[_pos] == '.' && char.IsAsciiDigit(_src[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        }
        if (_pos < _src.Length && (_src[_pos] == 'e' || _src[_pos] == 'E'))
        {
            var save = _pos;
            _pos++;
            if (_pos < _src.Length && (_src[_pos] == '+' || _src[_pos] == '-')) _pos++;
            if (_pos < _src.Length && char.IsAsciiDigit(_src[_pos]))
            {
                isFloat = true;
                while (_pos < _src.Length && char.IsAsciiDigit(_src[_pos])) _pos++;
            }
            else _pos = save;
        }
        var text = _src[s.._pos].Replace("_", "");
        if (isFloat)
            Add(TokenKind.Float, text, s, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
        else
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                throw Error($"integer literal {text} is too large", s);
            Add(TokenKind.Integer, text, s, v);
        }
    }

    private void LexString(char quote)
    {
        var s = _pos;
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _src.Length) throw Error("unterminated string literal", s);
            var c = _src[_pos];
            if (c == quote) { _pos++; break; }
            if (c == '\\')
            {
                if (_pos + 1 >= _src.Length) throw Error("unterminated string literal", s);
                var e = _src[_pos + 1];
                _pos += 2;
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'v': sb.Append('\v'); break;
                    case 'a': sb.Append('\a'); break;
                    case '0' when _pos >= _src.Length || !char.IsAsciiDigit(_src[_pos]): sb.Append('\0'); break;
                    case '\\': sb.Append('\\'); break;
                    case '\'': sb.Append('\''); break;
                    case '"': sb.Append('"'); break;
                    case '\n': break;
                    case 'x': sb.Append(Hex(2, s)); break;
                    case 'u': sb.Append(Hex(4, s)); break;
                    case 'U': sb.Append(Hex(8, s)); break;
                    default: sb.Append('\\').Append(e); break;
                }
                continue;
            }
            sb.Append(c);
            _pos++;
        }
        Add(TokenKind.String, _src[s.._pos], s, sb.ToString());
    }

    private string Hex(int digits, int stringStart)
    {
        if (_pos + digits > _src.Length || !int.TryParse(_src.AsSpan(_pos, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var cp))
            throw Error($"bad \\{(digits == 2 ? "x" : digits == 4 ? "u" : "U")} escape in string literal", stringStart);
        _pos += digits;
        return char.ConvertFromUtf32(cp);
    }
}
