using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SftLab.Visualization;

/// <summary>
/// A headless Chromium (Debian's <c>chromium</c>) driven over the Chrome DevTools Protocol on a
/// loopback WebSocket. It runs with the network cut off (a dead proxy, no DNS), so pages can only
/// read local files. One browser serves many pages; dispose it to end the process.
/// </summary>
internal sealed class Chromium : IDisposable
{
    /// <summary>The environment variable naming the browser executable.</summary>
    internal const string EnvironmentVariable = "SFTLAB_CHROMIUM";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    internal static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private readonly Process process;
    private readonly ClientWebSocket socket = new();
    private readonly string userDataDir;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> pending = new();
    private readonly ConcurrentQueue<string> stderrTail = new();
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly CancellationTokenSource stop = new();
    private readonly Task receiveLoop;
    private int nextId;
    private int disposed;

    /// <summary>Raised for every protocol event: (method, sessionId, params).</summary>
    internal event Action<string, string?, JsonElement>? ProtocolEvent;

    /// <summary>Starts the browser; throws <see cref="InvalidOperationException"/> with a setup hint when it is missing or fails.</summary>
    internal Chromium()
    {
        var executable = FindExecutable();
        userDataDir = Directory.CreateTempSubdirectory("sftlab-chromium-").FullName;
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
            "--force-color-profile=srgb", "--no-default-browser-check",
            // Offline by construction: every non-file request goes to a closed port, no name resolves.
            "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--remote-debugging-port=0", "--remote-allow-origins=*",
            $"--user-data-dir={userDataDir}", "about:blank",
        })
        {
            psi.ArgumentList.Add(arg);
        }

        var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {executable}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"could not start Chromium ({executable}): {e.Message}. Run scripts/setup.sh (it installs Debian's chromium).", e);
        }
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                endpoint.TrySetResult("");
                return;
            }
            stderrTail.Enqueue(e.Data);
            while (stderrTail.Count > 40) stderrTail.TryDequeue(out var _);
            const string marker = "DevTools listening on ";
            var at = e.Data.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) endpoint.TrySetResult(e.Data[(at + marker.Length)..].Trim());
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        try
        {
            if (!endpoint.Task.Wait(StartTimeout) || endpoint.Task.Result.Length == 0)
            {
                throw new InvalidOperationException($"Chromium ({executable}) did not open its DevTools endpoint. {StderrTail()}");
            }
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            socket.ConnectAsync(new Uri(endpoint.Task.Result), stop.Token).Wait(StartTimeout);
        }
        catch
        {
            KillAndClean();
            throw;
        }
        receiveLoop = Task.Run(ReceiveLoop);
    }

    /// <summary>The browser executable: $SFTLAB_CHROMIUM, else chromium, chromium-browser, google-chrome on PATH.</summary>
    internal static string FindExecutable()
    {
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return File.Exists(fromEnv)
                ? fromEnv
                : throw new InvalidOperationException($"{EnvironmentVariable} is set to '{fromEnv}', which does not exist.");
        }
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" })
        {
            foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new InvalidOperationException(
            "Chromium was not found (PNG export renders figures in a headless browser). Run scripts/setup.sh " +
            $"(it installs Debian's chromium package), or set {EnvironmentVariable} to a Chromium or Chrome executable.");
    }

    private string StderrTail() => "Its last output: " + string.Join(" | ", stderrTail.ToArray().TakeLast(8));

    /// <summary>Sends a protocol command and returns its result; throws on a protocol error or timeout.</summary>
    internal async Task<JsonElement> SendAsync(string method, JsonObject? parameters = null, string? sessionId = null, TimeSpan? timeout = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var id = Interlocked.Increment(ref nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (sessionId is not null) message["sessionId"] = sessionId;
        var tcs = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = tcs;
        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        await sendLock.WaitAsync(stop.Token).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            sendLock.Release();
        }
        var limit = timeout ?? CommandTimeout;
        var finished = await Task.WhenAny(tcs.Task, Task.Delay(limit, stop.Token)).ConfigureAwait(false);
        if (finished != tcs.Task)
        {
            pending.TryRemove(id, out _);
            throw new TimeoutException($"Chromium did not answer {method} within {limit.TotalSeconds:0} s.");
        }
        return await tcs.Task.ConfigureAwait(false);
    }

    /// <summary>Opens a new tab and attaches to it.</summary>
    internal async Task<ChromiumPage> NewPageAsync()
    {
        var target = await SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" }).ConfigureAwait(false);
        var targetId = target.GetProperty("targetId").GetString()!;
        var attached = await SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = targetId, ["flatten"] = true }).ConfigureAwait(false);
        var page = new ChromiumPage(this, targetId, attached.GetProperty("sessionId").GetString()!);
        await page.InitializeAsync().ConfigureAwait(false);
        return page;
    }

    /// <summary>Synchronous <see cref="NewPageAsync"/>.</summary>
    internal ChromiumPage NewPage() => NewPageAsync().GetAwaiter().GetResult();

    private async Task ReceiveLoop()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (!stop.IsCancellationRequested && socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, stop.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                Dispatch(message.GetBuffer().AsMemory(0, (int)message.Length));
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
        finally
        {
            var reason = new InvalidOperationException($"the Chromium connection closed. {StderrTail()}");
            foreach (var (_, tcs) in pending) tcs.TrySetException(reason);
        }
    }

    private void Dispatch(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.TryGetProperty("id", out var idElement))
        {
            if (!pending.TryRemove(idElement.GetInt32(), out var tcs)) return;
            if (root.TryGetProperty("error", out var error))
            {
                tcs.TrySetException(new InvalidOperationException($"Chromium protocol error: {error.GetProperty("message").GetString()}"));
            }
            else
            {
                tcs.TrySetResult(root.TryGetProperty("result", out var result) ? result.Clone() : default);
            }
            return;
        }
        if (root.TryGetProperty("method", out var method))
        {
            var sessionId = root.TryGetProperty("sessionId", out var s) ? s.GetString() : null;
            var parameters = root.TryGetProperty("params", out var p) ? p.Clone() : default;
            ProtocolEvent?.Invoke(method.GetString()!, sessionId, parameters);
        }
    }

    /// <summary>Closes the browser and removes its temporary profile.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                var bytes = Encoding.UTF8.GetBytes("{\"id\":0,\"method\":\"Browser.close\",\"params\":{}}");
                socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None).Wait(TimeSpan.FromSeconds(5));
            }
        }
        catch (Exception e) when (e is WebSocketException or AggregateException or ObjectDisposedException or InvalidOperationException)
        {
        }
        if (!process.WaitForExit(5000)) KillAndClean();
        stop.Cancel();
        try
        {
            receiveLoop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        socket.Dispose();
        KillAndClean();
        stop.Dispose();
        sendLock.Dispose();
    }

    private void KillAndClean()
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        for (var attempt = 0; attempt < 5 && Directory.Exists(userDataDir); attempt++)
        {
            try
            {
                Directory.Delete(userDataDir, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
            catch (UnauthorizedAccessException)
            {
                Thread.Sleep(100);
            }
        }
    }
}

