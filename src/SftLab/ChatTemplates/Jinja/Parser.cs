namespace SftLab.ChatTemplates;

/// <summary>Builds the tree of a template from its tokens, following Jinja's grammar and operator precedence.</summary>
internal sealed class Parser
{
    private readonly List<Token> _t;
    private readonly string? _name;
    private int _i;
    private int _depth;
    private const int MaxNesting = 200;

    private Parser(List<Token> tokens, string? name)
    {
        _t = tokens;
        _name = name;
    }

    public static List<Node> Parse(string source, string? name)
    {
        var p = new Parser(Lexer.Tokenize(source, name), name);
        var body = p.ParseBody(out var end);
        if (end is not null)
            throw p.Error($"unexpected '{end.Value.Value}': no block is open that it could close", end.Value);
        return body;
    }

    private Token Cur => _t[_i];
    private Token Peek(int n = 1) => _t[Math.Min(_i + n, _t.Count - 1)];
    private Token Next() => _t[_i++];

    private TemplateSyntaxException Error(string message, Token at) => new(message, _name, at.Line, at.Column);

    private Token Expect(TokenKind kind, string? value = null)
    {
        var c = Cur;
        if (c.Kind != kind || (value is not null && c.Value != value))
        {
            var want = value is not null ? $"'{value}'" : kind switch
            {
                TokenKind.Name => "a name",
                TokenKind.BlockEnd => "'%}'",
                TokenKind.VariableEnd => "'}}'",
                _ => kind.ToString(),
            };
            throw Error($"expected {want}, found {c}", c);
        }
        return Next();
    }

    private void ExpectBlockEnd(string tag)
    {
        if (Cur.Kind != TokenKind.BlockEnd) throw Error($"expected '%}}' to end the '{tag}' tag, found {Cur}", Cur);
        Next();
    }

    /// <summary>Parses nodes until a block tag this level does not know (returned in <paramref name="endTag"/>, positioned on its name) or the end.</summary>
    private List<Node> ParseBody(out Token? endTag, params string[] stopAt)
    {
        var nodes = new List<Node>();
        while (true)
        {
            var c = Cur;
            switch (c.Kind)
            {
                case TokenKind.Eof:
                    endTag = null;
                    return nodes;
                case TokenKind.Data:
                    Next();
                    nodes.Add(new OutputText(c.Value, c.Line, c.Column));
                    break;
                case TokenKind.VariableBegin:
                    Next();
                    var e = ParseTuple(allowEmpty: false);
                    Expect(TokenKind.VariableEnd);
                    nodes.Add(new OutputExpr(e, c.Line, c.Column));
                    break;
                case TokenKind.BlockBegin:
                    Next();
                    var tag = Cur;
                    if (tag.Kind != TokenKind.Name) throw Error($"expected a tag name after '{{%', found {tag}", tag);
                    if (stopAt.Contains(tag.Value) || tag.Value.StartsWith("end", StringComparison.Ordinal) || tag.Value is "else" or "elif")
                    {
                        endTag = tag;
                        return nodes;
                    }
                    nodes.Add(ParseStatement());
                    break;
                default:
                    throw Error($"unexpected {c}", c);
            }
        }
    }

    private List<Node> ParseUntil(string opener, Token openTok, out string endName, params string[] names)
    {
        _depth++;
        if (_depth > MaxNesting) throw Error("blocks are nested too deeply", openTok);
        var body = ParseBody(out var end, names);
        _depth--;
        if (end is null) throw Error($"unexpected end of template: '{opener}' opened here is never closed (expected {string.Join(" or ", names.Select(n => $"'{n}'"))})", openTok);
        if (!names.Contains(end.Value.Value))
            throw Error($"unexpected '{end.Value.Value}' inside '{opener}' (expected {string.Join(" or ", names.Select(n => $"'{n}'"))})", end.Value);
        endName = end.Value.Value;
        Next();
        return body;
    }

