// Peer side of `sftlab bench-tokenizers`: the JavaScript reference tokenizers on the same corpus,
// single thread, in the same run as SftLab. Prints one JSON line with MB/s.
// usage: node bench/tokenizers_peer.mjs CORPUS.jsonl REPEATS
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const oracles = join(root, "tests", "oracles", "tokenizers");
const require = createRequire(join(oracles, "package.json"));
const { Tokenizer } = require("@huggingface/tokenizers");
const { Tiktoken } = require("js-tiktoken/lite");
const ranks = require("js-tiktoken/ranks/o200k_base");
const o200k = ranks.default ?? ranks;

const [corpusPath, repeatsArg] = process.argv.slice(2);
const repeats = Number(repeatsArg ?? 3);
const docs = readFileSync(corpusPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).text);
const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d, "utf8"), 0);

function best(fn) {
  fn(); // warm-up (fills caches, JIT)
  let bestSeconds = Infinity;
  let tokens = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    tokens = fn();
    bestSeconds = Math.min(bestSeconds, (performance.now() - t0) / 1000);
  }
  return { mb_per_s: bytes / 1e6 / bestSeconds, seconds: bestSeconds, tokens };
}

const models = join(oracles, "node_modules", "@lenml", "tokenizer-llama3", "models");
const llama3 = new Tokenizer(JSON.parse(readFileSync(join(models, "tokenizer.json"), "utf8")), JSON.parse(readFileSync(join(models, "tokenizer_config.json"), "utf8")));
const enc = new Tiktoken(o200k);
const result = {
  node: process.version,
  bytes,
  llama3: best(() => docs.reduce((n, d) => n + llama3.encode(d).ids.length, 0)),
  o200k_base: best(() => docs.reduce((n, d) => n + enc.encode(d, [], []).length, 0)),
};
console.log(JSON.stringify(result));
