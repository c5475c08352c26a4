using System.Text;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SftLab.Kernel.Engine;

/// <summary>One completion candidate.</summary>
/// <param name="Text">The text to insert.</param>
/// <param name="Kind">method, property, field, event, class, struct, interface, enum, namespace, local, parameter, keyword...</param>
/// <param name="Signature">A one-line description, e.g. "Tensor Tensor.Zeros(params long[] shape)".</param>
public sealed record CompletionItem(string Text, string Kind, string Signature);

/// <summary>Completions for a cursor position: the candidates and the span of text they replace.</summary>
/// <param name="Items">Candidates, sorted.</param>
/// <param name="Start">UTF-16 offset where the replaced text starts (the start of the identifier being typed).</param>
/// <param name="End">UTF-16 offset where it ends (the cursor).</param>
public sealed record CompletionResult(IReadOnlyList<CompletionItem> Items, int Start, int End);

/// <summary>
/// Completion and quick info from the script's semantic model (Roslyn's Features layer is not on the feed):
/// after a dot, the members of the expression's type (static members after a type name, with extension
/// methods for instances); elsewhere, every name in scope (variables of earlier cells, globals, types of the
/// imported namespaces) and C# keywords.
/// </summary>
internal static class CodeCompletion
{
    private static readonly string[] Keywords =
    [
        "abstract", "as", "async", "await", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class",
        "const", "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit",
        "extern", "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int",
        "interface", "internal", "is", "lock", "long", "nameof", "namespace", "new", "null", "object", "operator", "out",
        "override", "params", "private", "protected", "public", "readonly", "record", "ref", "return", "sbyte", "sealed",
        "short", "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try",
        "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "var", "virtual", "void", "volatile",
        "when", "where", "while", "yield",
    ];

    private static readonly SymbolDisplayFormat Signature = SymbolDisplayFormat.MinimallyQualifiedFormat
        .AddMemberOptions(SymbolDisplayMemberOptions.IncludeContainingType)
        .AddParameterOptions(SymbolDisplayParameterOptions.IncludeDefaultValue);

