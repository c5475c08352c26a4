// Browser test of the SftLab kernel: serves a notebook with Debian's jupyter-notebook (classic UI) on
// 127.0.0.1, opens it in headless Chromium (Debian's, driven by playwright-core), runs all cells with the
// kernel named in the notebook, waits for Plotly to draw, saves a screenshot, and prints one JSON line of
// observations (the C# test asserts on them).
//
// Usage: JUPYTER_PATH=DIR node browser_test.mjs --notebook PATH.ipynb --screenshot OUT.png [--timeout 180]
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { randomBytes } from "node:crypto";
import { chromium } from "playwright-core";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const notebook = args.notebook;
const screenshot = args.screenshot;
const timeoutMs = Number(args.timeout ?? 180) * 1000;
if (!notebook || !screenshot) {
  console.error("usage: node browser_test.mjs --notebook PATH.ipynb --screenshot OUT.png");
  process.exit(2);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const work = mkdtempSync(join(tmpdir(), "sftlab-browser-"));
const name = basename(notebook);
copyFileSync(notebook, join(work, name)); // the server autosaves: never let it touch the repo's copy
const port = await freePort();
const token = randomBytes(16).toString("hex");
const serverLog = [];
const server = spawn("/usr/bin/jupyter-notebook", [
  "--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0",
  `--NotebookApp.token=${token}`, `--notebook-dir=${work}`, "--NotebookApp.disable_check_xsrf=False",
  "--MappingKernelManager.cull_idle_timeout=0",
  ...(process.getuid && process.getuid() === 0 ? ["--allow-root"] : []),
], { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, JUPYTER_RUNTIME_DIR: join(work, "runtime") } });
server.stdout.on("data", (d) => serverLog.push(d.toString()));
server.stderr.on("data", (d) => serverLog.push(d.toString()));

