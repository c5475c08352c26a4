using System.Diagnostics;

namespace SftLab.ChatTemplates;

internal sealed class Frame(Frame? parent)
{
    public readonly Dictionary<string, object?> Vars = new(StringComparer.Ordinal);
    public Frame? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var f = this; f is not null; f = f.Parent)
            if (f.Vars.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }
}

/// <summary>A macro defined with {% macro %} (or the body of a {% call %} block, as <c>caller</c>).</summary>
internal sealed class Macro(string name, List<string> args, List<Expr?> defaults, List<Node> body, Frame closure, Macro? caller = null) : ICallable
{
    public string Name { get; } = name;
    public string Describe => $"<Macro '{Name}'>";

    public object? Call(Interpreter interp, List<object?> positional, List<KeyValuePair<string, object?>> kwargs, Node at)
    {
        interp.Enter(at);
        try
        {
            var frame = new Frame(closure);
            var extra = new List<object?>();
            for (var i = 0; i < positional.Count; i++)
            {
                if (i < args.Count) frame.Vars[args[i]] = positional[i];
                else extra.Add(positional[i]);
            }
            var extraKw = new PyDict();
            foreach (var (k, v) in kwargs)
            {
                var idx = args.IndexOf(k);
                if (idx >= 0)
                {
                    if (idx < positional.Count) throw interp.Error($"macro '{Name}' got multiple values for argument '{k}'", at);
                    frame.Vars[k] = v;
                }
                else if (k == "caller" && caller is null) frame.Vars["caller"] = v;
                else extraKw[k] = v;
            }
            for (var i = 0; i < args.Count; i++)
            {
                if (frame.Vars.ContainsKey(args[i])) continue;
                frame.Vars[args[i]] = defaults[i] is { } d ? interp.Eval(d, frame) : new Undefined($"parameter '{args[i]}' was not provided");
            }
            frame.Vars["varargs"] = new PyTuple(extra.ToArray());
            frame.Vars["kwargs"] = extraKw;
            if (caller is not null) frame.Vars["caller"] = caller;
            return interp.Capture(body, frame);
        }
        finally
        {
            interp.Leave();
        }
    }
}

internal sealed class LoopControl(bool isBreak) : Exception
{
    public bool IsBreak { get; } = isBreak;
}

/// <summary>Walks the tree of a template and writes its output: Jinja's semantics, inside the sandbox's limits.</summary>
internal sealed partial class Interpreter
{
    private readonly string? _name;
    private readonly RenderLimits _limits;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _iterations;
    private int _depth;
    private int _generation;
    private OutputBuffer _out;
    public bool Tracking { get; }

    public Interpreter(string? name, RenderLimits limits, bool tracking)
    {
        _name = name;
        _limits = limits;
        Tracking = tracking;
        _out = new OutputBuffer(tracking);
    }

    public RenderLimits Limits => _limits;
    public OutputBuffer Output => _out;

    public TemplateRuntimeException Error(string message, Node at) => new(message, _name, at.Line, at.Column);

    public void Enter(Node at)
    {
        if (++_depth > _limits.MaxRecursionDepth)
            throw new TemplateLimitException($"recursion deeper than the limit of {_limits.MaxRecursionDepth} calls", _name, at.Line, at.Column);
        CheckTime(at);
    }

    public void Leave() => _depth--;

    private void CheckTime(Node at)
    {
        if (_clock.Elapsed > _limits.Timeout)
            throw new TemplateLimitException($"render took longer than the time limit of {_limits.Timeout.TotalSeconds:0.###} s", _name, at.Line, at.Column);
    }

    private void Tick(Node at)
    {
        if (++_iterations > _limits.MaxLoopIterations)
            throw new TemplateLimitException($"more loop iterations than the limit of {_limits.MaxLoopIterations}", _name, at.Line, at.Column);
        if ((_iterations & 255) == 0) CheckTime(at);
    }

    public void Run(List<Node> body, Frame frame)
    {
        try
        {
            Exec(body, frame);
        }
        catch (LoopControl lc)
        {
            throw new TemplateRuntimeException($"'{(lc.IsBreak ? "break" : "continue")}' outside of a loop", _name);
        }
    }

