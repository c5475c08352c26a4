using System.Runtime.InteropServices;

namespace SftLab.Kernel.Zmq;

/// <summary>
/// P/Invoke declarations for the parts of libzmq (Debian's <c>libzmq5</c>, <c>libzmq.so.5</c>) that a
/// Jupyter kernel needs: contexts, ROUTER/PUB/REP sockets, multipart messages and polling.
/// </summary>
internal static unsafe partial class ZmqNative
{
    private const string Lib = "libzmq.so.5";

    public const int Pub = 1;
    public const int Rep = 4;
    public const int Dealer = 5;
    public const int Router = 6;

    public const int DontWait = 1;
    public const int SendMore = 2;

    public const int Linger = 17;
    public const int RcvMore = 13;
    public const int SndHwm = 23;
    public const int RcvHwm = 24;
    public const int RouterHandover = 56;

    public const short PollIn = 1;

    public const int EAgain = 11;
    public const int EIntr = 4;
    public const int ETerm = 156384712 + 53;

    /// <summary>zmq_msg_t: an opaque 64-byte, pointer-aligned structure.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 64)]
    public struct Message
    {
        private readonly long _p0;
    }

    /// <summary>zmq_pollitem_t on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollItem
    {
        public nint Socket;
        public int Fd;
        public short Events;
        public short REvents;
    }

    [LibraryImport(Lib, EntryPoint = "zmq_ctx_new")] public static partial nint CtxNew();
    [LibraryImport(Lib, EntryPoint = "zmq_ctx_term")] public static partial int CtxTerm(nint ctx);
    [LibraryImport(Lib, EntryPoint = "zmq_ctx_shutdown")] public static partial int CtxShutdown(nint ctx);
    [LibraryImport(Lib, EntryPoint = "zmq_socket")] public static partial nint Socket(nint ctx, int type);
    [LibraryImport(Lib, EntryPoint = "zmq_close")] public static partial int Close(nint socket);
    [LibraryImport(Lib, EntryPoint = "zmq_bind", StringMarshalling = StringMarshalling.Utf8)] public static partial int Bind(nint socket, string endpoint);
    [LibraryImport(Lib, EntryPoint = "zmq_connect", StringMarshalling = StringMarshalling.Utf8)] public static partial int Connect(nint socket, string endpoint);
    [LibraryImport(Lib, EntryPoint = "zmq_setsockopt")] public static partial int SetSockOpt(nint socket, int option, void* value, nuint size);
    [LibraryImport(Lib, EntryPoint = "zmq_getsockopt")] public static partial int GetSockOpt(nint socket, int option, void* value, nuint* size);
    [LibraryImport(Lib, EntryPoint = "zmq_send")] public static partial int Send(nint socket, byte* buffer, nuint length, int flags);
    [LibraryImport(Lib, EntryPoint = "zmq_msg_init")] public static partial int MsgInit(Message* msg);
    [LibraryImport(Lib, EntryPoint = "zmq_msg_recv")] public static partial int MsgRecv(Message* msg, nint socket, int flags);
    [LibraryImport(Lib, EntryPoint = "zmq_msg_data")] public static partial byte* MsgData(Message* msg);
    [LibraryImport(Lib, EntryPoint = "zmq_msg_size")] public static partial nuint MsgSize(Message* msg);
    [LibraryImport(Lib, EntryPoint = "zmq_msg_close")] public static partial int MsgClose(Message* msg);
    [LibraryImport(Lib, EntryPoint = "zmq_poll")] public static partial int Poll(PollItem* items, int count, long timeoutMs);
    [LibraryImport(Lib, EntryPoint = "zmq_errno")] public static partial int Errno();
    [LibraryImport(Lib, EntryPoint = "zmq_strerror")] public static partial nint StrError(int errnum);
    [LibraryImport(Lib, EntryPoint = "zmq_version")] public static partial void Version(int* major, int* minor, int* patch);

    /// <summary>libzmq's message for its current error number.</summary>
    public static string LastError(out int errno)
    {
        errno = Errno();
        return Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";
    }
}