/// <summary>One tab of a <see cref="Chromium"/>: navigate, evaluate, screenshot; records errors and requests.</summary>
internal sealed class ChromiumPage : IDisposable
{
    private readonly Chromium browser;
    private readonly string targetId;
    private readonly string sessionId;
    private TaskCompletionSource? load;
    private int closed;

    internal ChromiumPage(Chromium browser, string targetId, string sessionId)
    {
        this.browser = browser;
        this.targetId = targetId;
        this.sessionId = sessionId;
        browser.ProtocolEvent += OnEvent;
    }

    /// <summary>Uncaught exceptions and console errors of the page, in order.</summary>
    internal ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>Every URL the page requested (scripts, images, fetches), in order.</summary>
    internal ConcurrentQueue<string> Requests { get; } = new();

    internal async Task InitializeAsync()
    {
        await Send("Page.enable").ConfigureAwait(false);
        await Send("Runtime.enable").ConfigureAwait(false);
        await Send("Network.enable").ConfigureAwait(false);
    }

    private Task<JsonElement> Send(string method, JsonObject? parameters = null, TimeSpan? timeout = null) =>
        browser.SendAsync(method, parameters, sessionId, timeout);

    private void OnEvent(string method, string? session, JsonElement parameters)
    {
        if (session != sessionId) return;
        switch (method)
        {
            case "Page.loadEventFired":
                load?.TrySetResult();
                break;
            case "Network.requestWillBeSent":
                Requests.Enqueue(parameters.GetProperty("request").GetProperty("url").GetString() ?? "");
                break;
            case "Runtime.exceptionThrown":
                var details = parameters.GetProperty("exceptionDetails");
                var text = details.TryGetProperty("exception", out var ex) && ex.TryGetProperty("description", out var d)
                    ? d.GetString() : details.GetProperty("text").GetString();
                Errors.Enqueue(text ?? "unknown exception");
                break;
            case "Runtime.consoleAPICalled" when parameters.GetProperty("type").GetString() == "error":
                var args = parameters.GetProperty("args").EnumerateArray()
                    .Select(a => a.TryGetProperty("value", out var v) ? v.ToString() : a.TryGetProperty("description", out var ds) ? ds.GetString() : "");
                Errors.Enqueue("console.error: " + string.Join(" ", args));
                break;
        }
    }