    /// <summary>Renders <paramref name="body"/> into a fresh buffer and returns the text (tagged when tracking).</summary>
    public object Capture(List<Node> body, Frame frame)
    {
        var saved = _out;
        _out = new OutputBuffer(Tracking);
        try
        {
            Exec(body, frame);
            return _out.ToValue();
        }
        finally
        {
            _out = saved;
        }
    }

    private void Write(object? value, Node at)
    {
        var gen = _generation > 0 ? OutputBuffer.GenerationBit : 0;
        if (value is TaggedString ts) _out.Write(ts, gen);
        else _out.Write(PyOps.Str(value), gen);
        if (_out.Length > _limits.MaxOutputLength)
            throw new TemplateLimitException($"output is longer than the limit of {_limits.MaxOutputLength} characters", _name, at.Line, at.Column);
    }

    private void Exec(List<Node> body, Frame frame)
    {
        foreach (var node in body) Exec(node, frame);
    }

    private void Exec(Node node, Frame frame)
    {
        switch (node)
        {
            case OutputText t:
                Write(t.Text, t);
                break;
            case OutputExpr o:
                Write(Eval(o.Value, frame), o);
                break;
            case IfNode n:
                Exec(PyOps.Truthy(Eval(n.Test, frame)) ? n.Body : n.Else, frame);
                break;
            case ForNode f:
                ExecFor(f, frame);
                break;
            case SetNode s:
                Assign(s.Target, Eval(s.Value, frame), frame, s);
                break;
            case SetBlockNode sb:
            {
                object? v = Capture(sb.Body, frame);
                foreach (var fc in sb.Filters) v = ApplyFilter(fc, v, frame);
                Assign(sb.Target, v, frame, sb);
                break;
            }
            case MacroNode m:
                frame.Vars[m.Name] = new Macro(m.Name, m.Args, m.Defaults, m.Body, frame);
                break;
            case CallBlockNode cb:
            {
                var caller = new Macro("caller", cb.Args, cb.Defaults, cb.Body, frame);
                var callee = Eval(cb.Call.Callee, frame);
                var (args, kwargs) = EvalArgs(cb.Call, frame);
                kwargs.Add(new("caller", caller));
                Write(Invoke(callee, args, kwargs, cb.Call), cb);
                break;
            }
            case FilterBlockNode fb:
            {
                object? v = Capture(fb.Body, frame);
                foreach (var fc in fb.Filters) v = ApplyFilter(fc, v, frame);
                Write(v, fb);
                break;
            }
            case GenerationNode g:
                _generation++;
                try { Exec(g.Body, frame); }
                finally { _generation--; }
                break;
            case BreakNode:
                throw new LoopControl(true);
            case ContinueNode:
                throw new LoopControl(false);
            case DoNode d:
                Eval(d.Value, frame);
                break;
            default:
                throw Error($"cannot execute {node.GetType().Name}", node);
        }
    }

    private void ExecFor(ForNode f, Frame frame)
    {
        var iterValue = Eval(f.Iter, frame);
        if (iterValue is Undefined u && u.UnsafeAccess) throw Error(u.Hint, f.Iter);
        List<object?> items;
        try { items = PyOps.Iterate(iterValue); }
        catch (TemplateRuntimeException e) when (e.Line == 0) { throw Error(e.Reason, f.Iter); }
        if (f.Filter is not null)
        {
            var kept = new List<object?>();
            foreach (var it in items)
            {
                Tick(f);
                var probe = new Frame(frame);
                Assign(f.Target, it, probe, f);
                if (PyOps.Truthy(Eval(f.Filter, probe))) kept.Add(it);
            }
            items = kept;
        }
        else items = [.. items];
        var outerLoop = frame.TryGet("loop", out var ol) && ol is LoopContext olc ? olc : null;
        var loop = new LoopContext(items, 1); // depth counts recursive loop levels; a plain nested loop is depth 1 in Jinja
        _ = outerLoop;
        for (var i = 0; i < items.Count; i++)
        {
            Tick(f);
            loop.Index0 = i;
            var body = new Frame(frame);
            body.Vars["loop"] = loop;
            Assign(f.Target, items[i], body, f);
            try
            {
                Exec(f.Body, body);
            }
            catch (LoopControl lc)
            {
                if (lc.IsBreak) break;
            }
        }
        if (items.Count == 0 && f.Else.Count > 0) Exec(f.Else, frame);
    }

