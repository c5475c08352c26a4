// Peer of `sftlab bench-jinja`: renders the same templates with the same variables using @huggingface/jinja
// (installed in tests/oracles/jinja by scripts/setup.sh) and prints JSON {name: renders per second}.
// Usage: node bench/jinja_peer.mjs cases.json   (cases.json: [{"name", "template", "context", "iterations"}])
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "tests", "oracles", "jinja", "package.json"));
const { Template } = require("@huggingface/jinja");

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = {};
for (const c of cases) {
  const t = new Template(c.template);
  for (let i = 0; i < Math.min(200, c.iterations); i++) t.render(c.context); // warm-up (JIT)
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < c.iterations; i++) t.render(c.context);
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, c.iterations / secs);
  }
  out[c.name] = best;
}
process.stdout.write(JSON.stringify(out));
