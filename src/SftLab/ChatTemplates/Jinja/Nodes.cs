namespace SftLab.ChatTemplates;

internal abstract record Node(int Line, int Column);

// ---- statements ------------------------------------------------------------------------------
internal sealed record OutputText(string Text, int Line, int Column) : Node(Line, Column);
internal sealed record OutputExpr(Expr Value, int Line, int Column) : Node(Line, Column);
internal sealed record IfNode(Expr Test, List<Node> Body, List<Node> Else, int Line, int Column) : Node(Line, Column);
internal sealed record ForNode(Expr Target, Expr Iter, List<Node> Body, List<Node> Else, Expr? Filter, int Line, int Column) : Node(Line, Column);
internal sealed record SetNode(Expr Target, Expr Value, int Line, int Column) : Node(Line, Column);
internal sealed record SetBlockNode(Expr Target, List<Node> Body, List<FilterCall> Filters, int Line, int Column) : Node(Line, Column);
internal sealed record MacroNode(string Name, List<string> Args, List<Expr?> Defaults, List<Node> Body, int Line, int Column) : Node(Line, Column);
internal sealed record CallBlockNode(CallExpr Call, List<string> Args, List<Expr?> Defaults, List<Node> Body, int Line, int Column) : Node(Line, Column);
internal sealed record FilterBlockNode(List<FilterCall> Filters, List<Node> Body, int Line, int Column) : Node(Line, Column);
internal sealed record GenerationNode(List<Node> Body, int Line, int Column) : Node(Line, Column);
internal sealed record BreakNode(int Line, int Column) : Node(Line, Column);
internal sealed record ContinueNode(int Line, int Column) : Node(Line, Column);
internal sealed record DoNode(Expr Value, int Line, int Column) : Node(Line, Column);

// ---- expressions -----------------------------------------------------------------------------
internal abstract record Expr(int Line, int Column) : Node(Line, Column);
internal sealed record ConstExpr(object? Value, int Line, int Column) : Expr(Line, Column);
internal sealed record NameExpr(string Name, int Line, int Column) : Expr(Line, Column);
internal sealed record ListExpr(List<Expr> Items, int Line, int Column) : Expr(Line, Column);
internal sealed record TupleExpr(List<Expr> Items, int Line, int Column) : Expr(Line, Column);
internal sealed record DictExpr(List<(Expr Key, Expr Value)> Items, int Line, int Column) : Expr(Line, Column);
internal sealed record GetAttrExpr(Expr Target, string Attr, int Line, int Column) : Expr(Line, Column);
internal sealed record GetItemExpr(Expr Target, Expr Index, int Line, int Column) : Expr(Line, Column);
internal sealed record SliceExpr(Expr? Start, Expr? Stop, Expr? Step, int Line, int Column) : Expr(Line, Column);
internal sealed record CallExpr(Expr Callee, List<Expr> Args, List<(string Name, Expr Value)> Kwargs, Expr? StarArgs, Expr? StarKwargs, int Line, int Column) : Expr(Line, Column);
internal sealed record FilterCall(string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs, int Line, int Column);
internal sealed record FilterExpr(Expr Value, FilterCall Filter, int Line, int Column) : Expr(Line, Column);
internal sealed record TestExpr(Expr Value, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs, bool Negated, int Line, int Column) : Expr(Line, Column);
internal sealed record UnaryExpr(string Op, Expr Operand, int Line, int Column) : Expr(Line, Column);
internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);
internal sealed record CompareExpr(Expr First, List<(string Op, Expr Operand)> Rest, int Line, int Column) : Expr(Line, Column);
internal sealed record CondExpr(Expr Test, Expr Then, Expr? Else, int Line, int Column) : Expr(Line, Column);