    private void Assign(Expr target, object? value, Frame frame, Node at)
    {
        switch (target)
        {
            case NameExpr n:
                if (n.Name is "true" or "false" or "none" or "True" or "False" or "None" or "loop" && n.Name != "loop")
                    throw Error($"cannot assign to '{n.Name}'", at);
                frame.Vars[n.Name] = value;
                break;
            case GetAttrExpr ga:
            {
                var obj = Eval(ga.Target, frame);
                if (obj is not Namespace ns) throw Error("cannot assign attribute on non-namespace object", ga);
                ns.Attributes[ga.Attr] = value;
                break;
            }
            case TupleExpr t:
            {
                List<object?> items;
                try { items = PyOps.Iterate(value); }
                catch (TemplateRuntimeException e) when (e.Line == 0) { throw Error($"cannot unpack: {e.Reason}", at); }
                if (items.Count != t.Items.Count)
                    throw Error(items.Count > t.Items.Count ? $"too many values to unpack (expected {t.Items.Count})" : $"not enough values to unpack (expected {t.Items.Count}, got {items.Count})", at);
                for (var i = 0; i < items.Count; i++) Assign(t.Items[i], items[i], frame, at);
                break;
            }
            default:
                throw Error("cannot assign to this expression", at);
        }
    }

    // ---- expressions ----------------------------------------------------------------------------

    public object? Eval(Expr e, Frame frame)
    {
        try
        {
            return EvalCore(e, frame);
        }
        catch (TemplateException ex) when (ex.Line == 0 && ex is not TemplateLimitException)
        {
            throw new TemplateRuntimeException(ex.Reason, _name, e.Line, e.Column, ex);
        }
        catch (TemplateLimitException ex) when (ex.Line == 0)
        {
            throw new TemplateLimitException(ex.Reason, _name, e.Line, e.Column);
        }
    }

