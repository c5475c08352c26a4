// Reference renderer for SftLab's chat-template tests: renders a batch of (template, context) cases with
// @huggingface/jinja and prints one JSON array of results: {"ok": text} or {"error": message}.
// Usage: node render.mjs cases.json > results.json   (cases.json: [{"template": "...", "context": {...}}, ...])
import { readFileSync } from "node:fs";
import { Template } from "@huggingface/jinja";

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const parsed = new Map();
const results = cases.map((c) => {
  try {
    let t = parsed.get(c.template);
    if (!t) {
      t = new Template(c.template);
      parsed.set(c.template, t);
    }
    // JS strings are UTF-16: a slice can split a surrogate pair. Replace lone halves with U+FFFD so the
    // result stays valid Unicode for the JSON reader on the other side.
    return { ok: t.render(c.context).toWellFormed() };
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
});
process.stdout.write(JSON.stringify(results));
