# Evaluation metrics and retrieval (src/SftLab/Evaluation, src/SftLab/Retrieval): the independent
# references their tests compare with (tests/oracles/metrics).
# - python3-nltk: BLEU (nltk.translate.bleu_score) and the Porter stemmer rouge-score uses
# - python3-jsonschema: the JSON-schema validator the format check is compared with
# - python3-numpy: percentiles (latency p50/p95, bootstrap intervals); python3-torch (already
#   required by setup.sh) gives the cross-entropy reference for perplexity
# - tests/oracles/metrics (npm): wink-bm25-text-search (BM25 scores) and js-rouge (ROUGE-L)
need_packages python3-nltk python3-jsonschema python3-numpy
npm_install "$ROOT/tests/oracles/metrics"