    private Node ParseStatement()
    {
        var tag = Next();
        switch (tag.Value)
        {
            case "if": return ParseIf(tag);
            case "for": return ParseFor(tag);
            case "set": return ParseSet(tag);
            case "macro": return ParseMacro(tag);
            case "call": return ParseCall(tag);
            case "filter":
            {
                var filters = ParseFilterChain();
                ExpectBlockEnd("filter");
                var body = ParseUntil("filter", tag, out _, "endfilter");
                ExpectBlockEnd("endfilter");
                return new FilterBlockNode(filters, body, tag.Line, tag.Column);
            }
            case "generation":
            {
                ExpectBlockEnd("generation");
                var body = ParseUntil("generation", tag, out _, "endgeneration");
                ExpectBlockEnd("endgeneration");
                return new GenerationNode(body, tag.Line, tag.Column);
            }
            case "break": ExpectBlockEnd("break"); return new BreakNode(tag.Line, tag.Column);
            case "continue": ExpectBlockEnd("continue"); return new ContinueNode(tag.Line, tag.Column);
            case "do":
            {
                var e = ParseTuple(false);
                ExpectBlockEnd("do");
                return new DoNode(e, tag.Line, tag.Column);
            }
            case "include" or "import" or "from" or "extends" or "block":
                throw Error($"the '{tag.Value}' tag is not supported in chat templates (a template is a single file)", tag);
            default:
                throw Error($"unknown tag '{tag.Value}'", tag);
        }
    }

    private Node ParseIf(Token tag)
    {
        var test = ParseTuple(false);
        ExpectBlockEnd("if");
        var body = ParseUntil("if", tag, out var end, "elif", "else", "endif");
        List<Node> els = [];
        if (end == "elif")
        {
            var elifTok = _t[_i - 1];
            els = [ParseIf(elifTok)];
            return new IfNode(test, body, els, tag.Line, tag.Column);
        }
        if (end == "else")
        {
            ExpectBlockEnd("else");
            els = ParseUntil("if", tag, out _, "endif");
        }
        ExpectBlockEnd("endif");
        return new IfNode(test, body, els, tag.Line, tag.Column);
    }

    private Node ParseFor(Token tag)
    {
        var target = ParseAssignTarget(allowAttr: false, extraEnd: "in");
        Expect(TokenKind.Name, "in");
        var iter = ParseTuple(false, noCondExpr: true, extraEnd: "recursive");
        Expr? filter = null;
        if (Cur.IsName("if"))
        {
            Next();
            filter = ParseExpression();
        }
        if (Cur.IsName("recursive")) throw Error("recursive for loops are not supported", Cur);
        ExpectBlockEnd("for");
        var body = ParseUntil("for", tag, out var end, "endfor", "else");
        List<Node> els = [];
        if (end == "else")
        {
            ExpectBlockEnd("else");
            els = ParseUntil("for", tag, out _, "endfor");
        }
        ExpectBlockEnd("endfor");
        return new ForNode(target, iter, body, els, filter, tag.Line, tag.Column);
    }

    private Node ParseSet(Token tag)
    {
        var target = ParseAssignTarget(allowAttr: true);
        if (Cur.IsOp("="))
        {
            Next();
            var value = ParseTuple(false);
            ExpectBlockEnd("set");
            return new SetNode(target, value, tag.Line, tag.Column);
        }
        var filters = Cur.IsOp("|") ? ParseFilterChain() : [];
        ExpectBlockEnd("set");
        var body = ParseUntil("set", tag, out _, "endset");
        ExpectBlockEnd("endset");
        return new SetBlockNode(target, body, filters, tag.Line, tag.Column);
    }

    private List<FilterCall> ParseFilterChain()
    {
        var list = new List<FilterCall>();
        if (Cur.IsOp("|")) Next();
        list.Add(ParseFilterCall());
        while (Cur.IsOp("|"))
        {
            Next();
            list.Add(ParseFilterCall());
        }
        return list;
    }

    private FilterCall ParseFilterCall()
    {
        var nameTok = Expect(TokenKind.Name);
        var name = nameTok.Value;
        while (Cur.IsOp("."))
        {
            Next();
            name += "." + Expect(TokenKind.Name).Value;
        }
        List<Expr> args = [];
        List<(string, Expr)> kwargs = [];
        if (Cur.IsOp("("))
        {
            var call = ParseCallArgs(new ConstExpr(null, nameTok.Line, nameTok.Column));
            if (call.StarArgs is not null || call.StarKwargs is not null) throw Error("*args and **kwargs are not supported in filter calls", nameTok);
            args = call.Args;
            kwargs = call.Kwargs;
        }
        return new FilterCall(name, args, kwargs, nameTok.Line, nameTok.Column);
    }

