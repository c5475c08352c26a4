using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.Kernel.Protocol;

/// <summary>
/// The connection file a Jupyter client writes before it starts a kernel: where the five sockets
/// listen (transport, ip, ports) and the key that signs every message.
/// </summary>
public sealed record ConnectionInfo
{
    /// <summary>"tcp" (or "ipc").</summary>
    public string Transport { get; init; } = "tcp";

    /// <summary>The address to bind, usually 127.0.0.1.</summary>
    public string Ip { get; init; } = "127.0.0.1";

    /// <summary>Port of the shell socket (execute, complete, inspect... requests).</summary>
    public int ShellPort { get; init; }

    /// <summary>Port of the iopub socket (outputs and status broadcast to every client).</summary>
    public int IOPubPort { get; init; }

    /// <summary>Port of the stdin socket (the kernel asks the client for keyboard input).</summary>
    public int StdinPort { get; init; }

    /// <summary>Port of the control socket (interrupt and shutdown, served even while a cell runs).</summary>
    public int ControlPort { get; init; }

    /// <summary>Port of the heartbeat socket (echoes pings so the client knows the kernel is alive).</summary>
    public int HBPort { get; init; }

    /// <summary>The HMAC key; empty means messages are not signed.</summary>
    public string Key { get; init; } = "";

    /// <summary>The signature scheme, "hmac-sha256".</summary>
    public string SignatureScheme { get; init; } = "hmac-sha256";

    /// <summary>The ZeroMQ endpoint for a port, e.g. tcp://127.0.0.1:5555.</summary>
    public string Endpoint(int port) =>
        Transport == "ipc" ? $"ipc://{Ip}-{port}" : $"{Transport}://{Ip}:{port}";

    /// <summary>Reads a connection file; a missing or malformed field is an error naming the file and the field.</summary>
    public static ConnectionInfo Load(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"{path}: cannot read the connection file: {e.Message}", e);
        }
        if (root is not JsonObject o) throw new FormatException($"{path}: the connection file is not a JSON object");

        int Port(string name) =>
            o[name] is JsonValue v && v.TryGetValue<int>(out var p) && p is >= 0 and <= 65535
                ? p
                : throw new FormatException($"{path}: field \"{name}\" must be a port number (0-65535)");
        string Text(string name, string fallback) =>
            o[name] switch
            {
                null => fallback,
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                _ => throw new FormatException($"{path}: field \"{name}\" must be a string"),
            };

        var info = new ConnectionInfo
        {
            Transport = Text("transport", "tcp"),
            Ip = Text("ip", "127.0.0.1"),
            ShellPort = Port("shell_port"),
            IOPubPort = Port("iopub_port"),
            StdinPort = Port("stdin_port"),
            ControlPort = Port("control_port"),
            HBPort = Port("hb_port"),
            Key = Text("key", ""),
            SignatureScheme = Text("signature_scheme", "hmac-sha256"),
        };
        if (info.Key.Length > 0 && info.SignatureScheme != "hmac-sha256")
            throw new FormatException($"{path}: field \"signature_scheme\" is \"{info.SignatureScheme}\"; only hmac-sha256 is supported");
        if (info.Transport is not ("tcp" or "ipc"))
            throw new FormatException($"{path}: field \"transport\" is \"{info.Transport}\"; expected tcp or ipc");
        return info;
    }
}
