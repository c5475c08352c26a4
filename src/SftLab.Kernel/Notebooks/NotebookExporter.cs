using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SftLab.Kernel.Engine;

namespace SftLab.Kernel.Notebooks;

/// <summary>
/// Converts a notebook into a C# file-based app (<c>dotnet run file.cs</c>), Microsoft's recommended path after
/// Polyglot Notebooks: markdown cells become comments, code cells become top-level statements in order,
/// <c>using</c> directives and type declarations move to where C# wants them, <c>#r "nuget: X, V"</c> becomes
/// <c>#:package X@V</c>, SftLab is referenced with <c>#:project</c>, and small shims of <c>display</c>,
/// <c>HTML</c>, <c>.Display()</c> and <c>Update</c> print outputs as text so the program runs unchanged.
/// </summary>
public static class NotebookExporter
{
    private static readonly CSharpParseOptions Script = new(LanguageVersion.Latest, DocumentationMode.None, SourceCodeKind.Script);

    /// <summary>
    /// The C# program for <paramref name="notebook"/>. <paramref name="sftLabProject"/> is the path of
    /// SftLab.csproj (or its folder) as the program should reference it, usually relative to the output file.
    /// <paramref name="warnings"/> receives what could not be carried over (a <c>#r</c> of a DLL, <c>#load</c>).
    /// </summary>
    public static string ToCSharp(NotebookDocument notebook, string sftLabProject, IList<string>? warnings = null, string? programFileName = null)
    {
        var usings = new List<string>();
        foreach (var ns in ScriptEngine.PreludeNamespaces)
            if (ns.StartsWith("System", StringComparison.Ordinal) || ns == "SftLab.Torch" || ns == "SftLab.Interactive"
                || PreludeNamespaceExists(ns))
                if (ns is not ("SftLab.Kernel.Display" or "Microsoft.DotNet.Interactive.Formatting"))
                    usings.Add($"using {ns};");
        var packages = new List<string>();
        var body = new StringBuilder();
        var types = new StringBuilder();
        var usesCancellation = false;

        foreach (var cell in notebook.Cells)
        {
            if (cell.CellType == "markdown")
            {
                body.AppendLine();
                foreach (var line in cell.Source.TrimEnd().Split('\n'))
                    body.Append("//").Append(line.Length > 0 ? " " : "").AppendLine(line.TrimEnd('\r'));
                continue;
            }
            if (cell.CellType != "code" || cell.Source.Trim().Length == 0) continue;
            var tags = cell.Tags.Count > 0 ? $" [{string.Join(", ", cell.Tags)}]" : "";
            body.AppendLine().AppendLine($"// ---- cell {cell.Index}{tags} ----");

            var tree = CSharpSyntaxTree.ParseText(cell.Source, Script);
            var root = tree.GetCompilationUnitRoot();
            foreach (var r in root.GetReferenceDirectives())
            {
                var reference = r.File.ValueText;
                if (NuGetRestorer.IsNuGetReference(reference))
                {
                    var (name, version) = NuGetRestorer.Parse(reference);
                    packages.Add(version is null ? $"#:package {name}@*" : $"#:package {name}@{version}");
                }
                else
                {
                    body.AppendLine($"// #r \"{reference}\": a file-based app cannot reference a DLL directly; reference its project or package instead.");
                    warnings?.Add($"cell {cell.Index}: #r \"{reference}\" was left as a comment (file-based apps reference packages and projects)");
                }
            }
            foreach (var l in root.GetLoadDirectives())
            {
                body.AppendLine($"// #load \"{l.File.ValueText}\": paste that script's code here (file-based apps have no #load).");
                warnings?.Add($"cell {cell.Index}: #load \"{l.File.ValueText}\" was left as a comment");
            }
            foreach (var u in root.Usings)
            {
                var text = u.WithoutTrivia().ToFullString();
                if (!usings.Contains(text)) usings.Add(text);
            }
            // `CancellationToken` as a value is the kernel's global; a local of that name (the "Color Color" rule keeps
            // the type usable) stands in for it.
            usesCancellation |= root.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == "CancellationToken");

            var members = root.Members;
            for (var i = 0; i < members.Count; i++)
            {
                var m = members[i];
                switch (m)
                {
                    case BaseTypeDeclarationSyntax or DelegateDeclarationSyntax or BaseNamespaceDeclarationSyntax:
                        types.AppendLine().AppendLine($"// from cell {cell.Index}").AppendLine(StripDirectives(m).Trim());
                        break;
                    case GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } expr } when i == members.Count - 1:
                        // The cell's value: a notebook shows it, the program displays it.
                        body.Append(Leading(m)).Append("display(").Append(expr.Expression.WithoutTrivia().ToFullString()).AppendLine(");");
                        break;
                    case MethodDeclarationSyntax method:
                        // A script-level method becomes a local function of the top-level program.
                        var local = method.WithModifiers(SyntaxFactory.TokenList(method.Modifiers.Where(t =>
                            t.IsKind(SyntaxKind.StaticKeyword) || t.IsKind(SyntaxKind.AsyncKeyword) || t.IsKind(SyntaxKind.UnsafeKeyword))));
                        body.AppendLine(StripDirectives(local).TrimEnd());
                        break;
                    default:
                        body.AppendLine(StripDirectives(m).TrimEnd());
                        break;
                }
            }
        }

        var sb = new StringBuilder();
        sb.AppendLine("#!/usr/bin/env -S dotnet run");
        sb.AppendLine($"// Exported from {Path.GetFileName(notebook.Path)} by `sftlab notebook export --to cs`.");
        sb.AppendLine($"// Run it with: dotnet run {programFileName ?? Path.GetFileNameWithoutExtension(notebook.Path) + ".cs"}");
        sb.AppendLine("// Outputs that a notebook renders (tables, charts) print here as text.");
        sb.AppendLine($"#:project {sftLabProject}");
        foreach (var p in packages.Distinct()) sb.AppendLine(p);
        // Cells are scripts: nullable annotations off, and a warning is not an error.
        sb.AppendLine("#:property Nullable=disable");
        // File-based apps default to native AOT publishing; a notebook program is run, not published.
        sb.AppendLine("#:property PublishAot=false");
        sb.AppendLine("#:property TreatWarningsAsErrors=false");
        sb.AppendLine("#:property NoWarn=$(NoWarn);CS0105;CS8933;CS1591");
        sb.AppendLine();
        foreach (var u in usings) sb.AppendLine(u);
        sb.AppendLine("using static NotebookShims;");
        if (usesCancellation)
            sb.AppendLine().AppendLine("CancellationToken CancellationToken = default; // the notebook kernel's interrupt token; Ctrl+C ends a program");
        sb.Append(body);
        sb.AppendLine();
        sb.AppendLine("// ---- types declared in the notebook ----");
        sb.Append(types);
        sb.AppendLine();
        sb.Append(Shims);
        return sb.ToString();
    }

    private static bool PreludeNamespaceExists(string ns) =>
        AssemblyNamespaces.Exists(ns, typeof(Torch.Tensor).Assembly);

    private static string Leading(SyntaxNode node)
    {
        var lead = node.GetLeadingTrivia().Where(t => !t.IsDirective && !t.IsKind(SyntaxKind.DisabledTextTrivia)).Select(t => t.ToFullString());
        return string.Concat(lead);
    }

    private static string StripDirectives(SyntaxNode node)
    {
        var sb = new StringBuilder();
        foreach (var token in node.DescendantTokens())
        {
            foreach (var t in token.LeadingTrivia)
                if (!t.IsDirective) sb.Append(t.ToFullString());
            sb.Append(token.Text);
            foreach (var t in token.TrailingTrivia)
                if (!t.IsDirective) sb.Append(t.ToFullString());
        }
        return sb.ToString();
    }

    private const string Shims = """
        // ---- notebook shims: display(), HTML(), .Display() and Update() print text ----
        static class NotebookShims
        {
            public static DisplayedOutput display(object value, params string[] mimeTypes)
            {
                var text = Describe(value);
                Console.WriteLine(text);
                return new DisplayedOutput(text);
            }

            public static DisplayedOutput Display(this object value, params string[] mimeTypes) => display(value, mimeTypes);

            public static HtmlText HTML(string html) => new(html);

            public static MarkdownText Markdown(string markdown) => new(markdown);

            internal static string Describe(object value) => value switch
            {
                null => "null",
                string s => s,
                HtmlText h => $"[HTML, {h.Html.Length} characters]",
                MarkdownText m => m.Text,
                SftLab.Interactive.IHtmlDisplay h => h.ToString() is { Length: < 200 } s && !s.Contains('\n') && s != h.GetType().ToString()
                    ? s
                    : $"[{h.GetType().Name}: a view that renders in a notebook]",
                System.Collections.IEnumerable e and not System.Collections.IDictionary =>
                    "[" + string.Join(", ", e.Cast<object>().Take(20).Select(Describe)) + (e.Cast<object>().Skip(20).Any() ? ", …" : "") + "]",
                _ => value.ToString(),
            };
        }

        // Update prints the new value when its text changed (a redrawn chart prints nothing new).
        sealed class DisplayedOutput(string shown)
        {
            public void Update(object value)
            {
                var text = NotebookShims.Describe(value);
                if (text != shown) Console.WriteLine(text);
                shown = text;
            }
        }

        sealed record HtmlText(string Html);

        sealed record MarkdownText(string Text);

        """;
}
