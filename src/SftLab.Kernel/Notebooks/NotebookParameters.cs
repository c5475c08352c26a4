using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SftLab.Kernel.Notebooks;

/// <summary>A variable declared in a notebook's parameters cell.</summary>
/// <param name="Name">The variable name.</param>
/// <param name="Type">The declared type as written ("int", "double", "string", "var"...).</param>
/// <param name="Initializer">The initializer expression as written, or null.</param>
public sealed record ParameterDeclaration(string Name, string Type, string? Initializer);

/// <summary>
/// Papermill-style parameters for C# notebooks: the cell tagged <c>parameters</c> declares variables with
/// defaults (<c>int steps = 200;</c>); <c>sftlab notebook run -p steps=20</c> inserts a cell tagged
/// <c>injected-parameters</c> right after it that assigns the overrides (<c>steps = 20;</c>), each value written
/// as a C# literal of the declared type.
/// </summary>
public static class NotebookParameters
{
    /// <summary>The tag of the cell that declares parameters.</summary>
    public const string ParametersTag = "parameters";

    /// <summary>The tag of the cell that <c>notebook run</c> inserts.</summary>
    public const string InjectedTag = "injected-parameters";

    private static readonly CSharpParseOptions Script = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    /// <summary>The variables a parameters cell declares (top-level declarations only).</summary>
    public static IReadOnlyList<ParameterDeclaration> Declarations(string source)
    {
        var root = CSharpSyntaxTree.ParseText(source, Script).GetCompilationUnitRoot();
        var result = new List<ParameterDeclaration>();
        foreach (var member in root.Members)
        {
            VariableDeclarationSyntax? decl = member switch
            {
                GlobalStatementSyntax { Statement: LocalDeclarationStatementSyntax l } => l.Declaration,
                FieldDeclarationSyntax f => f.Declaration,
                _ => null,
            };
            if (decl is null) continue;
            foreach (var v in decl.Variables)
                result.Add(new ParameterDeclaration(v.Identifier.ValueText, decl.Type.ToString(), v.Initializer?.Value.ToString()));
        }
        return result;
    }

    /// <summary>
    /// Parses "name=value" arguments. Throws <see cref="FormatException"/> naming the argument when one has no '='.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ParseArguments(IEnumerable<string> arguments)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var a in arguments)
        {
            var eq = a.IndexOf('=');
            if (eq <= 0) throw new FormatException($"-p {a}: expected name=value");
            var name = a[..eq].Trim();
            if (!SyntaxFacts.IsValidIdentifier(name)) throw new FormatException($"-p {a}: '{name}' is not a C# identifier");
            list.Add(new(name, a[(eq + 1)..]));
        }
        return list;
    }

    /// <summary>
    /// The C# code of the injected cell: one assignment per override, typed after the declaration in the
    /// parameters cell (or, without one, a <c>var</c> declaration with the type inferred from the value:
    /// int, long, double, bool, else string). Throws <see cref="FormatException"/> naming the parameter when a
    /// value does not fit its declared type or the name is not declared.
    /// </summary>
    public static string InjectedCode(IReadOnlyList<KeyValuePair<string, string>> overrides, IReadOnlyList<ParameterDeclaration>? declared, string notebookPath)
    {
        var sb = new StringBuilder("// Parameters injected by `sftlab notebook run`\n");
        foreach (var (name, value) in overrides)
        {
            if (declared is null)
            {
                sb.Append("var ").Append(name).Append(" = ").Append(InferLiteral(value)).Append(";\n");
                continue;
            }
            var d = declared.LastOrDefault(x => x.Name == name)
                    ?? throw new FormatException(
                        $"{notebookPath}: parameter '{name}' is not declared in the cell tagged \"parameters\" (declared: {(declared.Count == 0 ? "none" : string.Join(", ", declared.Select(x => x.Name)))})");
            sb.Append(name).Append(" = ").Append(Literal(d, value, notebookPath)).Append(";\n");
        }
        return sb.ToString();
    }

    private static string Literal(ParameterDeclaration d, string value, string path)
    {
        var type = d.Type.TrimEnd('?');
        if (type == "var") type = InferTypeOfInitializer(d.Initializer);
        string Fail(string what) => throw new FormatException($"{path}: parameter '{d.Name}' is declared {d.Type}; '{value}' is not {what}");
        switch (type)
        {
            case "string" or "String" or "System.String":
                return StringLiteral(value);
            case "bool" or "Boolean":
                return bool.TryParse(value.Trim(), out var b) ? (b ? "true" : "false") : Fail("true or false");
            case "int" or "Int32" or "short" or "byte" or "sbyte" or "ushort":
                return int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i.ToString(CultureInfo.InvariantCulture) : Fail("an integer");
            case "long" or "Int64" or "uint" or "ulong":
                return long.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l.ToString(CultureInfo.InvariantCulture) + "L" : Fail("an integer");
            case "double" or "Double":
                return double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var dbl) ? DoubleLiteral(dbl) : Fail("a number");
            case "float" or "Single":
                return float.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? f.ToString("R", CultureInfo.InvariantCulture) + "f" : Fail("a number");
            case "decimal" or "Decimal":
                return decimal.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var m) ? m.ToString(CultureInfo.InvariantCulture) + "m" : Fail("a number");
            case "char" or "Char":
                return value.Length == 1 ? SymbolDisplay.FormatLiteral(value[0], quote: true) : Fail("one character");
            default:
                // Any other type (an enum, Device...): the value is a C# expression, e.g. -p device=Device.Cpu.
                return value;
        }
    }

    private static string InferTypeOfInitializer(string? initializer)
    {
        if (initializer is null) return "string";
        var expr = SyntaxFactory.ParseExpression(initializer);
        if (expr is PrefixUnaryExpressionSyntax { OperatorToken.RawKind: (int)SyntaxKind.MinusToken } neg) expr = neg.Operand;
        if (expr is LiteralExpressionSyntax lit)
        {
            return lit.Token.Value switch
            {
                string => "string",
                bool => "bool",
                int => "int",
                long => "long",
                double => "double",
                float => "float",
                decimal => "decimal",
                char => "char",
                _ => "expression",
            };
        }
        return "expression";
    }

    /// <summary>A literal for a value with no declaration: int, long, double, bool, else a string.</summary>
    public static string InferLiteral(string value)
    {
        var v = value.Trim();
        if (int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)) return i.ToString(CultureInfo.InvariantCulture);
        if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return l.ToString(CultureInfo.InvariantCulture) + "L";
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsNaN(d) && !double.IsInfinity(d)) return DoubleLiteral(d);
        if (bool.TryParse(v, out var b)) return b ? "true" : "false";
        return StringLiteral(value);
    }

    private static string DoubleLiteral(double d)
    {
        if (double.IsNaN(d)) return "double.NaN";
        if (double.IsPositiveInfinity(d)) return "double.PositiveInfinity";
        if (double.IsNegativeInfinity(d)) return "double.NegativeInfinity";
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') ? s : s + ".0";
    }

    private static string StringLiteral(string value) => SymbolDisplay.FormatLiteral(value, quote: true);
}
