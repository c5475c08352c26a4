#!/usr/bin/python3
"""Reference outputs from independent Python implementations (Debian packages), for
tests/SftLab.Tests/Evaluation. Reads one JSON request on stdin, writes one JSON answer on stdout.

  {"op": "bleu", "mode": "corpus"|"sentence", "smoothing": "none"|"add1"|"exp", "auto_reweigh": bool,
   "hyps": [[tok, ...], ...], "refs": [[[tok, ...], ...], ...]}
      -> nltk.translate.bleu_score (python3-nltk): one corpus score, or one score per sentence (0..1).
         Smoothing "add1" is nltk's method2 (add one to orders >= 2), "exp" is method3 (NIST geometric).
  {"op": "porter", "words": [...]}          -> nltk's PorterStemmer() (NLTK_EXTENSIONS mode), as rouge-score uses it
  {"op": "percentile", "values": [...], "q": [...]}  -> numpy.percentile (linear interpolation)
  {"op": "jsonschema", "cases": [{"schema": ..., "instance": ...}, ...]}
      -> python3-jsonschema Draft 2020-12: each case's errors as [path components, keyword]
  {"op": "perplexity", "logits": [[[...], ...], ...], "targets": [[...], ...]}
      -> python3-torch: per-token log-probs (log_softmax gathered at the targets), each sequence's
         exp(mean cross-entropy) and the corpus exp(summed cross-entropy / token count)
"""
import json
import math
import sys


def bleu(req):
    from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu, sentence_bleu
    sm = SmoothingFunction()
    fn = {"none": sm.method0, "add1": sm.method2, "exp": sm.method3}[req["smoothing"]]
    reweigh = bool(req.get("auto_reweigh", False))
    import warnings
    warnings.simplefilter("ignore")  # nltk warns when an order has no match; the score is what we compare
    if req["mode"] == "corpus":
        return corpus_bleu(req["refs"], req["hyps"], smoothing_function=fn, auto_reweigh=reweigh)
    return [sentence_bleu(r, h, smoothing_function=fn, auto_reweigh=reweigh) for h, r in zip(req["hyps"], req["refs"])]


def porter(req):
    from nltk.stem.porter import PorterStemmer
    stemmer = PorterStemmer()
    return [stemmer.stem(w) for w in req["words"]]


def percentile(req):
    import numpy as np
    return [float(x) for x in np.percentile(np.array(req["values"], dtype=np.float64), req["q"])]


def jsonschema_errors(req):
    from jsonschema import Draft202012Validator
    out = []
    for case in req["cases"]:
        validator = Draft202012Validator(case["schema"])
        out.append(sorted([[list(e.absolute_path), e.validator] for e in validator.iter_errors(case["instance"])],
                          key=json.dumps))
    return out


def perplexity(req):
    import torch
    import torch.nn.functional as F
    per_token, per_seq = [], []
    total_nll, total_tokens = 0.0, 0
    for logits, targets in zip(req["logits"], req["targets"]):
        x = torch.tensor(logits, dtype=torch.float64)
        t = torch.tensor(targets, dtype=torch.long)
        per_token.append(F.log_softmax(x, dim=-1).gather(1, t[:, None])[:, 0].tolist())
        per_seq.append(torch.exp(F.cross_entropy(x, t)).item())
        total_nll += F.cross_entropy(x, t, reduction="sum").item()
        total_tokens += len(targets)
    return {"log_probs": per_token, "per_example": per_seq, "corpus": math.exp(total_nll / total_tokens)}


OPS = {"bleu": bleu, "porter": porter, "percentile": percentile, "jsonschema": jsonschema_errors, "perplexity": perplexity}

if __name__ == "__main__":
    request = json.load(sys.stdin)
    json.dump(OPS[request["op"]](request), sys.stdout)