    private object? EvalCore(Expr e, Frame frame)
    {
        switch (e)
        {
            case ConstExpr c:
                return c.Value;
            case NameExpr n:
                if (frame.TryGet(n.Name, out var v)) return v;
                if (Globals.TryGetValue(n.Name, out var g)) return g;
                return new Undefined($"'{n.Name}' is undefined");
            case ListExpr l:
                return l.Items.Select(x => Eval(x, frame)).ToList();
            case TupleExpr t:
                return new PyTuple(t.Items.Select(x => Eval(x, frame)).ToArray());
            case DictExpr d:
            {
                var dict = new PyDict();
                foreach (var (k, val) in d.Items)
                {
                    var key = Eval(k, frame);
                    if (key is TaggedString ts) key = ts.Value;
                    if (key is List<object?> or PyDict or Undefined) throw Error($"unhashable type: '{PyOps.TypeName(key)}'", k);
                    dict[key!] = Eval(val, frame);
                }
                return dict;
            }
            case GetAttrExpr ga:
                return Access.GetAttr(Eval(ga.Target, frame), ga.Attr);
            case GetItemExpr gi:
            {
                var target = Eval(gi.Target, frame);
                if (gi.Index is SliceExpr sl)
                    return Access.Slice(target, EvalOptInt(sl.Start, frame), EvalOptInt(sl.Stop, frame), EvalOptInt(sl.Step, frame));
                return Access.GetItem(target, Eval(gi.Index, frame));
            }
            case SliceExpr:
                throw Error("a slice is only allowed inside [ ]", e);
            case CallExpr call:
            {
                var callee = Eval(call.Callee, frame);
                var (args, kwargs) = EvalArgs(call, frame);
                return Invoke(callee, args, kwargs, call);
            }
            case FilterExpr f:
                return ApplyFilter(f.Filter, Eval(f.Value, frame), frame);
            case TestExpr t:
            {
                var value = Eval(t.Value, frame);
                var args = t.Args.Select(a => Eval(a, frame)).ToList();
                var r = RunTest(t.Name, value, args, t);
                return t.Negated ? !r : r;
            }
            case UnaryExpr u:
            {
                var x = Eval(u.Operand, frame);
                switch (u.Op)
                {
                    case "not": return !PyOps.Truthy(x);
                    case "-":
                        return x switch
                        {
                            long l => (object)(-l),
                            double d => -d,
                            bool b => b ? -1L : 0L,
                            Undefined ud => throw Error(ud.Hint, u),
                            _ => throw Error($"bad operand type for unary -: '{PyOps.TypeName(x)}'", u),
                        };
                    default:
                        return x switch
                        {
                            long or double => x,
                            bool b => (object)(b ? 1L : 0L),
                            Undefined ud => throw Error(ud.Hint, u),
                            _ => throw Error($"bad operand type for unary +: '{PyOps.TypeName(x)}'", u),
                        };
                }
            }
            case BinaryExpr b:
            {
                if (b.Op == "and")
                {
                    var l = Eval(b.Left, frame);
                    return PyOps.Truthy(l) ? Eval(b.Right, frame) : l;
                }
                if (b.Op == "or")
                {
                    var l = Eval(b.Left, frame);
                    return PyOps.Truthy(l) ? l : Eval(b.Right, frame);
                }
                var left = Eval(b.Left, frame);
                var right = Eval(b.Right, frame);
                if (b.Op == "~")
                {
                    if (left is Undefined { UnsafeAccess: true } ul) throw Error(ul.Hint, b);
                    if (right is Undefined { UnsafeAccess: true } ur) throw Error(ur.Hint, b);
                    return Tags.Concat(Tags.AsStr(left), Tags.AsStr(right), _limits.MaxOutputLength);
                }
                return PyOps.Binary(b.Op, left, right, _limits.MaxOutputLength);
            }
            case CompareExpr c:
            {
                var left = Eval(c.First, frame);
                foreach (var (op, operandExpr) in c.Rest)
                {
                    var right = Eval(operandExpr, frame);
                    if (!PyOps.CompareOp(op, left, right)) return false;
                    left = right;
                }
                return true;
            }
            case CondExpr c:
                if (PyOps.Truthy(Eval(c.Test, frame))) return Eval(c.Then, frame);
                return c.Else is null ? new Undefined("the inline if expression had no else branch") : Eval(c.Else, frame);
            default:
                throw Error($"cannot evaluate {e.GetType().Name}", e);
        }
    }

    private long? EvalOptInt(Expr? e, Frame frame)
    {
        if (e is null) return null;
        var v = Eval(e, frame);
        if (v is null) return null;
        if (PyOps.IsInt(v)) return PyOps.ToLong(v);
        throw Error("slice indices must be integers or None", e);
    }

    private (List<object?> Args, List<KeyValuePair<string, object?>> Kwargs) EvalArgs(CallExpr call, Frame frame)
    {
        var args = call.Args.Select(a => Eval(a, frame)).ToList();
        var kwargs = call.Kwargs.Select(k => new KeyValuePair<string, object?>(k.Name, Eval(k.Value, frame))).ToList();
        if (call.StarArgs is not null) args.AddRange(PyOps.Iterate(Eval(call.StarArgs, frame)));
        if (call.StarKwargs is not null)
        {
            if (Eval(call.StarKwargs, frame) is not PyDict d) throw Error("argument after ** must be a mapping", call.StarKwargs);
            foreach (var kv in d) kwargs.Add(new(PyOps.Str(kv.Key), kv.Value));
        }
        return (args, kwargs);
    }

    public object? Invoke(object? callee, List<object?> args, List<KeyValuePair<string, object?>> kwargs, Node at)
    {
        switch (callee)
        {
            case ICallable c:
                try
                {
                    return c.Call(this, args, kwargs, at);
                }
                catch (TemplateException ex) when (ex.Line == 0)
                {
                    if (ex is TemplateLimitException) throw new TemplateLimitException(ex.Reason, _name, at.Line, at.Column);
                    throw new TemplateRuntimeException(ex.Reason, _name, at.Line, at.Column, ex);
                }
            case Undefined u:
                throw Error(u.Hint, at);
            default:
                throw Error($"'{PyOps.TypeName(callee)}' object is not callable", at);
        }
    }
}
