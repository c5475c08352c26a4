using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis.CSharp;
using SftLab.Kernel.Display;
using SftLab.Kernel.Engine;
using SftLab.Kernel.Protocol;
using SftLab.Kernel.Zmq;

namespace SftLab.Kernel;

/// <summary>
/// The SftLab C# Jupyter kernel: serves the Jupyter messaging protocol (5.3) over ZeroMQ for one
/// <see cref="ScriptEngine"/>. Shell requests (execute, complete, inspect, is_complete, kernel_info) are
/// handled in order on one thread; the control socket (interrupt, shutdown) has its own thread so it
/// answers while a cell runs; outputs and status go out on iopub; the heartbeat echoes pings.
/// Every message is signed and checked with HMAC-SHA256; a message with a wrong signature is logged
/// and dropped, never executed.
/// </summary>
public sealed class JupyterKernel : IDisposable
{
    /// <summary>The name of the kernel in kernel_info (implementation).</summary>
    public const string Implementation = "sftlab";

    private readonly ConnectionInfo _connection;
    private readonly ScriptEngine _engine;
    private readonly TextWriter _log;
    private readonly MessageCodec _codec;
    private readonly ZmqContext _context = new();
    private readonly ZmqSocket _shell, _control, _stdin, _iopub, _heartbeat;
    private readonly Lock _iopubLock = new();
    private readonly Lock _stdinLock = new();
    private readonly string _session = Guid.NewGuid().ToString("N");
    private readonly HashSet<string> _seenSignatures = [];
    private readonly Queue<string> _signatureOrder = new();
    private volatile bool _stopping;
    private string? _clientSession;
    private int _exitCode;

    /// <summary>Binds the five sockets named in <paramref name="connection"/>.</summary>
    public JupyterKernel(ConnectionInfo connection, ScriptEngine engine, TextWriter log)
    {
        _connection = connection;
        _engine = engine;
        _log = log;
        _codec = new MessageCodec(connection.Key);
        _shell = Bind(ZmqNative.Router, connection.ShellPort);
        _control = Bind(ZmqNative.Router, connection.ControlPort);
        _stdin = Bind(ZmqNative.Router, connection.StdinPort);
        _iopub = Bind(ZmqNative.Pub, connection.IOPubPort);
        _heartbeat = Bind(ZmqNative.Rep, connection.HBPort);
    }

    private ZmqSocket Bind(int type, int port)
    {
        var s = new ZmqSocket(_context, type);
        if (type == ZmqNative.Router) s.SetOption(ZmqNative.RouterHandover, 1);
        s.Bind(_connection.Endpoint(port));
        return s;
    }

