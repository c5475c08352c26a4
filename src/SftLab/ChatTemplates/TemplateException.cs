namespace SftLab.ChatTemplates;

/// <summary>
/// Base class of every error a chat template can raise: a syntax error found while parsing, an error
/// while rendering (an undefined value used wrongly, a bad filter argument), a <c>raise_exception</c>
/// call made by the template itself, or a sandbox limit hit. <see cref="Line"/> and <see cref="Column"/>
/// (1-based) point into the template source when known.
/// </summary>
public class TemplateException : Exception
{
    /// <summary>Creates the exception; the message is prefixed with the template name and position when known.</summary>
    public TemplateException(string message, string? templateName = null, int line = 0, int column = 0, Exception? inner = null)
        : base(Format(message, templateName, line, column), inner)
    {
        Reason = message;
        TemplateName = templateName;
        Line = line;
        Column = column;
    }

    /// <summary>The message without the position prefix.</summary>
    public string Reason { get; }

    /// <summary>The template's name (for example the tokenizer_config.json path), or null.</summary>
    public string? TemplateName { get; }

    /// <summary>1-based line in the template source, or 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>1-based column in the template source, or 0 when unknown.</summary>
    public int Column { get; }

    private static string Format(string message, string? name, int line, int column)
    {
        var where = name ?? "template";
        return line > 0 ? $"{where}:{line}:{column}: {message}" : $"{where}: {message}";
    }
}

/// <summary>The template source is not valid Jinja; <see cref="TemplateException.Line"/> and <see cref="TemplateException.Column"/> say where.</summary>
public sealed class TemplateSyntaxException : TemplateException
{
    /// <summary>Creates the exception.</summary>
    public TemplateSyntaxException(string message, string? templateName, int line, int column) : base(message, templateName, line, column) { }
}

/// <summary>Rendering failed: for example a method called on an undefined value, or a filter given a value it cannot take.</summary>
public class TemplateRuntimeException : TemplateException
{
    /// <summary>Creates the exception.</summary>
    public TemplateRuntimeException(string message, string? templateName = null, int line = 0, int column = 0, Exception? inner = null)
        : base(message, templateName, line, column, inner) { }
}

/// <summary>
/// The template called <c>raise_exception(message)</c>: chat templates do this to reject a conversation they
/// cannot format (for example "Conversation roles must alternate user/assistant/user/assistant/...").
/// <see cref="TemplateMessage"/> is the template's own text.
/// </summary>
public sealed class TemplateRaisedException : TemplateRuntimeException
{
    /// <summary>Creates the exception.</summary>
    public TemplateRaisedException(string templateMessage, string? templateName, int line, int column)
        : base($"the chat template rejected the input: {templateMessage}", templateName, line, column)
    {
        TemplateMessage = templateMessage;
    }

    /// <summary>The message the template passed to <c>raise_exception</c>.</summary>
    public string TemplateMessage { get; }
}

/// <summary>The sandbox stopped a render: too many loop iterations, too deep recursion, too much output, or the time limit (see <see cref="RenderLimits"/>).</summary>
public sealed class TemplateLimitException : TemplateRuntimeException
{
    /// <summary>Creates the exception.</summary>
    public TemplateLimitException(string message, string? templateName = null, int line = 0, int column = 0)
        : base(message, templateName, line, column) { }
}
