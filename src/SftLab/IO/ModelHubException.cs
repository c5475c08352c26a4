namespace SftLab.IO;

/// <summary>
/// A download from the Hugging Face Hub failed. The message says what failed and what to do about it;
/// the properties say which repository, revision and file were involved. The more specific subclasses
/// are <see cref="HubAuthenticationException"/>, <see cref="HubNotFoundException"/>,
/// <see cref="HubOfflineException"/> and <see cref="HubIntegrityException"/>.
/// </summary>
public class ModelHubException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelHubException(string message, string repoId, string? revision = null, string? fileName = null,
        int? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        RepoId = repoId;
        Revision = revision;
        FileName = fileName;
        StatusCode = statusCode;
    }

    /// <summary>The repository, e.g. <c>HuggingFaceTB/SmolLM2-135M</c>.</summary>
    public string RepoId { get; }

    /// <summary>The branch, tag or commit asked for, when known.</summary>
    public string? Revision { get; }

    /// <summary>The file in the repository, when the failure concerns one file.</summary>
    public string? FileName { get; }

    /// <summary>The HTTP status code the server answered, when there was an answer.</summary>
    public int? StatusCode { get; }
}

/// <summary>
/// The Hub answered 401 or 403: the repository is private or gated (its owners ask users to accept
/// terms first), and no token or a token without access was sent. Accept the terms on the model's page,
/// then set <c>HF_TOKEN</c> to an access token.
/// </summary>
public sealed class HubAuthenticationException : ModelHubException
{
    /// <summary>Creates the exception.</summary>
    public HubAuthenticationException(string message, string repoId, string? revision, string? fileName, int statusCode, bool tokenSent)
        : base(message, repoId, revision, fileName, statusCode) => TokenSent = tokenSent;

    /// <summary>Whether the request carried an <c>Authorization: Bearer</c> token.</summary>
    public bool TokenSent { get; }
}

/// <summary>What a <see cref="HubNotFoundException"/> could not find.</summary>
public enum HubMissingKind
{
    /// <summary>The repository does not exist (or is private and the token does not grant access).</summary>
    Repository,

    /// <summary>The repository exists but the branch, tag or commit does not.</summary>
    Revision,

    /// <summary>The revision exists but the file does not.</summary>
    File,
}

/// <summary>The Hub answered 404: the repository, the revision or a file does not exist (<see cref="Missing"/> says which).</summary>
public sealed class HubNotFoundException : ModelHubException
{
    /// <summary>Creates the exception.</summary>
    public HubNotFoundException(string message, HubMissingKind missing, string repoId, string? revision, string? fileName)
        : base(message, repoId, revision, fileName, 404) => Missing = missing;

    /// <summary>Which of repository, revision or file is missing.</summary>
    public HubMissingKind Missing { get; }
}

/// <summary>
/// The files are not in the local cache and the Hub may not be asked: offline mode is on
/// (<c>HF_HUB_OFFLINE=1</c>) or the Hub cannot be reached.
/// </summary>
public sealed class HubOfflineException : ModelHubException
{
    /// <summary>Creates the exception.</summary>
    public HubOfflineException(string message, string repoId, string? revision, Exception? innerException = null)
        : base(message, repoId, revision, null, null, innerException)
    {
    }
}

/// <summary>
/// A downloaded file is not what the Hub said it would be: its size or its hash (sha256 for LFS files,
/// the git blob sha1 for small files) differs. Nothing of it is kept in the cache; downloading again
/// fetches it anew.
/// </summary>
public sealed class HubIntegrityException : ModelHubException
{
    /// <summary>Creates the exception.</summary>
    public HubIntegrityException(string message, string repoId, string? revision, string fileName)
        : base(message, repoId, revision, fileName)
    {
    }
}
