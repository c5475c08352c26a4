namespace SftLab.Kernel.Zmq;

/// <summary>An error reported by libzmq (a port in use, a terminated context...).</summary>
public sealed class ZmqException(string message, int errno) : Exception(message)
{
    /// <summary>libzmq's error number (zmq_errno).</summary>
    public int ErrorNumber { get; } = errno;
}

/// <summary>A ZeroMQ context: owns the I/O thread that every socket of the kernel shares.</summary>
internal sealed class ZmqContext : IDisposable
{
    private nint _handle;

    public ZmqContext()
    {
        try
        {
            _handle = ZmqNative.CtxNew();
        }
        catch (DllNotFoundException e)
        {
            throw new ZmqException(
                "libzmq.so.5 was not found: install Debian's libzmq5 (scripts/setup.sh does). " + e.Message, 0);
        }
        if (_handle == 0) throw new ZmqException("zmq_ctx_new failed: " + ZmqNative.LastError(out var errno), errno);
    }

    public nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(ZmqContext));

    /// <summary>The version of the loaded libzmq, e.g. "4.3.4".</summary>
    public static unsafe string LibraryVersion
    {
        get
        {
            int major, minor, patch;
            ZmqNative.Version(&major, &minor, &patch);
            return $"{major}.{minor}.{patch}";
        }
    }

    /// <summary>Makes blocking calls on every socket of this context return ETERM, so their threads can end.</summary>
    public void Shutdown()
    {
        if (_handle != 0) ZmqNative.CtxShutdown(_handle);
    }

    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, 0);
        if (h != 0) ZmqNative.CtxTerm(h);
    }
}

/// <summary>
/// One ZeroMQ socket. Like libzmq's sockets it is not thread-safe: use it from one thread at a time
/// (the kernel guards the shared iopub socket with a lock).
/// </summary>
internal sealed unsafe class ZmqSocket : IDisposable
{
    private nint _handle;

    public ZmqSocket(ZmqContext context, int type)
    {
        _handle = ZmqNative.Socket(context.Handle, type);
        if (_handle == 0) throw new ZmqException("zmq_socket failed: " + ZmqNative.LastError(out var errno), errno);
        SetOption(ZmqNative.Linger, 1000);
    }

    public nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(ZmqSocket));

    public void SetOption(int option, int value)
    {
        if (ZmqNative.SetSockOpt(Handle, option, &value, sizeof(int)) != 0)
            throw new ZmqException($"zmq_setsockopt({option}) failed: " + ZmqNative.LastError(out var errno), errno);
    }

    public void Bind(string endpoint)
    {
        if (ZmqNative.Bind(Handle, endpoint) != 0)
            throw new ZmqException($"cannot bind {endpoint}: " + ZmqNative.LastError(out var errno), errno);
    }

    public void Connect(string endpoint)
    {
        if (ZmqNative.Connect(Handle, endpoint) != 0)
            throw new ZmqException($"cannot connect to {endpoint}: " + ZmqNative.LastError(out var errno), errno);
    }

    /// <summary>Sends the frames as one multipart message.</summary>
    public void SendMultipart(IReadOnlyList<byte[]> frames)
    {
        for (var i = 0; i < frames.Count; i++)
        {
            var flags = i < frames.Count - 1 ? ZmqNative.SendMore : 0;
            var frame = frames[i];
            fixed (byte* p = frame)
            {
                while (ZmqNative.Send(Handle, p, (nuint)frame.Length, flags) < 0)
                {
                    var error = ZmqNative.LastError(out var errno);
                    if (errno == ZmqNative.EIntr) continue;
                    throw new ZmqException("zmq_send failed: " + error, errno);
                }
            }
        }
    }

    /// <summary>
    /// Receives one multipart message; blocks until one arrives. Returns null when the context was shut down.
    /// </summary>
    public List<byte[]>? ReceiveMultipart()
    {
        var frames = new List<byte[]>();
        while (true)
        {
            ZmqNative.Message msg;
            ZmqNative.MsgInit(&msg);
            try
            {
                int n;
                while ((n = ZmqNative.MsgRecv(&msg, Handle, 0)) < 0)
                {
                    var error = ZmqNative.LastError(out var errno);
                    if (errno == ZmqNative.EIntr) continue;
                    if (errno == ZmqNative.ETerm) return null;
                    throw new ZmqException("zmq_msg_recv failed: " + error, errno);
                }
                var size = (int)ZmqNative.MsgSize(&msg);
                frames.Add(new ReadOnlySpan<byte>(ZmqNative.MsgData(&msg), size).ToArray());
            }
            finally
            {
                ZmqNative.MsgClose(&msg);
            }
            int more = 0;
            nuint len = sizeof(int);
            ZmqNative.GetSockOpt(Handle, ZmqNative.RcvMore, &more, &len);
            if (more == 0) return frames;
        }
    }

    /// <summary>True when a message can be received now or within <paramref name="timeoutMs"/> ms (-1: forever).</summary>
    public bool Poll(long timeoutMs)
    {
        var item = new ZmqNative.PollItem { Socket = Handle, Events = ZmqNative.PollIn };
        var n = ZmqNative.Poll(&item, 1, timeoutMs);
        if (n < 0)
        {
            var error = ZmqNative.LastError(out var errno);
            if (errno == ZmqNative.EIntr) return false;
            if (errno == ZmqNative.ETerm) return false;
            throw new ZmqException("zmq_poll failed: " + error, errno);
        }
        return (item.REvents & ZmqNative.PollIn) != 0;
    }

    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, 0);
        if (h != 0) ZmqNative.Close(h);
    }
}