    private (List<string> Args, List<Expr?> Defaults) ParseSignature()
    {
        var names = new List<string>();
        var defaults = new List<Expr?>();
        Expect(TokenKind.Operator, "(");
        while (!Cur.IsOp(")"))
        {
            if (names.Count > 0) Expect(TokenKind.Operator, ",");
            if (Cur.IsOp(")")) break;
            names.Add(Expect(TokenKind.Name).Value);
            if (Cur.IsOp("="))
            {
                Next();
                defaults.Add(ParseExpression());
            }
            else
            {
                if (defaults.Any(d => d is not null)) throw Error("a parameter without a default follows one with a default", Cur);
                defaults.Add(null);
            }
        }
        Next();
        return (names, defaults);
    }

    private Node ParseMacro(Token tag)
    {
        var name = Expect(TokenKind.Name).Value;
        var (args, defaults) = ParseSignature();
        ExpectBlockEnd("macro");
        var body = ParseUntil("macro", tag, out _, "endmacro");
        if (Cur.Kind == TokenKind.Name && Cur.Value == name) Next();
        ExpectBlockEnd("endmacro");
        return new MacroNode(name, args, defaults, body, tag.Line, tag.Column);
    }

    private Node ParseCall(Token tag)
    {
        List<string> args = [];
        List<Expr?> defaults = [];
        if (Cur.IsOp("(")) (args, defaults) = ParseSignature();
        var expr = ParseExpression();
        if (expr is not CallExpr call) throw Error("expected a macro call after 'call'", tag);
        ExpectBlockEnd("call");
        var body = ParseUntil("call", tag, out _, "endcall");
        ExpectBlockEnd("endcall");
        return new CallBlockNode(call, args, defaults, body, tag.Line, tag.Column);
    }

    private Expr ParseAssignTarget(bool allowAttr, string? extraEnd = null)
    {
        var items = new List<Expr>();
        var first = Cur;
        var paren = false;
        if (Cur.IsOp("("))
        {
            paren = true;
            Next();
        }
        while (true)
        {
            var n = Expect(TokenKind.Name);
            Expr target = new NameExpr(n.Value, n.Line, n.Column);
            if (allowAttr && Cur.IsOp("."))
            {
                Next();
                var attr = Expect(TokenKind.Name);
                target = new GetAttrExpr(target, attr.Value, attr.Line, attr.Column);
            }
            items.Add(target);
            if (!Cur.IsOp(",")) break;
            Next();
            if (Cur.IsOp(")") || Cur.IsOp("=") || (extraEnd is not null && Cur.IsName(extraEnd))) break;
        }
        if (paren) Expect(TokenKind.Operator, ")");
        return items.Count == 1 && !paren ? items[0] : new TupleExpr(items, first.Line, first.Column);
    }

    // ---- expressions ---------------------------------------------------------------------------

    private Expr ParseTuple(bool allowEmpty, bool noCondExpr = false, string? extraEnd = null)
    {
        var first = Cur;
        var items = new List<Expr>();
        var isTuple = false;
        while (true)
        {
            if (items.Count > 0) Expect(TokenKind.Operator, ",");
            if (IsTupleEnd(extraEnd)) break;
            items.Add(noCondExpr ? ParseOr() : ParseExpression());
            if (Cur.IsOp(",")) isTuple = true;
            else break;
        }
        if (!isTuple)
        {
            if (items.Count == 1) return items[0];
            if (!allowEmpty) throw Error($"expected an expression, found {Cur}", Cur);
        }
        return new TupleExpr(items, first.Line, first.Column);
    }

    private bool IsTupleEnd(string? extraEnd) =>
        Cur.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.Eof || Cur.IsOp(")") ||
        (extraEnd is not null && Cur.IsName(extraEnd)) || (Cur.IsName("if") && extraEnd == "recursive");

    private Expr ParseExpression()
    {
        if (++_depth > MaxNesting) throw Error("expression is nested too deeply", Cur);
        try
        {
            var start = Cur;
            var expr = ParseOr();
            while (Cur.IsName("if"))
            {
                Next();
                var test = ParseOr();
                Expr? els = null;
                if (Cur.IsName("else"))
                {
                    Next();
                    els = ParseExpression();
                }
                expr = new CondExpr(test, expr, els, start.Line, start.Column);
            }
            return expr;
        }
        finally { _depth--; }
    }

