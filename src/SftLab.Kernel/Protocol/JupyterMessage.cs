using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace SftLab.Kernel.Protocol;

/// <summary>
/// One message of the Jupyter messaging protocol (version 5.3): a header, the header of the
/// request it answers, metadata and content (all JSON), plus the ZeroMQ routing identities.
/// </summary>
public sealed class JupyterMessage
{
    /// <summary>The protocol version this kernel speaks.</summary>
    public const string ProtocolVersion = "5.3";

    /// <summary>ROUTER identities of the client that sent the request (replies go back to them).</summary>
    public IReadOnlyList<byte[]> Identities { get; init; } = [];

    /// <summary>msg_id, session, username, date, msg_type, version.</summary>
    public JsonObject Header { get; init; } = new();

    /// <summary>The header of the message this one answers (empty for unsolicited messages).</summary>
    public JsonObject ParentHeader { get; init; } = new();

    /// <summary>Free-form metadata.</summary>
    public JsonObject Metadata { get; init; } = new();

    /// <summary>The message's content; its shape depends on <see cref="MessageType"/>.</summary>
    public JsonObject Content { get; init; } = new();

    /// <summary>Extra binary buffers (kept as received; this kernel sends none).</summary>
    public IReadOnlyList<byte[]> Buffers { get; init; } = [];

    /// <summary>header.msg_type, e.g. "execute_request".</summary>
    public string MessageType => (string?)Header["msg_type"] ?? "";

    /// <summary>header.msg_id.</summary>
    public string MessageId => (string?)Header["msg_id"] ?? "";

    /// <summary>header.session: the client's session id.</summary>
    public string Session => (string?)Header["session"] ?? "";

    /// <summary>A new header for a message of this type in the kernel's session.</summary>
    public static JsonObject NewHeader(string messageType, string session, string username = "kernel") => new()
    {
        ["msg_id"] = Guid.NewGuid().ToString("N"),
        ["session"] = session,
        ["username"] = username,
        ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"),
        ["msg_type"] = messageType,
        ["version"] = ProtocolVersion,
    };
}

/// <summary>
/// Encodes and decodes the wire format of Jupyter messages, signing each with HMAC-SHA256 over
/// header, parent header, metadata and content, and rejecting messages whose signature is wrong.
/// </summary>
public sealed class MessageCodec
{
    private static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();
    // HTML in outputs stays readable (no \u003C escapes); the JSON is still valid.
    private static readonly System.Text.Json.JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly byte[] _key;

    /// <summary>A codec for the connection file's key (an empty key disables signing, as the protocol allows).</summary>
    public MessageCodec(string key) => _key = Encoding.UTF8.GetBytes(key);

    /// <summary>True when messages are signed (the key is not empty).</summary>
    public bool Signs => _key.Length > 0;

    /// <summary>The hex HMAC-SHA256 of the four JSON parts.</summary>
    public string Sign(ReadOnlySpan<byte> header, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> content)
    {
        if (_key.Length == 0) return "";
        using var h = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        h.AppendData(header);
        h.AppendData(parent);
        h.AppendData(metadata);
        h.AppendData(content);
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    /// <summary>The frames of a message, ready to send (identities first; for iopub the topic).</summary>
    public List<byte[]> Encode(JupyterMessage message)
    {
        var header = Encoding.UTF8.GetBytes(message.Header.ToJsonString(Json));
        var parent = Encoding.UTF8.GetBytes(message.ParentHeader.ToJsonString(Json));
        var metadata = Encoding.UTF8.GetBytes(message.Metadata.ToJsonString(Json));
        var content = Encoding.UTF8.GetBytes(message.Content.ToJsonString(Json));
        var frames = new List<byte[]>(message.Identities.Count + 6 + message.Buffers.Count);
        frames.AddRange(message.Identities);
        frames.Add(Delimiter);
        frames.Add(Encoding.ASCII.GetBytes(Sign(header, parent, metadata, content)));
        frames.Add(header);
        frames.Add(parent);
        frames.Add(metadata);
        frames.Add(content);
        frames.AddRange(message.Buffers);
        return frames;
    }

    /// <summary>
    /// Decodes received frames. Throws <see cref="InvalidSignatureException"/> when the signature does not
    /// match (the message must then be dropped unexecuted) and <see cref="FormatException"/> for malformed frames.
    /// </summary>
    public JupyterMessage Decode(IReadOnlyList<byte[]> frames)
    {
        var d = -1;
        for (var i = 0; i < frames.Count; i++)
            if (frames[i].AsSpan().SequenceEqual(Delimiter)) { d = i; break; }
        if (d < 0) throw new FormatException("message has no <IDS|MSG> delimiter frame");
        if (frames.Count < d + 6) throw new FormatException($"message has {frames.Count - d - 1} frames after the delimiter; expected at least 5");
        var signature = Encoding.ASCII.GetString(frames[d + 1]);
        if (_key.Length > 0)
        {
            var expected = Sign(frames[d + 2], frames[d + 3], frames[d + 4], frames[d + 5]);
            if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
                throw new InvalidSignatureException(signature);
        }
        return new JupyterMessage
        {
            Identities = frames.Take(d).ToList(),
            Header = ParseObject(frames[d + 2], "header"),
            ParentHeader = ParseObject(frames[d + 3], "parent_header"),
            Metadata = ParseObject(frames[d + 4], "metadata"),
            Content = ParseObject(frames[d + 5], "content"),
            Buffers = frames.Skip(d + 6).ToList(),
        };
    }

    private static JsonObject ParseObject(byte[] bytes, string part)
    {
        try
        {
            return JsonNode.Parse(bytes) as JsonObject ?? new JsonObject();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new FormatException($"message {part} is not valid JSON: {e.Message}", e);
        }
    }
}

/// <summary>A received message whose HMAC signature does not match the connection key.</summary>
public sealed class InvalidSignatureException(string signature)
    : Exception($"invalid message signature '{(signature.Length > 16 ? signature[..16] + "…" : signature)}'")
{
}
