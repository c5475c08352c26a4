namespace SftLab.Tokenization;

/// <summary>
/// A tokenizer file (tokenizer.json, tokenizer_config.json or a .tiktoken ranks file) is malformed.
/// The message names the file and the JSON path (like <c>$.model.merges[12]</c>) or line that is wrong.
/// </summary>
public sealed class TokenizerFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="file">The file that was being read, or null for in-memory JSON.</param>
    /// <param name="path">The JSON path (<c>$.model.vocab</c>) or <c>line N</c> of the bad value.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public TokenizerFormatException(string? file, string path, string message, Exception? inner = null)
        : base($"{file ?? "tokenizer"}: {path}: {message}", inner)
    {
        File = file;
        JsonPath = path;
    }

    /// <summary>The file that was being read (null for JSON given as a string).</summary>
    public string? File { get; }

    /// <summary>Where in the file the problem is: a JSON path such as <c>$.model.merges[3]</c>, or <c>line 7</c>.</summary>
    public string JsonPath { get; }
}