    /// <summary>operand (op operand)*, grouped to the left: one precedence level of binary operators.</summary>
    private Expr LeftAssociative(Func<Expr> operand, Func<Token, bool> isOperator)
    {
        var left = operand();
        while (isOperator(Cur))
        {
            var op = Next();
            left = new BinaryExpr(op.Value, left, operand(), op.Line, op.Column);
        }
        return left;
    }

    private Expr ParseOr() => LeftAssociative(ParseAnd, t => t.IsName("or"));

    private Expr ParseAnd() => LeftAssociative(ParseNot, t => t.IsName("and"));

    private Expr ParseNot()
    {
        if (Cur.IsName("not"))
        {
            var op = Next();
            if (++_depth > MaxNesting) throw Error("expression is nested too deeply", op);
            var operand = ParseNot();
            _depth--;
            return new UnaryExpr("not", operand, op.Line, op.Column);
        }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var start = Cur;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Cur.Kind == TokenKind.Operator && Cur.Value is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                var op = Next().Value;
                rest.Add((op, ParseMath1()));
            }
            else if (Cur.IsName("in"))
            {
                Next();
                rest.Add(("in", ParseMath1()));
            }
            else if (Cur.IsName("not") && Peek().IsName("in"))
            {
                Next();
                Next();
                rest.Add(("notin", ParseMath1()));
            }
            else break;
        }
        return rest.Count == 0 ? first : new CompareExpr(first, rest, start.Line, start.Column);
    }

    private Expr ParseMath1() => LeftAssociative(ParseConcat, t => t.Kind == TokenKind.Operator && t.Value is "+" or "-");

    private Expr ParseConcat() => LeftAssociative(ParseMath2, t => t.IsOp("~"));

    private Expr ParseMath2() => LeftAssociative(ParsePow, t => t.Kind == TokenKind.Operator && t.Value is "*" or "/" or "//" or "%");

    private Expr ParsePow() => LeftAssociative(() => ParseUnary(true), t => t.IsOp("**"));

    private Expr ParseUnary(bool withFilter)
    {
        Expr node;
        var c = Cur;
        if (c.IsOp("-") || c.IsOp("+"))
        {
            Next();
            if (++_depth > MaxNesting) throw Error("expression is nested too deeply", c);
            node = new UnaryExpr(c.Value, ParseUnary(false), c.Line, c.Column);
            _depth--;
        }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        if (withFilter) node = ParseFilterExpr(node);
        return node;
    }

    private Expr ParsePrimary()
    {
        var c = Cur;
        switch (c.Kind)
        {
            case TokenKind.Name:
                Next();
                return c.Value switch
                {
                    "true" or "True" => new ConstExpr(true, c.Line, c.Column),
                    "false" or "False" => new ConstExpr(false, c.Line, c.Column),
                    "none" or "None" => new ConstExpr(null, c.Line, c.Column),
                    _ => new NameExpr(c.Value, c.Line, c.Column),
                };
            case TokenKind.String:
            {
                Next();
                var s = (string)c.Literal!;
                while (Cur.Kind == TokenKind.String) s += (string)Next().Literal!;
                return new ConstExpr(s, c.Line, c.Column);
            }
            case TokenKind.Integer:
            case TokenKind.Float:
                Next();
                return new ConstExpr(c.Literal, c.Line, c.Column);
            case TokenKind.Operator when c.Value == "(":
            {
                Next();
                if (++_depth > MaxNesting) throw Error("expression is nested too deeply", c);
                var e = ParseTuple(allowEmpty: true);
                _depth--;
                Expect(TokenKind.Operator, ")");
                return e;
            }
            case TokenKind.Operator when c.Value == "[":
            {
                Next();
                var items = new List<Expr>();
                while (!Cur.IsOp("]"))
                {
                    if (items.Count > 0) Expect(TokenKind.Operator, ",");
                    if (Cur.IsOp("]")) break;
                    items.Add(ParseExpression());
                }
                Next();
                return new ListExpr(items, c.Line, c.Column);
            }
            case TokenKind.Operator when c.Value == "{":
            {
                Next();
                var items = new List<(Expr, Expr)>();
                while (!Cur.IsOp("}"))
                {
                    if (items.Count > 0) Expect(TokenKind.Operator, ",");
                    if (Cur.IsOp("}")) break;
                    var k = ParseExpression();
                    Expect(TokenKind.Operator, ":");
                    items.Add((k, ParseExpression()));
                }
                Next();
                return new DictExpr(items, c.Line, c.Column);
            }
            default:
                throw Error($"expected an expression, found {c}", c);
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var c = Cur;
            if (c.IsOp("."))
            {
                Next();
                var a = Next();
                if (a.Kind == TokenKind.Name) node = new GetAttrExpr(node, a.Value, a.Line, a.Column);
                else if (a.Kind == TokenKind.Integer) node = new GetItemExpr(node, new ConstExpr(a.Literal, a.Line, a.Column), a.Line, a.Column);
                else throw Error($"expected an attribute name after '.', found {a}", a);
            }
            else if (c.IsOp("["))
            {
                Next();
                var args = new List<Expr>();
                while (!Cur.IsOp("]"))
                {
                    if (args.Count > 0) Expect(TokenKind.Operator, ",");
                    if (Cur.IsOp("]")) break;
                    args.Add(ParseSubscribed());
                }
                Next();
                if (args.Count == 0) throw Error("expected a subscript", c);
                var index = args.Count == 1 ? args[0] : new TupleExpr(args, c.Line, c.Column);
                node = new GetItemExpr(node, index, c.Line, c.Column);
            }
            else if (c.IsOp("(")) node = ParseCallArgs(node);
            else return node;
        }
    }

    private Expr ParseSubscribed()
    {
        var c = Cur;
        Expr? start = null;
        if (!Cur.IsOp(":"))
        {
            start = ParseExpression();
            if (!Cur.IsOp(":")) return start;
        }
        Next();
        Expr? stop = null, step = null;
        if (!Cur.IsOp("]") && !Cur.IsOp(",") && !Cur.IsOp(":")) stop = ParseExpression();
        if (Cur.IsOp(":"))
        {
            Next();
            if (!Cur.IsOp("]") && !Cur.IsOp(",")) step = ParseExpression();
        }
        return new SliceExpr(start, stop, step, c.Line, c.Column);
    }

    private CallExpr ParseCallArgs(Expr callee)
    {
        var open = Expect(TokenKind.Operator, "(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        Expr? star = null, starstar = null;
        var first = true;
        while (!Cur.IsOp(")"))
        {
            if (!first) Expect(TokenKind.Operator, ",");
            first = false;
            if (Cur.IsOp(")")) break;
            if (Cur.IsOp("*"))
            {
                Next();
                star = ParseExpression();
            }
            else if (Cur.IsOp("**"))
            {
                Next();
                starstar = ParseExpression();
            }
            else if (Cur.Kind == TokenKind.Name && Peek().IsOp("="))
            {
                var key = Next().Value;
                Next();
                kwargs.Add((key, ParseExpression()));
            }
            else
            {
                if (kwargs.Count > 0) throw Error("a positional argument follows a keyword argument", Cur);
                args.Add(ParseExpression());
            }
        }
        Next();
        return new CallExpr(callee, args, kwargs, star, starstar, open.Line, open.Column);
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Cur.IsOp("|"))
            {
                var bar = Next();
                var f = ParseFilterCall();
                node = new FilterExpr(node, f, bar.Line, bar.Column);
            }
            else if (Cur.IsName("is"))
            {
                var isTok = Next();
                var negated = false;
                if (Cur.IsName("not"))
                {
                    Next();
                    negated = true;
                }
                var nameTok = Expect(TokenKind.Name);
                var name = nameTok.Value;
                while (Cur.IsOp("."))
                {
                    Next();
                    name += "." + Expect(TokenKind.Name).Value;
                }
                List<Expr> args = [];
                List<(string, Expr)> kwargs = [];
                if (Cur.IsOp("("))
                {
                    var call = ParseCallArgs(new ConstExpr(null, nameTok.Line, nameTok.Column));
                    args = call.Args;
                    kwargs = call.Kwargs;
                }
                else if ((Cur.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float || Cur.IsOp("[") || Cur.IsOp("{"))
                         && !Cur.IsName("else") && !Cur.IsName("or") && !Cur.IsName("and"))
                {
                    if (Cur.IsName("is")) throw Error("you cannot chain multiple tests with 'is'", Cur);
                    args = [ParsePostfix(ParsePrimary())];
                }
                node = new TestExpr(node, name, args, kwargs, negated, isTok.Line, isTok.Column);
            }
            else if (Cur.IsOp("(")) node = ParseCallArgs(node);
            else return node;
        }
    }
}