    /// <summary>Sets the viewport in CSS pixels and the device scale factor (a screenshot is width×scale by height×scale).</summary>
    internal Task SetViewportAsync(int width, int height, double scale = 1) =>
        Send("Emulation.setDeviceMetricsOverride", new JsonObject
        {
            ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = scale, ["mobile"] = false,
        });

    /// <summary>Navigates and waits for the load event.</summary>
    internal async Task NavigateAsync(string url)
    {
        load = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var result = await Send("Page.navigate", new JsonObject { ["url"] = url }).ConfigureAwait(false);
        if (result.TryGetProperty("errorText", out var error) && error.GetString() is { Length: > 0 } text)
        {
            throw new InvalidOperationException($"Chromium could not open {url}: {text}");
        }
        var finished = await Task.WhenAny(load.Task, Task.Delay(Chromium.CommandTimeout)).ConfigureAwait(false);
        if (finished != load.Task) throw new TimeoutException($"{url} did not finish loading within {Chromium.CommandTimeout.TotalSeconds:0} s.");
    }

    /// <summary>Evaluates a JavaScript expression (awaiting a returned promise) and returns its JSON value.</summary>
    internal async Task<JsonElement> EvaluateAsync(string expression, TimeSpan? timeout = null)
    {
        var result = await Send("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression, ["awaitPromise"] = true, ["returnByValue"] = true,
        }, timeout).ConfigureAwait(false);
        if (result.TryGetProperty("exceptionDetails", out var details))
        {
            var message = details.TryGetProperty("exception", out var ex) && ex.TryGetProperty("description", out var d)
                ? d.GetString() : details.GetProperty("text").GetString();
            throw new InvalidOperationException($"the page threw: {message}");
        }
        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var v) ? v : default;
    }

    /// <summary>A PNG of the viewport.</summary>
    internal async Task<byte[]> ScreenshotAsync()
    {
        var result = await Send("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["fromSurface"] = true }).ConfigureAwait(false);
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    /// <summary>Closes the tab.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref closed, 1) != 0) return;
        browser.ProtocolEvent -= OnEvent;
        try
        {
            browser.SendAsync("Target.closeTarget", new JsonObject { ["targetId"] = targetId }, null, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }
}
