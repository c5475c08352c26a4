using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SftLab.Kernel.Engine;

/// <summary>
/// Rewrites a cell's syntax tree so it can be interrupted: the body of every loop (for, foreach,
/// while, do) starts with a call to <see cref="Interrupt.ThrowIfRequested"/>, and the body of every
/// method, local function, accessor and block lambda with <see cref="Interrupt.EnterMethod"/> (which also
/// turns runaway recursion into an exception instead of a dead kernel; expression-bodied methods become
/// blocks for that). The inserted code adds no line breaks, so line numbers in diagnostics and stack traces
/// still match the cell the user wrote.
/// </summary>
internal sealed class InterruptRewriter : CSharpSyntaxRewriter
{
    private static readonly StatementSyntax Check = SyntaxFactory.ParseStatement(
        "global::SftLab.Kernel.Interrupt.ThrowIfRequested();");

    private static readonly StatementSyntax Enter = SyntaxFactory.ParseStatement(
        "global::SftLab.Kernel.Interrupt.EnterMethod();");

    /// <summary>Returns the cell's code with interrupt checks, or the code unchanged if it does not parse cleanly.</summary>
    public static string Rewrite(string code, CSharpParseOptions options)
    {
        var tree = CSharpSyntaxTree.ParseText(code, options);
        if (tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error)) return code;
        var root = new InterruptRewriter().Visit(tree.GetRoot());
        return root.ToFullString();
    }

    private static BlockSyntax Guard(StatementSyntax body)
    {
        if (body is BlockSyntax block)
            return block.WithStatements(block.Statements.Insert(0, Check));
        // `while (x) stmt;` becomes `while (x) {check; stmt;}`: the trivia of stmt stays where it was.
        return SyntaxFactory.Block(Check, body.WithoutLeadingTrivia().WithoutTrailingTrivia())
            .WithLeadingTrivia(body.GetLeadingTrivia())
            .WithTrailingTrivia(body.GetTrailingTrivia());
    }

    private static BlockSyntax? Entered(BlockSyntax? body) =>
        body?.WithStatements(body.Statements.Insert(0, Enter));

    /// <summary>`=> expr;` as `{enter; return expr;}` (or `{enter; expr;}` when nothing is returned), on the same lines.</summary>
    private static BlockSyntax ArrowToBlock(ArrowExpressionClauseSyntax arrow, SyntaxToken semicolon, bool returnsValue)
    {
        var expr = arrow.Expression;
        StatementSyntax statement = expr is ThrowExpressionSyntax t
            ? SyntaxFactory.ThrowStatement(t.ThrowKeyword, t.Expression, SyntaxFactory.Token(SyntaxKind.SemicolonToken))
            : returnsValue
            ? SyntaxFactory.ReturnStatement(SyntaxFactory.Token(SyntaxKind.ReturnKeyword).WithTrailingTrivia(SyntaxFactory.Space), expr, SyntaxFactory.Token(SyntaxKind.SemicolonToken))
            : SyntaxFactory.ExpressionStatement(expr, SyntaxFactory.Token(SyntaxKind.SemicolonToken));
        return SyntaxFactory.Block(
                SyntaxFactory.Token(SyntaxKind.OpenBraceToken).WithLeadingTrivia(arrow.ArrowToken.LeadingTrivia).WithTrailingTrivia(arrow.ArrowToken.TrailingTrivia),
                SyntaxFactory.List([Enter, statement]),
                SyntaxFactory.Token(SyntaxKind.CloseBraceToken).WithTrailingTrivia(semicolon.TrailingTrivia));
    }

    /// <summary>Whether an expression body is returned: not for void, nor for async methods returning Task/ValueTask.</summary>
    private static bool ReturnsValue(TypeSyntax returnType, SyntaxTokenList modifiers)
    {
        if (returnType is PredefinedTypeSyntax p && p.Keyword.IsKind(SyntaxKind.VoidKeyword)) return false;
        if (modifiers.Any(SyntaxKind.AsyncKeyword))
        {
            var name = returnType is QualifiedNameSyntax q ? q.Right : returnType as SimpleNameSyntax;
            if (name is IdentifierNameSyntax { Identifier.ValueText: "Task" or "ValueTask" }) return false;
        }
        return true;
    }

    public override SyntaxNode? VisitWhileStatement(WhileStatementSyntax node)
    {
        var n = (WhileStatementSyntax)base.VisitWhileStatement(node)!;
        return n.WithStatement(Guard(n.Statement));
    }

    public override SyntaxNode? VisitDoStatement(DoStatementSyntax node)
    {
        var n = (DoStatementSyntax)base.VisitDoStatement(node)!;
        return n.WithStatement(Guard(n.Statement));
    }

    public override SyntaxNode? VisitForStatement(ForStatementSyntax node)
    {
        var n = (ForStatementSyntax)base.VisitForStatement(node)!;
        return n.WithStatement(Guard(n.Statement));
    }

    public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node)
    {
        var n = (ForEachStatementSyntax)base.VisitForEachStatement(node)!;
        return n.WithStatement(Guard(n.Statement));
    }

    public override SyntaxNode? VisitForEachVariableStatement(ForEachVariableStatementSyntax node)
    {
        var n = (ForEachVariableStatementSyntax)base.VisitForEachVariableStatement(node)!;
        return n.WithStatement(Guard(n.Statement));
    }

    public override SyntaxNode? VisitMethodDeclaration(MethodDeclarationSyntax node)
    {
        var n = (MethodDeclarationSyntax)base.VisitMethodDeclaration(node)!;
        if (n.Body != null) return n.WithBody(Entered(n.Body));
        if (n.ExpressionBody is { } arrow)
            return n.WithExpressionBody(null).WithSemicolonToken(default)
                .WithBody(ArrowToBlock(arrow, n.SemicolonToken, ReturnsValue(n.ReturnType, n.Modifiers)));
        return n;
    }

    public override SyntaxNode? VisitLocalFunctionStatement(LocalFunctionStatementSyntax node)
    {
        var n = (LocalFunctionStatementSyntax)base.VisitLocalFunctionStatement(node)!;
        if (n.Body != null) return n.WithBody(Entered(n.Body));
        if (n.ExpressionBody is { } arrow)
            return n.WithExpressionBody(null).WithSemicolonToken(default)
                .WithBody(ArrowToBlock(arrow, n.SemicolonToken, ReturnsValue(n.ReturnType, n.Modifiers)));
        return n;
    }

    public override SyntaxNode? VisitAccessorDeclaration(AccessorDeclarationSyntax node)
    {
        var n = (AccessorDeclarationSyntax)base.VisitAccessorDeclaration(node)!;
        return n.Body is null ? n : n.WithBody(Entered(n.Body));
    }

    public override SyntaxNode? VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node)
    {
        var n = (ParenthesizedLambdaExpressionSyntax)base.VisitParenthesizedLambdaExpression(node)!;
        return n.Block is null ? n : n.WithBlock(Entered(n.Block));
    }

    public override SyntaxNode? VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node)
    {
        var n = (SimpleLambdaExpressionSyntax)base.VisitSimpleLambdaExpression(node)!;
        return n.Block is null ? n : n.WithBlock(Entered(n.Block));
    }

    public override SyntaxNode? VisitAnonymousMethodExpression(AnonymousMethodExpressionSyntax node)
    {
        var n = (AnonymousMethodExpressionSyntax)base.VisitAnonymousMethodExpression(node)!;
        return n.WithBlock(Entered(n.Block)!);
    }
}
