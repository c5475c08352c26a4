// Reference outputs from independent npm implementations, for tests/SftLab.Tests/{Retrieval,Evaluation}.
// Reads one JSON request on stdin, writes one JSON answer on stdout.
//   {"op":"bm25","docs":["tok tok ...",...],"queries":["tok ...",...],"k1":1.5,"b":0.75}
//     -> wink-bm25-text-search scores: for each query, {docIndex: score} of every matching doc
//        (IDF ln(1 + (N - n + 0.5)/(n + 0.5)), term weight idf * tf*(k1+1)/(tf + k1*(1 - b + b*dl/avgdl)), 9 decimals)
//   {"op":"rougeL","pairs":[["cand tok ...","ref tok ..."],...]}
//     -> js-rouge ROUGE-L F1 (beta 1) of each pair, one sentence per side, tokens split on spaces
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const request = JSON.parse(readFileSync(0, 'utf8'));
const split = (s) => s.split(' ').filter((t) => t.length > 0);

if (request.op === 'bm25') {
  const bm25 = require('wink-bm25-text-search')();
  bm25.defineConfig({ fldWeights: { body: 1 }, bm25Params: { k1: request.k1, b: request.b, k: 1 } });
  bm25.definePrepTasks([split]);
  request.docs.forEach((text, i) => bm25.addDoc({ body: text }, String(i)));
  bm25.consolidate(9);
  const out = request.queries.map((q) => {
    const scores = {};
    for (const [id, score] of bm25.search(q, request.docs.length)) scores[id] = score;
    return scores;
  });
  process.stdout.write(JSON.stringify(out));
} else if (request.op === 'rougeL') {
  const rouge = await import('js-rouge');
  const out = request.pairs.map(([cand, ref]) => rouge.l(cand, ref, { beta: 1, tokenizer: split, segmenter: (s) => [s] }));
  process.stdout.write(JSON.stringify(out));
} else {
  process.stderr.write(`unknown op ${request.op}\n`);
  process.exit(2);
}