    public static CompletionResult Complete((SemanticModel Model, SyntaxTree Tree) compiled, string code, int cursor)
    {
        var (model, tree) = compiled;
        var start = cursor;
        while (start > 0 && (char.IsLetterOrDigit(code[start - 1]) || code[start - 1] == '_')) start--;
        var prefix = code[start..cursor];
        var root = tree.GetRoot();

        IEnumerable<ISymbol> symbols;
        var afterDot = start > 0 && code[start - 1] == '.';
        var memberAccess = false;
        if (afterDot)
        {
            memberAccess = true;
            var dot = root.FindToken(start - 1);
            symbols = MembersAfterDot(model, dot, start);
        }
        else
        {
            symbols = model.LookupSymbols(start);
        }

        var items = new Dictionary<string, CompletionItem>(StringComparer.Ordinal);
        foreach (var s in symbols)
        {
            if (!IsVisibleName(s)) continue;
            if (!s.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            var kind = KindOf(s);
            var item = new CompletionItem(s.Name, kind, SafeDisplay(s));
            items.TryAdd(s.Name, item);
        }
        if (!memberAccess)
            foreach (var k in Keywords)
                if (k.StartsWith(prefix, StringComparison.Ordinal)) items.TryAdd(k, new CompletionItem(k, "keyword", k));

        var sorted = items.Values
            .OrderBy(i => i.Text.StartsWith(prefix, StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(i => i.Text, StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new CompletionResult(sorted, start, cursor);
    }

    private static IEnumerable<ISymbol> MembersAfterDot(SemanticModel model, SyntaxToken dot, int position)
    {
        ExpressionSyntax? left = dot.Parent switch
        {
            MemberAccessExpressionSyntax m => m.Expression,
            QualifiedNameSyntax q => q.Left,
            _ => null,
        };
        if (dot.Parent is MemberBindingExpressionSyntax binding && binding.Parent is ConditionalAccessExpressionSyntax cond)
            left = cond.Expression;
        if (left is null) return [];

        var symbol = model.GetSymbolInfo(left).Symbol;
        if (symbol is INamespaceSymbol ns)
            return model.LookupNamespacesAndTypes(position, ns);
        var type = model.GetTypeInfo(left).Type;
        if (symbol is INamedTypeSymbol named && (type is null || left is not IdentifierNameSyntax || !HasValueNamed(model, left, named)))
            return model.LookupStaticMembers(position, named).Concat(named.GetTypeMembers());
        if (type is null or IErrorTypeSymbol) return [];
        if (type is INamedTypeSymbol { IsValueType: true } nullable && nullable.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T
            && dot.Parent is MemberBindingExpressionSyntax)
            type = nullable.TypeArguments[0];
        return model.LookupSymbols(position, type, includeReducedExtensionMethods: true).Where(s => !s.IsStatic || s is IMethodSymbol { MethodKind: MethodKind.ReducedExtension });
    }

    // `Color Color`: an identifier that names both a value and its type binds to the value first.
    private static bool HasValueNamed(SemanticModel model, ExpressionSyntax left, INamedTypeSymbol type) =>
        model.LookupSymbols(left.SpanStart, name: ((IdentifierNameSyntax)left).Identifier.ValueText)
            .Any(s => s is ILocalSymbol or IFieldSymbol or IPropertySymbol or IParameterSymbol);

    private static bool IsVisibleName(ISymbol s)
    {
        if (!s.CanBeReferencedByName || s.IsImplicitlyDeclared && s is not IFieldSymbol) return false;
        if (s.Name.Length == 0 || s.Name.StartsWith('<') || s.Name.Contains('#')) return false;
        if (s is IMethodSymbol { MethodKind: not (MethodKind.Ordinary or MethodKind.ReducedExtension or MethodKind.LocalFunction) }) return false;
        return true;
    }

    private static string KindOf(ISymbol s) => s switch
    {
        IMethodSymbol => "method",
        IPropertySymbol => "property",
        IFieldSymbol { ContainingType.TypeKind: TypeKind.Submission } => "variable",
        IFieldSymbol => "field",
        IEventSymbol => "event",
        ILocalSymbol => "variable",
        IParameterSymbol => "parameter",
        INamespaceSymbol => "namespace",
        INamedTypeSymbol t => t.TypeKind switch
        {
            TypeKind.Class => "class",
            TypeKind.Struct => "struct",
            TypeKind.Interface => "interface",
            TypeKind.Enum => "enum",
            TypeKind.Delegate => "delegate",
            _ => "type",
        },
        _ => s.Kind.ToString().ToLowerInvariant(),
    };

    private static string SafeDisplay(ISymbol s)
    {
        try
        {
            return s switch
            {
                IFieldSymbol { ContainingType.TypeKind: TypeKind.Submission } f => $"{f.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)} {f.Name}",
                _ => s.ToDisplayString(Signature),
            };
        }
        catch (Exception)
        {
            return s.Name;
        }
    }

    /// <summary>Plain-text quick info for the symbol under or just before the cursor.</summary>
    public static string? Inspect((SemanticModel Model, SyntaxTree Tree) compiled, string code, int cursor)
    {
        var (model, tree) = compiled;
        var root = tree.GetRoot();
        // Jupyter sends the cursor position; inspect the identifier it is in or just after.
        var pos = cursor;
        if (pos > 0 && (pos == code.Length || !(char.IsLetterOrDigit(code[pos]) || code[pos] == '_'))) pos--;
        var token = root.FindToken(Math.Max(pos, 0));
        if (token.Parent is null) return null;
        ISymbol? symbol = null;
        for (var node = token.Parent; node != null && symbol == null; node = node.Parent)
        {
            var info = model.GetSymbolInfo(node);
            symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault() ?? model.GetDeclaredSymbol(node);
            if (node is StatementSyntax or MemberDeclarationSyntax) break;
        }
        if (symbol is null) return null;
        var sb = new StringBuilder(SafeDisplay(symbol));
        if (symbol is INamedTypeSymbol or INamespaceSymbol) sb.Insert(0, KindOf(symbol) + " ");
        var overloads = symbol is IMethodSymbol m
            ? m.ContainingType.GetMembers(m.Name).OfType<IMethodSymbol>().Count() - 1
            : 0;
        if (overloads > 0) sb.Append($" (+ {overloads} overload{(overloads > 1 ? "s" : "")})");
        var doc = Documentation(symbol);
        if (doc.Length > 0) sb.Append("\n\n").Append(doc);
        return sb.ToString();
    }

    private static string Documentation(ISymbol symbol)
    {
        var xml = symbol.GetDocumentationCommentXml(expandIncludes: true);
        if (string.IsNullOrWhiteSpace(xml) && symbol is IMethodSymbol { ReducedFrom: { } r }) xml = r.GetDocumentationCommentXml();
        if (string.IsNullOrWhiteSpace(xml)) return "";
        try
        {
            var doc = XElement.Parse(xml);
            var sb = new StringBuilder();
            if (doc.Element("summary") is { } summary) sb.Append(Text(summary));
            foreach (var p in doc.Elements("param"))
                sb.Append($"\n  {p.Attribute("name")?.Value}: {Text(p)}");
            if (doc.Element("returns") is { } returns) sb.Append($"\nReturns: {Text(returns)}");
            return sb.ToString().Trim();
        }
        catch (System.Xml.XmlException)
        {
            return "";
        }
    }

    private static string Text(XElement e)
    {
        var sb = new StringBuilder();
        foreach (var node in e.Nodes())
        {
            switch (node)
            {
                case XText t:
                    sb.Append(t.Value);
                    break;
                case XElement { Name.LocalName: "see" or "seealso" } see:
                    var cref = see.Attribute("cref")?.Value ?? see.Attribute("langword")?.Value ?? see.Value;
                    sb.Append(cref.Length > 2 && cref[1] == ':' ? cref[2..].Split('.').Last() : cref);
                    break;
                case XElement { Name.LocalName: "paramref" or "typeparamref" } pr:
                    sb.Append(pr.Attribute("name")?.Value);
                    break;
                case XElement inner:
                    sb.Append(Text(inner));
                    break;
            }
        }
        return string.Join(' ', sb.ToString().Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }
}
