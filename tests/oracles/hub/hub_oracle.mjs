// Reference for SftLab's Hub client tests: @huggingface/hub (the Hugging Face JavaScript client),
// which writes and reads the cache layout of Python's huggingface_hub.
//   node hub_oracle.mjs download <hubUrl> <repo> <revision> <cacheDir>  -> {"snapshot": "..."}
//   node hub_oracle.mjs scan <cacheDir>                                 -> the cache as scanCacheDir sees it
// Every request goes to <hubUrl> (a test server on 127.0.0.1); nothing else is contacted.
import { snapshotDownload, scanCacheDir } from "@huggingface/hub";
import path from "node:path";

const [cmd, ...args] = process.argv.slice(2);
// downloadFileToCacheDir logs with console.debug/info; keep stdout for the JSON answer.
console.debug = () => {};
console.info = () => {};

if (cmd === "download") {
  const [hubUrl, repo, revision, cacheDir] = args;
  if (!hubUrl.startsWith("http://127.0.0.1:")) throw new Error(`refusing to contact ${hubUrl}: tests talk to 127.0.0.1 only`);
  const snapshot = await snapshotDownload({ repo, revision, cacheDir, hubUrl });
  process.stdout.write(JSON.stringify({ snapshot }));
} else if (cmd === "scan") {
  const [cacheDir] = args;
  const result = await scanCacheDir(cacheDir);
  process.stdout.write(JSON.stringify({
    repos: result.repos.map((r) => ({
      name: r.id.name,
      type: r.id.type,
      filesCount: r.filesCount,
      size: r.size,
      revisions: r.revisions.map((rev) => ({
        commit: rev.commitOid,
        refs: [...rev.refs].sort(),
        files: rev.files.map((f) => ({
          path: path.relative(rev.path, f.path),
          blob: path.relative(r.path, f.blob.path),
          size: f.blob.size,
        })).sort((a, b) => (a.path < b.path ? -1 : 1)),
      })).sort((a, b) => (a.commit < b.commit ? -1 : 1)),
    })),
    warnings: result.warnings.map((w) => String(w)),
  }));
} else {
  console.error("usage: hub_oracle.mjs download <hubUrl> <repo> <revision> <cacheDir> | scan <cacheDir>");
  process.exit(2);
}