const result = { ok: false, port, cells: 0, codeCells: 0, executed: 0, errors: [], mainSvg: 0, figures: 0, drawn: 0, consoleErrors: [] };
let browser;
let page;
try {
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      const r = await fetch(`${base}/api/status?token=${token}`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error("jupyter-notebook did not start in 60 s:\n" + serverLog.join(""));
    if (server.exitCode !== null) throw new Error("jupyter-notebook exited:\n" + serverLog.join(""));
    await sleep(200);
  }

  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on("console", (m) => { if (m.type() === "error") result.consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => result.consoleErrors.push(String(e)));
  await page.goto(`${base}/notebooks/${encodeURIComponent(name)}?token=${token}`, { waitUntil: "load", timeout: 60000 });
  await page.waitForFunction(() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel
    && Jupyter.notebook.kernel.is_connected() && Jupyter.notebook.kernel.info_reply
    && Jupyter.notebook.kernel.info_reply.implementation, null, { timeout: 90000, polling: 200 });
  result.kernel = await page.evaluate(() => ({
    name: Jupyter.notebook.kernel.name,
    implementation: Jupyter.notebook.kernel.info_reply.implementation,
    language: Jupyter.notebook.kernel.info_reply.language_info.name,
  }));

  await page.evaluate(() => Jupyter.notebook.execute_all_cells());
  // Done when every code cell has a number (not "*") and the kernel is idle.
  await page.waitForFunction(() => {
    const cells = Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code" && c.get_text().trim() !== "");
    const done = cells.every((c) => typeof c.input_prompt_number === "number");
    const idle = document.querySelector("#kernel_indicator_icon")?.classList.contains("kernel_idle_icon");
    return (done && idle) || document.querySelector(".output_error") !== null;
  }, null, { timeout: timeoutMs, polling: 250 });

  Object.assign(result, await page.evaluate(() => {
    const cells = Jupyter.notebook.get_cells();
    const code = cells.filter((c) => c.cell_type === "code" && c.get_text().trim() !== "");
    return {
      cells: cells.length,
      codeCells: code.length,
      executed: code.filter((c) => typeof c.input_prompt_number === "number").length,
      errors: [...document.querySelectorAll(".output_error")].map((e) => e.innerText.slice(0, 2000)),
    };
  }));
  if (result.errors.length === 0) {
    // Plotly draws each figure into an <svg class="main-svg">; SftLab's loader marks the div "drawn".
    await page.waitForFunction(() => {
      const figs = document.querySelectorAll(".sftlab-figure");
      return figs.length > 0 && [...figs].every((f) => f.getAttribute("data-sftlab-state") === "drawn");
    }, null, { timeout: 60000, polling: 250 }).catch(() => {});
  }
  Object.assign(result, await page.evaluate(() => ({
    mainSvg: document.querySelectorAll("svg.main-svg").length,
    figures: document.querySelectorAll(".sftlab-figure").length,
    drawn: document.querySelectorAll('.sftlab-figure[data-sftlab-state="drawn"]').length,
    figureStates: [...document.querySelectorAll(".sftlab-figure")].map((f) => f.getAttribute("data-sftlab-state")),
    lossPoints: (() => {
      // The live chart's last state: the number of points of its trace (the loop updated it in place).
      const el = [...document.querySelectorAll(".sftlab-figure")].pop();
      return el && el.data && el.data[0] && el.data[0].y ? el.data[0].y.length : null;
    })(),
    outputKinds: Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code")
      .map((c) => c.output_area.outputs.map((o) => o.output_type + ":" + Object.keys(o.data || {}).join("+"))),
    outputsPerCell: Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code").map((c) => c.output_area.outputs.length),
  })));
  // Scroll the last figure into view so the screenshot shows the live chart.
  await page.evaluate(() => {
    const figs = document.querySelectorAll(".sftlab-figure");
    if (figs.length) figs[figs.length - 1].scrollIntoView({ block: "center" });
  });
  await sleep(300);
  await page.screenshot({ path: screenshot, fullPage: false });
  result.screenshot = screenshot;
  // Each figure on its own too (OUT-figure-1.png...), so every chart can be looked at.
  result.figureShots = [];
  for (const [selector, label] of [[".sftlab-figure", "figure"], [".sftlab-tensor", "tensor"]]) {
    const elements = await page.$$(selector);
    for (let i = 0; i < elements.length; i++) {
      const path = screenshot.replace(/\.png$/, `-${label}-${i + 1}.png`);
      await elements[i].scrollIntoViewIfNeeded();
      await elements[i].screenshot({ path });
      result.figureShots.push(path);
    }
  }
  result.ok = true;
} catch (e) {
  result.failure = String(e && e.stack || e);
  if (page) {
    result.state = await page.evaluate(() => ({
      prompts: window.Jupyter ? Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code").map((c) => c.input_prompt_number ?? null) : null,
      indicator: document.querySelector("#kernel_indicator_icon")?.className,
      outputs: window.Jupyter ? Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code").map((c) => c.output_area.outputs.map((o) => o.output_type)) : null,
    })).catch((x) => String(x));
    await page.screenshot({ path: screenshot }).catch(() => {});
  }
  result.serverLog = serverLog.join("").slice(-4000);
} finally {
  if (browser) await browser.close().catch(() => {});
  // Shut the kernels down through the server's REST API (they run in their own sessions), then the server.
  try {
    const base = `http://127.0.0.1:${port}`;
    const kernels = await (await fetch(`${base}/api/kernels?token=${token}`)).json();
    for (const k of kernels) await fetch(`${base}/api/kernels/${k.id}?token=${token}`, { method: "DELETE" });
  } catch { /* server already gone */ }
  try { process.kill(-server.pid, "SIGTERM"); } catch { /* gone */ }
  for (let i = 0; i < 50 && server.exitCode === null; i++) await sleep(100);
  try { process.kill(-server.pid, "SIGKILL"); } catch { /* gone */ }
  rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