    /// <summary>
    /// Serves requests until a shutdown_request arrives. Console output is routed to the running cell while
    /// it runs. Returns the process exit code (0).
    /// </summary>
    public int Run()
    {
        var originalOut = Console.Out;
        var originalErr = Console.Error;
        var originalIn = Console.In;
        Console.SetOut(new ConsoleRouter("stdout", originalOut));
        Console.SetError(new ConsoleRouter("stderr", originalErr));
        Console.SetIn(new ConsoleInput());
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
        {
            c.Cancel = true;
            _engine.Interrupt();
        });
        var threads = new[]
        {
            new Thread(HeartbeatLoop) { IsBackground = true, Name = "heartbeat" },
            new Thread(ControlLoop) { IsBackground = true, Name = "control" },
        };
        foreach (var t in threads) t.Start();
        WatchParentProcess();
        Publish("status", new JsonObject { ["execution_state"] = "starting" }, null);
        // Warm the compiler while the client connects, so the first cell does not pay for JIT alone.
        new Thread(_engine.WarmUp) { IsBackground = true, Name = "warm-up", Priority = ThreadPriority.BelowNormal }.Start();
        try
        {
            ShellLoop();
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalErr);
            Console.SetIn(originalIn);
        }
        return _exitCode;
    }

    /// <summary>
    /// Jupyter clients set JPY_PARENT_PID when they start a kernel; if that process goes away without a
    /// shutdown_request (it crashed or was killed), the kernel stops too instead of lingering.
    /// </summary>
    private void WatchParentProcess()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("JPY_PARENT_PID"), out var pid) || pid <= 1) return;
        Process parent;
        try
        {
            parent = Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return; // already gone or not visible: do not guess
        }
        new Thread(() =>
        {
            using (parent)
            {
                while (!_stopping)
                {
                    if (parent.WaitForExit(1000))
                    {
                        Log($"the client process {pid} exited; shutting down");
                        _stopping = true;
                        return;
                    }
                }
            }
        }) { IsBackground = true, Name = "parent watch" }.Start();
    }

    private void Log(string text) => _log.WriteLine($"[sftlab kernel] {text}");

    // ---- loops ----------------------------------------------------------------------------------

    private void HeartbeatLoop()
    {
        while (!_stopping)
        {
            var frames = _heartbeat.ReceiveMultipart();
            if (frames is null) return;
            try
            {
                _heartbeat.SendMultipart(frames);
            }
            catch (ZmqException) when (_stopping)
            {
                return;
            }
        }
    }

    private void ShellLoop()
    {
        while (!_stopping)
        {
            if (!_shell.Poll(200)) continue;
            var msg = Receive(_shell, "shell");
            if (msg is null) continue;
            HandleShell(msg);
        }
    }

    private void ControlLoop()
    {
        while (!_stopping)
        {
            if (!_control.Poll(200)) continue;
            var msg = Receive(_control, "control");
            if (msg is null) continue;
            try
            {
                WithStatus(msg, () =>
                {
                    switch (msg.MessageType)
                    {
                        case "interrupt_request":
                            _engine.Interrupt();
                            Reply(_control, msg, "interrupt_reply", new JsonObject { ["status"] = "ok" });
                            break;
                        case "shutdown_request":
                            Shutdown(_control, msg);
                            break;
                        case "kernel_info_request":
                            Reply(_control, msg, "kernel_info_reply", KernelInfo());
                            break;
                        default:
                            Log($"ignored control message {msg.MessageType}");
                            break;
                    }
                });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log($"error handling control {msg.MessageType}: {e}");
            }
        }
    }

    /// <summary>Receives one message; null (after logging) when it is malformed or its signature is wrong.</summary>
    private JupyterMessage? Receive(ZmqSocket socket, string channel)
    {
        var frames = socket.ReceiveMultipart();
        if (frames is null)
        {
            _stopping = true;
            return null;
        }
        try
        {
            var msg = _codec.Decode(frames);
            if (_codec.Signs && !RememberSignature(frames))
            {
                Log($"rejected a replayed {channel} message (its signature was seen before)");
                return null;
            }
            return msg;
        }
        catch (InvalidSignatureException e)
        {
            Log($"rejected a {channel} message: {e.Message} (the sender does not know the connection key); not executed");
            return null;
        }
        catch (FormatException e)
        {
            Log($"rejected a malformed {channel} message: {e.Message}");
            return null;
        }
    }

    private bool RememberSignature(List<byte[]> frames)
    {
        var d = frames.FindIndex(f => f.AsSpan().SequenceEqual("<IDS|MSG>"u8));
        var sig = Encoding.ASCII.GetString(frames[d + 1]);
        lock (_seenSignatures)
        {
            if (!_seenSignatures.Add(sig)) return false;
            _signatureOrder.Enqueue(sig);
            if (_signatureOrder.Count > 10_000) _seenSignatures.Remove(_signatureOrder.Dequeue());
        }
        return true;
    }

    // ---- shell ----------------------------------------------------------------------------------

    private void HandleShell(JupyterMessage msg)
    {
        try
        {
            WithStatus(msg, () =>
            {
                switch (msg.MessageType)
                {
                    case "kernel_info_request":
                        Reply(_shell, msg, "kernel_info_reply", KernelInfo());
                        break;
                    case "execute_request":
                        Execute(msg);
                        break;
                    case "complete_request":
                        Reply(_shell, msg, "complete_reply", Guarded(() => Complete(msg)));
                        break;
                    case "inspect_request":
                        Reply(_shell, msg, "inspect_reply", Guarded(() => Inspect(msg)));
                        break;
                    case "is_complete_request":
                        var (status, indent) = ScriptEngine.IsComplete((string?)msg.Content["code"] ?? "");
                        var content = new JsonObject { ["status"] = status };
                        if (status == "incomplete") content["indent"] = indent;
                        Reply(_shell, msg, "is_complete_reply", content);
                        break;
                    case "history_request":
                        Reply(_shell, msg, "history_reply", new JsonObject { ["status"] = "ok", ["history"] = new JsonArray() });
                        break;
                    case "comm_info_request":
                        Reply(_shell, msg, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() });
                        break;
                    case "comm_open":
                        // No comm targets: close it, as ipykernel does for unknown targets.
                        Publish("comm_close", new JsonObject { ["comm_id"] = (string?)msg.Content["comm_id"] ?? "", ["data"] = new JsonObject() }, msg);
                        break;
                    case "comm_msg" or "comm_close":
                        break;
                    case "shutdown_request":
                        Shutdown(_shell, msg);
                        break;
                    default:
                        Log($"ignored shell message {msg.MessageType}");
                        break;
                }
            });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log($"error handling {msg.MessageType}: {e}");
        }
    }

    /// <summary>The reply content, or an error content when building it failed (the client always gets an answer).</summary>
    private JsonObject Guarded(Func<JsonObject> build)
    {
        try
        {
            return build();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log($"request failed: {e}");
            return new JsonObject
            {
                ["status"] = "error",
                ["ename"] = e.GetType().Name,
                ["evalue"] = e.Message,
                ["traceback"] = new JsonArray(),
            };
        }
    }

    private void WithStatus(JupyterMessage parent, Action action)
    {
        Publish("status", new JsonObject { ["execution_state"] = "busy" }, parent);
        try
        {
            action();
        }
        finally
        {
            Publish("status", new JsonObject { ["execution_state"] = "idle" }, parent);
        }
    }

    private void Execute(JupyterMessage msg)
    {
        var code = (string?)msg.Content["code"] ?? "";
        // A new client session (a reopened page) has none of the scripts earlier outputs carried: the next figure
        // must bring plotly.js again.
        if (_clientSession != null && _clientSession != msg.Session) SftLab.Visualization.PlotlyJs.ResetNotebookSession();
        _clientSession = msg.Session;
        var silent = (bool?)msg.Content["silent"] ?? false;
        var storeHistory = !silent && ((bool?)msg.Content["store_history"] ?? true);
        var allowStdin = (bool?)msg.Content["allow_stdin"] ?? false;
        var stopOnError = (bool?)msg.Content["stop_on_error"] ?? true;
        if (!silent)
            Publish("execute_input", new JsonObject { ["code"] = code, ["execution_count"] = _engine.ExecutionCount + (storeHistory ? 1 : 0) }, msg);

        var sink = new Sink(this, msg, silent, allowStdin);
        CellResult result;
        try
        {
            result = _engine.ExecuteAsync(code, sink, storeHistory).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log($"execute failed: {e}");
            result = new CellResult
            {
                Status = CellStatus.Error,
                ExecutionCount = _engine.ExecutionCount,
                ErrorName = e.GetType().Name,
                ErrorValue = e.Message,
                Traceback = [$"the kernel failed to run the cell: {e.GetType().Name}: {e.Message}"],
            };
        }
        var count = result.ExecutionCount;
        JsonObject reply;
        if (result.Status == CellStatus.Ok)
        {
            if (result.HasValue && !silent)
            {
                var bundle = ValueFormatter.Format(result.Value);
                Publish("execute_result", new JsonObject
                {
                    ["execution_count"] = count,
                    ["data"] = ToJson(bundle.Data),
                    ["metadata"] = new JsonObject(),
                }, msg);
            }
            reply = new JsonObject
            {
                ["status"] = "ok",
                ["execution_count"] = count,
                ["payload"] = new JsonArray(),
                ["user_expressions"] = new JsonObject(),
            };
        }
        else
        {
            var traceback = new JsonArray([.. result.Traceback.Select(t => (JsonNode?)JsonValue.Create(t))]);
            if (!silent)
                Publish("error", new JsonObject
                {
                    ["ename"] = result.ErrorName,
                    ["evalue"] = result.ErrorValue,
                    ["traceback"] = traceback.DeepClone(),
                }, msg);
            reply = new JsonObject
            {
                ["status"] = "error",
                ["execution_count"] = count,
                ["ename"] = result.ErrorName,
                ["evalue"] = result.ErrorValue,
                ["traceback"] = traceback,
            };
        }
        Reply(_shell, msg, "execute_reply", reply);
        if (result.Status != CellStatus.Ok && stopOnError) AbortQueuedExecutes();
    }

    /// <summary>After a failed cell, execute requests already queued (Run All) are answered "aborted", as ipykernel does.</summary>
    private void AbortQueuedExecutes()
    {
        while (_shell.Poll(0))
        {
            var queued = Receive(_shell, "shell");
            if (queued is null) continue;
            if (queued.MessageType != "execute_request")
            {
                HandleShell(queued);
                continue;
            }
            WithStatus(queued, () => Reply(_shell, queued, "execute_reply", new JsonObject
            {
                ["status"] = "aborted",
                ["execution_count"] = _engine.ExecutionCount,
            }));
        }
    }

    private JsonObject Complete(JupyterMessage msg)
    {
        var code = (string?)msg.Content["code"] ?? "";
        var cursor = CodePoints.ToUtf16(code, (int?)msg.Content["cursor_pos"] ?? code.Length);
        var result = _engine.Complete(code, cursor);
        var matches = new JsonArray();
        var types = new JsonArray();
        var start = CodePoints.FromUtf16(code, result.Start);
        var end = CodePoints.FromUtf16(code, result.End);
        foreach (var item in result.Items)
        {
            matches.Add(item.Text);
            types.Add(new JsonObject { ["start"] = start, ["end"] = end, ["text"] = item.Text, ["type"] = item.Kind, ["signature"] = item.Signature });
        }
        return new JsonObject
        {
            ["status"] = "ok",
            ["matches"] = matches,
            ["cursor_start"] = start,
            ["cursor_end"] = end,
            ["metadata"] = new JsonObject { ["_jupyter_types_experimental"] = types },
        };
    }

    private JsonObject Inspect(JupyterMessage msg)
    {
        var code = (string?)msg.Content["code"] ?? "";
        var cursor = CodePoints.ToUtf16(code, (int?)msg.Content["cursor_pos"] ?? code.Length);
        var text = _engine.Inspect(code, cursor);
        return new JsonObject
        {
            ["status"] = "ok",
            ["found"] = text != null,
            ["data"] = text is null ? new JsonObject() : new JsonObject { ["text/plain"] = text },
            ["metadata"] = new JsonObject(),
        };
    }

    private void Shutdown(ZmqSocket socket, JupyterMessage msg)
    {
        var restart = (bool?)msg.Content["restart"] ?? false;
        var content = new JsonObject { ["status"] = "ok", ["restart"] = restart };
        Reply(socket, msg, "shutdown_reply", content);
        Publish("shutdown_reply", content.DeepClone().AsObject(), msg);
        Log(restart ? "shutting down for a restart" : "shutting down");
        _stopping = true;
        _exitCode = 0;
    }

    /// <summary>The content of kernel_info_reply.</summary>
    public static JsonObject KernelInfo() => new()
    {
        ["status"] = "ok",
        ["protocol_version"] = JupyterMessage.ProtocolVersion,
        ["implementation"] = Implementation,
        ["implementation_version"] = typeof(JupyterKernel).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
        ["language_info"] = new JsonObject
        {
            ["name"] = "C#",
            ["version"] = LanguageVersion.Latest.MapSpecifiedToEffectiveVersion().ToDisplayString(),
            ["mimetype"] = "text/x-csharp",
            ["file_extension"] = ".cs",
            ["pygments_lexer"] = "csharp",
            ["codemirror_mode"] = "text/x-csharp",
        },
        ["banner"] = $"SftLab C# kernel {typeof(JupyterKernel).Assembly.GetName().Version?.ToString(3)} (.NET {Environment.Version}, C# {LanguageVersion.Latest.MapSpecifiedToEffectiveVersion().ToDisplayString()})",
        ["debugger"] = false,
        ["help_links"] = new JsonArray
        {
            new JsonObject { ["text"] = "C# documentation", ["url"] = "https://learn.microsoft.com/dotnet/csharp/" },
        },
    };

    // ---- sending --------------------------------------------------------------------------------

    private void Reply(ZmqSocket socket, JupyterMessage request, string type, JsonObject content)
    {
        var reply = new JupyterMessage
        {
            Identities = request.Identities,
            Header = JupyterMessage.NewHeader(type, _session),
            ParentHeader = request.Header,
            Content = content,
        };
        var frames = _codec.Encode(reply);
        if (socket == _control)
        {
            lock (_control) socket.SendMultipart(frames);
        }
        else socket.SendMultipart(frames);
    }

    private void Publish(string type, JsonObject content, JupyterMessage? parent)
    {
        var msg = new JupyterMessage
        {
            Identities = [Encoding.UTF8.GetBytes($"kernel.{_session}.{type}")],
            Header = JupyterMessage.NewHeader(type, _session),
            ParentHeader = parent?.Header ?? new JsonObject(),
            Content = content,
        };
        var frames = _codec.Encode(msg);
        lock (_iopubLock)
        {
            try
            {
                _iopub.SendMultipart(frames);
            }
            catch (ZmqException e)
            {
                Log($"iopub send failed: {e.Message}");
            }
        }
    }

    private static JsonObject ToJson(Dictionary<string, string> data)
    {
        var o = new JsonObject();
        foreach (var (k, v) in data) o[k] = v;
        return o;
    }

    /// <summary>Outputs of one execute_request: iopub messages whose parent is that request.</summary>
    private sealed class Sink(JupyterKernel kernel, JupyterMessage request, bool silent, bool allowStdin) : IOutputSink
    {
        public void Stream(string name, string text)
        {
            if (silent) return;
            kernel.Publish("stream", new JsonObject { ["name"] = name, ["text"] = text }, request);
        }

        public void Display(MimeBundle bundle, string displayId, bool update)
        {
            if (silent) return;
            kernel.Publish(update ? "update_display_data" : "display_data", new JsonObject
            {
                ["data"] = ToJson(bundle.Data),
                ["metadata"] = new JsonObject(),
                ["transient"] = new JsonObject { ["display_id"] = displayId },
            }, request);
        }

        public string? RequestInput(string prompt, bool password)
        {
            if (!allowStdin) return null;
            lock (kernel._stdinLock)
            {
                var ask = new JupyterMessage
                {
                    Identities = request.Identities,
                    Header = JupyterMessage.NewHeader("input_request", kernel._session),
                    ParentHeader = request.Header,
                    Content = new JsonObject { ["prompt"] = prompt, ["password"] = password },
                };
                kernel._stdin.SendMultipart(kernel._codec.Encode(ask));
                while (!kernel._stopping)
                {
                    if (!kernel._stdin.Poll(200))
                    {
                        Interrupt.ThrowIfRequested();
                        continue;
                    }
                    var reply = kernel.Receive(kernel._stdin, "stdin");
                    if (reply?.MessageType == "input_reply") return (string?)reply.Content["value"] ?? "";
                }
                return null;
            }
        }
    }

    /// <summary>Closes the sockets and the ZeroMQ context.</summary>
    public void Dispose()
    {
        _stopping = true;
        _context.Shutdown();
        Thread.Sleep(50);
        foreach (var s in new[] { _shell, _control, _stdin, _iopub, _heartbeat }) s.Dispose();
        _context.Dispose();
    }
}

/// <summary>Jupyter counts cursor positions in Unicode code points; .NET strings index UTF-16 units.</summary>
internal static class CodePoints
{
    public static int ToUtf16(string s, int codePoints)
    {
        var i = 0;
        for (var cp = 0; cp < codePoints && i < s.Length; cp++)
            i += char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
        return i;
    }

    public static int FromUtf16(string s, int utf16)
    {
        var cp = 0;
        for (var i = 0; i < utf16 && i < s.Length; cp++)
            i += char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
        return cp;
    }
}
