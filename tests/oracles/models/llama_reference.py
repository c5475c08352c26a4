#!/usr/bin/python3
"""Independent reference for SftLab's Llama-family decoder (Llama 2/3, Qwen2, Mistral), in plain torch.

Written from the math of Hugging Face transformers' modeling_llama.py, modeling_qwen2.py,
modeling_mistral.py, modeling_rope_utils.py and masking_utils.py (see README.md here for the
commits read); no transformers or safetensors package is needed, only Debian's python3-torch 1.13.

Subcommands (all JSON files may be "-" for stdin/stdout):
  make-checkpoint --config llama3|llama2|qwen2|mistral --out DIR [--seed S] [--sharded]
                  [--dtype float32|bfloat16] [--std 0.02] [--set key=json ...]
      writes DIR/config.json and DIR/model.safetensors (or model-0000i-of-0000n.safetensors plus
      model.safetensors.index.json with --sharded), in the Hugging Face layout.
  logprobs --model DIR --input IN.json --output OUT.json [--dtype float32|float64|bfloat16] [--all-logits]
  generate --model DIR --input IN.json --output OUT.json [--dtype ...] [--no-cache] [--warmup N]
  rope     --model DIR --output OUT.json [--positions 0,1,2]   (inv_freq, cos, sin of the model's RoPE)
  selftest [--verbose]     internal consistency checks; exit code 0 when all pass

Errors in the input exit with status 2 and one line on stderr naming the file and the field or
JSON path (for example `in.json: $.sequences[1][3]: token id 300 is outside [0, 128)`).
"""
import argparse
import json
import math
import os
import struct
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

FORMAT_VERSION = "sftlab-llama-reference/v1"


class OracleError(Exception):
    """Bad input: reported as one line on stderr, exit status 2."""


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------

# Defaults of the configuration classes' constructors (LlamaConfig, Qwen2Config, MistralConfig),
# used when config.json leaves a field out. Sizes have no sensible default here: they are required.
_DEFAULTS = {
    "llama": {"rms_norm_eps": 1e-6, "rope_theta": 10000.0, "hidden_act": "silu", "attention_bias": False,
              "mlp_bias": False, "tie_word_embeddings": False, "max_position_embeddings": 2048},
    "qwen2": {"rms_norm_eps": 1e-6, "rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": False,
              "use_sliding_window": False, "sliding_window": 4096, "max_window_layers": 28,
              "num_key_value_heads": 32, "max_position_embeddings": 32768},
    "mistral": {"rms_norm_eps": 1e-6, "rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": False,
                "sliding_window": 4096, "num_key_value_heads": 8, "max_position_embeddings": 131072},
}
_ARCHITECTURES = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "mistral": "MistralForCausalLM"}
_ACTIVATIONS = ("silu", "gelu_pytorch_tanh")


class ModelConfig:
    """The fields of config.json the forward pass uses, validated and with defaults applied."""

    def __init__(self, raw, where="config.json"):
        if not isinstance(raw, dict):
            raise OracleError(f"{where}: the top level must be a JSON object")
        self.raw = raw
        mt = raw.get("model_type")
        if mt not in _DEFAULTS:
            raise OracleError(f"{where}: field 'model_type' is {mt!r}; supported: {sorted(_DEFAULTS)}")
        self.model_type = mt
        d = dict(_DEFAULTS[mt])

        def get(key, default=None):
            v = raw.get(key)
            return d.get(key, default) if v is None else v

        def req_int(key, minimum=1):
            v = raw.get(key)
            if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
                raise OracleError(f"{where}: field '{key}' must be an integer >= {minimum}, got {v!r}")
            return v

        self.vocab_size = req_int("vocab_size")
        self.hidden_size = req_int("hidden_size")
        self.intermediate_size = req_int("intermediate_size")
        self.num_hidden_layers = req_int("num_hidden_layers")
        self.num_attention_heads = req_int("num_attention_heads")
        if raw.get("num_key_value_heads") is None and mt == "llama":
            self.num_key_value_heads = self.num_attention_heads  # LlamaConfig: None -> MHA
        else:
            self.num_key_value_heads = raw.get("num_key_value_heads", d.get("num_key_value_heads"))
        kv = self.num_key_value_heads
        if isinstance(kv, bool) or not isinstance(kv, int) or kv < 1 or self.num_attention_heads % kv != 0:
            raise OracleError(f"{where}: field 'num_key_value_heads' must be a positive divisor of "
                              f"num_attention_heads={self.num_attention_heads}, got {kv!r}")
        # head_dim: from the config when given (and not null), else hidden_size // num_attention_heads.
        hd = raw.get("head_dim")
        if hd is None:
            if self.hidden_size % self.num_attention_heads != 0:
                raise OracleError(f"{where}: hidden_size={self.hidden_size} is not divisible by "
                                  f"num_attention_heads={self.num_attention_heads} and no head_dim is given")
            hd = self.hidden_size // self.num_attention_heads
        if isinstance(hd, bool) or not isinstance(hd, int) or hd < 2 or hd % 2 != 0:
            raise OracleError(f"{where}: field 'head_dim' must be an even integer >= 2, got {hd!r}")
        self.head_dim = hd
        self.rms_norm_eps = float(get("rms_norm_eps"))
        self.hidden_act = get("hidden_act")
        if self.hidden_act not in _ACTIVATIONS:
            raise OracleError(f"{where}: field 'hidden_act' is {self.hidden_act!r}; supported: {list(_ACTIVATIONS)}")
        self.tie_word_embeddings = bool(get("tie_word_embeddings"))
        self.max_position_embeddings = int(get("max_position_embeddings"))

        # Biases: Llama uses attention_bias for q, k, v and o; Qwen2 always has q/k/v bias, never o bias;
        # Mistral has none. Only Llama has mlp_bias.
        if mt == "llama":
            ab = bool(get("attention_bias"))
            self.qkv_bias, self.o_bias, self.mlp_bias = ab, ab, bool(get("mlp_bias"))
        elif mt == "qwen2":
            self.qkv_bias, self.o_bias, self.mlp_bias = True, False, False
        else:
            self.qkv_bias, self.o_bias, self.mlp_bias = False, False, False

        # RoPE: transformers 4.x keeps rope_theta at the top level and the scaling in rope_scaling
        # (key "rope_type", or the older "type"); transformers 5 writes both into rope_parameters.
        rp = raw.get("rope_parameters")
        if isinstance(rp, dict):
            self.rope_theta = float(rp.get("rope_theta", get("rope_theta")))
            scaling = dict(rp)
            scaling.pop("rope_theta", None)
            field = "rope_parameters"
        else:
            self.rope_theta = float(get("rope_theta"))
            scaling = raw.get("rope_scaling")
            field = "rope_scaling"
        if scaling is not None and not isinstance(scaling, dict):
            raise OracleError(f"{where}: field '{field}' must be an object or null")
        rope_type = "default"
        if scaling:
            rope_type = scaling.get("rope_type", scaling.get("type", "default"))
        if rope_type not in ("default", "linear", "llama3"):
            raise OracleError(f"{where}: {field}.rope_type {rope_type!r} is not supported (default, linear, llama3)")
        self.rope_type = rope_type
        self.rope_scaling = scaling if rope_type != "default" else None
        if rope_type == "linear":
            self._need_number(scaling, "factor", where, field)
        if rope_type == "llama3":
            for k in ("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"):
                self._need_number(scaling, k, where, field)
            if not scaling["high_freq_factor"] > scaling["low_freq_factor"]:
                raise OracleError(f"{where}: {field}.high_freq_factor must be greater than low_freq_factor")

        # Sliding-window attention, per layer (None = full attention).
        self.layer_windows = [None] * self.num_hidden_layers
        if mt == "mistral":
            sw = raw.get("sliding_window", d["sliding_window"]) if "sliding_window" in raw else d["sliding_window"]
            if sw is not None:
                self.layer_windows = [self._window(sw, where)] * self.num_hidden_layers
        elif mt == "qwen2" and bool(get("use_sliding_window")):
            sw = raw.get("sliding_window", d["sliding_window"])
            if sw is not None:
                mwl = int(get("max_window_layers"))
                w = self._window(sw, where)
                self.layer_windows = [w if i >= mwl else None for i in range(self.num_hidden_layers)]

    @staticmethod
    def _need_number(obj, key, where, field):
        v = obj.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise OracleError(f"{where}: {field}.{key} must be a number, got {v!r}")

    @staticmethod
    def _window(sw, where):
        if isinstance(sw, bool) or not isinstance(sw, int) or sw < 1:
            raise OracleError(f"{where}: field 'sliding_window' must be a positive integer or null, got {sw!r}")
        return sw

    @property
    def n_rep(self):
        return self.num_attention_heads // self.num_key_value_heads


# --------------------------------------------------------------------------------------------
# safetensors, by hand: 8-byte little-endian header length N, N bytes of JSON, then the data.
# --------------------------------------------------------------------------------------------

_ST_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
              "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
              "BOOL": torch.bool}
_ST_NAMES = {v: k for k, v in _ST_DTYPES.items()}


def _tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype in (torch.bfloat16, torch.float16):
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} to path atomically (temp file, then rename). Tensors are laid out in
    name order; the JSON header is padded with spaces to a multiple of 8 bytes."""
    header = {"__metadata__": dict(metadata or {"format": "pt"})}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in _ST_NAMES:
            raise OracleError(f"{path}: cannot store dtype {t.dtype} of tensor '{name}'")
        b = _tensor_bytes(t)
        header[name] = {"dtype": _ST_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
    return offset


def read_safetensors(path):
    """Returns ({name: tensor}, metadata). Validates the header and every tensor's byte range."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise OracleError(f"{path}: cannot read: {e.strerror}")
    if len(data) < 8:
        raise OracleError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise OracleError(f"{path}: header length {n} runs past the end of the file ({len(data)} bytes)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise OracleError(f"{path}: the header is not valid JSON: {e}")
    if not isinstance(header, dict):
        raise OracleError(f"{path}: the header must be a JSON object")
    buf = bytearray(data[8 + n:])
    out = {}
    meta = header.pop("__metadata__", {}) or {}
    for name, info in header.items():
        try:
            dt = _ST_DTYPES[info["dtype"]]
            shape = [int(s) for s in info["shape"]]
            begin, end = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise OracleError(f"{path}: header entry '{name}' needs dtype (one of {sorted(_ST_DTYPES)}), "
                              f"shape and data_offsets")
        numel = 1
        for s in shape:
            numel *= s
        size = torch.tensor([], dtype=dt).element_size()
        if not (0 <= begin <= end <= len(buf)) or end - begin != numel * size:
            raise OracleError(f"{path}: tensor '{name}' has data_offsets [{begin}, {end}) that do not fit "
                              f"{info['dtype']}{shape} inside the {len(buf)}-byte data buffer")
        if numel == 0:
            out[name] = torch.zeros(shape, dtype=dt)
        elif dt in (torch.bfloat16, torch.float16):
            raw = torch.frombuffer(buf, dtype=torch.int16, count=numel, offset=begin)
            out[name] = raw.clone().view(dt).reshape(shape)
        else:
            out[name] = torch.frombuffer(buf, dtype=dt, count=numel, offset=begin).clone().reshape(shape)
    return out, meta


def load_checkpoint(model_dir):
    """Reads config.json and the weights (model.safetensors, else the sharded index) of a folder."""
    cpath = os.path.join(model_dir, "config.json")
    try:
        with open(cpath, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as e:
        raise OracleError(f"{cpath}: cannot read: {e.strerror}")
    except json.JSONDecodeError as e:
        raise OracleError(f"{cpath}: line {e.lineno}: not valid JSON: {e.msg}")
    cfg = ModelConfig(raw, cpath)
    single = os.path.join(model_dir, "model.safetensors")
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(single):
        weights, _ = read_safetensors(single)
    elif os.path.exists(index):
        try:
            with open(index, encoding="utf-8") as f:
                idx = json.load(f)
        except json.JSONDecodeError as e:
            raise OracleError(f"{index}: line {e.lineno}: not valid JSON: {e.msg}")
        wm = idx.get("weight_map") if isinstance(idx, dict) else None
        if not isinstance(wm, dict):
            raise OracleError(f"{index}: field 'weight_map' must be an object")
        weights = {}
        for shard in sorted(set(wm.values())):
            part, _ = read_safetensors(os.path.join(model_dir, shard))
            for name, t in part.items():
                if wm.get(name) != shard:
                    raise OracleError(f"{index}: tensor '{name}' is in {shard} but weight_map says {wm.get(name)!r}")
                weights[name] = t
        missing = sorted(set(wm) - set(weights))
        if missing:
            raise OracleError(f"{index}: weight_map names tensors its shards lack: {missing[:5]}")
    else:
        raise OracleError(f"{model_dir}: neither model.safetensors nor model.safetensors.index.json exists")
    return cfg, weights


def expected_shapes(cfg):
    """The Hugging Face state-dict names and shapes of a model with this configuration."""
    h, i, v = cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size
    qd = cfg.num_attention_heads * cfg.head_dim
    kvd = cfg.num_key_value_heads * cfg.head_dim
    s = {"model.embed_tokens.weight": [v, h], "model.norm.weight": [h]}
    for L in range(cfg.num_hidden_layers):
        p = f"model.layers.{L}."
        s[p + "self_attn.q_proj.weight"] = [qd, h]
        s[p + "self_attn.k_proj.weight"] = [kvd, h]
        s[p + "self_attn.v_proj.weight"] = [kvd, h]
        s[p + "self_attn.o_proj.weight"] = [h, qd]
        if cfg.qkv_bias:
            s[p + "self_attn.q_proj.bias"] = [qd]
            s[p + "self_attn.k_proj.bias"] = [kvd]
            s[p + "self_attn.v_proj.bias"] = [kvd]
        if cfg.o_bias:
            s[p + "self_attn.o_proj.bias"] = [h]
        s[p + "mlp.gate_proj.weight"] = [i, h]
        s[p + "mlp.up_proj.weight"] = [i, h]
        s[p + "mlp.down_proj.weight"] = [h, i]
        if cfg.mlp_bias:
            s[p + "mlp.gate_proj.bias"] = [i]
            s[p + "mlp.up_proj.bias"] = [i]
            s[p + "mlp.down_proj.bias"] = [h]
        s[p + "input_layernorm.weight"] = [h]
        s[p + "post_attention_layernorm.weight"] = [h]
    if not cfg.tie_word_embeddings:
        s["lm_head.weight"] = [v, h]
    return s


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------

def rope_inv_freq(cfg, dtype=torch.float32):
    """Inverse frequencies of the rotary embedding (length head_dim / 2), as modeling_rope_utils
    computes them: in float32 unless dtype is float64 (then the same math in float64)."""
    dim = cfg.head_dim
    exps = torch.arange(0, dim, 2, dtype=torch.int64).to(dtype) / dim
    inv_freq = 1.0 / (cfg.rope_theta ** exps)
    if cfg.rope_type == "linear":
        inv_freq = inv_freq / float(cfg.rope_scaling["factor"])
    elif cfg.rope_type == "llama3":
        rs = cfg.rope_scaling
        factor = float(rs["factor"])
        low, high = float(rs["low_freq_factor"]), float(rs["high_freq_factor"])
        old_ctx = float(rs["original_max_position_embeddings"])
        low_freq_wavelen = old_ctx / low
        high_freq_wavelen = old_ctx / high
        wavelen = 2 * math.pi / inv_freq
        # Long wavelengths (low frequencies) are slowed down by `factor`; short ones are kept.
        scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
        # In between (both bounds included) the two are blended with a weight that is linear in
        # old_ctx / wavelen.
        smooth = (old_ctx / wavelen - low) / (high - low)
        blended = (1 - smooth) * scaled / factor + smooth * scaled
        medium = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen)
        inv_freq = torch.where(medium, blended, scaled)
    return inv_freq


def rope_cos_sin(inv_freq, position_ids, dtype):
    """cos and sin of shape (batch, seq, head_dim): angle[b, t, j] = position[b, t] * inv_freq[j mod D/2].
    Both halves of the last dimension carry the same angles (the rotate_half layout)."""
    freqs = position_ids.to(inv_freq.dtype)[:, :, None] * inv_freq[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    """(x1, x2) -> (-x2, x1) on the two halves of the last dimension: dimension j is paired with
    j + head_dim/2 (not with its neighbour j+1)."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotate_interleaved(x, cos, sin):
    """The other RoPE convention (pairs (2j, 2j+1), as Meta's original checkpoints): used only by the
    self-test, as a bug the reference must be able to tell apart."""
    half = x.shape[-1] // 2
    c, s = cos[..., :half], sin[..., :half]
    xe, xo = x[..., 0::2], x[..., 1::2]
    out = torch.stack((xe * c - xo * s, xe * s + xo * c), dim=-1)
    return out.flatten(-2)


def repeat_kv(x, n_rep, tiled=False):
    """(B, KV, T, D) -> (B, KV * n_rep, T, D). Query head h uses key/value head h // n_rep, i.e. each
    kv head is repeated n_rep times in a row (repeat_interleave), not the whole set tiled."""
    if n_rep == 1:
        return x
    if tiled:  # the wrong layout, for the self-test's mutation check
        return x.repeat(1, n_rep, 1, 1)
    b, kv, t, d = x.shape
    return x[:, :, None, :, :].expand(b, kv, n_rep, t, d).reshape(b, kv * n_rep, t, d)


class LlamaReference:
    """A decoder-only Llama-family model built from a config and a Hugging Face state dict.

    dtype float32: as transformers in float32. bfloat16: as transformers in bfloat16 (RMSNorm, softmax
    and RoPE angles in float32, cast back). float64: the same math with every step in float64.
    `ablate` turns on deliberate bugs, for the self-test's sensitivity checks only."""

    def __init__(self, cfg, weights, dtype=torch.float32, ablate=()):
        self.cfg = cfg
        self.dtype = dtype
        self.ablate = set(ablate)
        self.compute_dtype = torch.float64 if dtype == torch.float64 else torch.float32
        want = expected_shapes(cfg)
        names = set(weights)
        ignorable = {n for n in names if n.endswith("rotary_emb.inv_freq")}
        if cfg.tie_word_embeddings:
            ignorable.add("lm_head.weight")  # tied: the head is the embedding, whatever the file says
        missing = sorted(set(want) - names)
        extra = sorted(names - set(want) - ignorable)
        if missing:
            raise OracleError(f"weights: missing tensors {missing[:6]}{' ...' if len(missing) > 6 else ''}")
        if extra:
            raise OracleError(f"weights: unexpected tensors {extra[:6]}{' ...' if len(extra) > 6 else ''}")
        self.w = {}
        for name, shape in want.items():
            t = weights[name]
            if list(t.shape) != shape:
                raise OracleError(f"weights: tensor '{name}' has shape {list(t.shape)}, config.json implies {shape}")
            if not t.is_floating_point():
                raise OracleError(f"weights: tensor '{name}' has non-float dtype {t.dtype}")
            self.w[name] = t.to(dtype)
        if cfg.tie_word_embeddings:
            self.w["lm_head.weight"] = self.w["model.embed_tokens.weight"]
        self.inv_freq = rope_inv_freq(cfg, self.compute_dtype)
        if "no_rope_scaling" in self.ablate:
            plain = ModelConfig(dict(cfg.raw, rope_scaling=None, rope_parameters=None))
            self.inv_freq = rope_inv_freq(plain, self.compute_dtype)

    # ---- building blocks ----

    def rms_norm(self, x, weight):
        """weight * (x / sqrt(mean(x^2) + eps)), the normalisation done in float32 (float64 in float64
        mode) and cast back to the activation dtype before the weight multiplies it."""
        h = x.to(self.compute_dtype)
        var = h.pow(2).mean(-1, keepdim=True)
        h = h * torch.rsqrt(var + self.cfg.rms_norm_eps)
        if "no_norm_weight" in self.ablate:
            return h.to(x.dtype)
        return weight * h.to(x.dtype)

    def linear(self, x, prefix):
        b = self.w.get(prefix + ".bias")
        if b is not None and "no_bias" in self.ablate:
            b = None
        return F.linear(x, self.w[prefix + ".weight"], b)

    def act(self, x):
        if self.cfg.hidden_act == "silu":
            return F.silu(x)
        return F.gelu(x, approximate="tanh")

    def apply_rope(self, x, cos, sin):
        if "no_rope" in self.ablate:
            return x
        if "interleaved_rope" in self.ablate:
            return rotate_interleaved(x, cos, sin)
        return x * cos + rotate_half(x) * sin

    # ---- forward ----

    def forward(self, input_ids, position_ids, allowed, cache=None):
        """input_ids, position_ids: (B, T) int64. allowed: (B, T, S) bool, query t may attend key s
        (S = cached length + T). cache: None, or a list with one [k, v] per layer that is extended
        in place. Returns the logits (B, T, V) in the model dtype."""
        cfg = self.cfg
        B, T = input_ids.shape
        H, KV, D = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        x = F.embedding(input_ids, self.w["model.embed_tokens.weight"])
        pos = position_ids
        if "no_position_reset" in self.ablate:
            pos = torch.arange(T, dtype=torch.int64).expand(B, T)
        cos, sin = rope_cos_sin(self.inv_freq, pos, x.dtype)
        cos, sin = cos[:, None], sin[:, None]  # (B, 1, T, D): broadcast over heads
        mask_value = torch.finfo(x.dtype).min
        for L in range(cfg.num_hidden_layers):
            p = f"model.layers.{L}."
            allowed_l = allowed
            win = cfg.layer_windows[L]
            if win is not None:
                S = allowed.shape[-1]
                q_idx = torch.arange(S - T, S)[:, None]
                k_idx = torch.arange(S)[None, :]
                allowed_l = allowed & (k_idx > q_idx - win)[None]
            bias = torch.zeros(allowed_l.shape, dtype=x.dtype).masked_fill(~allowed_l, mask_value)[:, None]

            # attention block (pre-norm, residual)
            h = self.rms_norm(x, self.w[p + "input_layernorm.weight"])
            q = self.linear(h, p + "self_attn.q_proj").view(B, T, H, D).transpose(1, 2)
            k = self.linear(h, p + "self_attn.k_proj").view(B, T, KV, D).transpose(1, 2)
            v = self.linear(h, p + "self_attn.v_proj").view(B, T, KV, D).transpose(1, 2)
            q = self.apply_rope(q, cos, sin)
            k = self.apply_rope(k, cos, sin)
            if cache is not None:
                if len(cache) <= L:
                    cache.append([k, v])
                else:
                    cache[L][0] = torch.cat((cache[L][0], k), dim=2)
                    cache[L][1] = torch.cat((cache[L][1], v), dim=2)
                k, v = cache[L]
            tiled = "tiled_kv" in self.ablate
            k = repeat_kv(k, cfg.n_rep, tiled)
            v = repeat_kv(v, cfg.n_rep, tiled)
            scores = torch.matmul(q, k.transpose(2, 3)) * (D ** -0.5)
            if "no_mask" not in self.ablate:
                scores = scores + bias
            probs = F.softmax(scores, dim=-1, dtype=self.compute_dtype).to(x.dtype)
            attn = torch.matmul(probs, v).transpose(1, 2).reshape(B, T, H * D)
            x = x + self.linear(attn, p + "self_attn.o_proj")

            # MLP block (pre-norm, residual): down(act(gate(h)) * up(h))
            h = self.rms_norm(x, self.w[p + "post_attention_layernorm.weight"])
            m = self.act(self.linear(h, p + "mlp.gate_proj")) * self.linear(h, p + "mlp.up_proj")
            x = x + self.linear(m, p + "mlp.down_proj")
        x = self.rms_norm(x, self.w["model.norm.weight"])
        return F.linear(x, self.w["lm_head.weight"])


def default_position_ids(attention_mask):
    """No explicit position_ids: 0..T-1, or with a padding mask cumsum(mask) - 1 with padded slots set
    to 1 (what transformers' generate() passes, so a left-padded row matches the unpadded one)."""
    pos = attention_mask.long().cumsum(-1) - 1
    return pos.masked_fill(attention_mask == 0, 1)


def packed_document_ids(position_ids):
    """transformers' masking_utils.find_packed_sequence_indices: a new document starts wherever the
    position id is not the previous one + 1."""
    first = position_ids[:, :1] - 1
    diff = torch.diff(position_ids, prepend=first, dim=-1)
    return (diff != 1).long().cumsum(-1)


def build_allowed(T, attention_mask=None, document_ids=None, B=1):
    """(B, T, T) bool: causal, within one document, and only to non-padded keys."""
    idx = torch.arange(T)
    allowed = (idx[None, :] <= idx[:, None])[None].expand(B, T, T).clone()
    if document_ids is not None:
        allowed &= document_ids[:, :, None] == document_ids[:, None, :]
    if attention_mask is not None:
        allowed &= attention_mask[:, None, :].bool()
    return allowed


# --------------------------------------------------------------------------------------------
# Inputs and outputs
# --------------------------------------------------------------------------------------------

DTYPES = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16}


def read_json(path):
    try:
        if path == "-":
            return json.load(sys.stdin)
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise OracleError(f"{path}: cannot read: {e.strerror}")
    except json.JSONDecodeError as e:
        raise OracleError(f"{path}: line {e.lineno} column {e.colno}: not valid JSON: {e.msg}")


def write_json(path, obj):
    text = json.dumps(obj, allow_nan=False)
    if path == "-":
        sys.stdout.write(text + "\n")
        return
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(tmp, path)


def _int_rows(obj, key, where, n_rows=None, lengths=None, lo=None, hi=None, required=False):
    rows = obj.get(key)
    if rows is None:
        if required:
            raise OracleError(f"{where}: $.{key} is required (a list of lists of integers)")
        return None
    if not isinstance(rows, list) or not rows and required:
        raise OracleError(f"{where}: $.{key} must be a non-empty list of lists of integers")
    if n_rows is not None and len(rows) != n_rows:
        raise OracleError(f"{where}: $.{key} has {len(rows)} rows but $.sequences has {n_rows}")
    for r, row in enumerate(rows):
        if not isinstance(row, list) or not row:
            raise OracleError(f"{where}: $.{key}[{r}] must be a non-empty list of integers")
        if lengths is not None and len(row) != lengths[r]:
            raise OracleError(f"{where}: $.{key}[{r}] has {len(row)} entries but $.sequences[{r}] has {lengths[r]}")
        for c, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, int):
                raise OracleError(f"{where}: $.{key}[{r}][{c}] must be an integer, got {v!r}")
            if (lo is not None and v < lo) or (hi is not None and v >= hi):
                raise OracleError(f"{where}: $.{key}[{r}][{c}]: {v} is outside [{lo}, {hi})")
    return rows


def run_logprobs(model, spec, where="input", all_logits=False):
    """The logprobs subcommand on a parsed input object; returns the output object."""
    cfg = model.cfg
    if not isinstance(spec, dict):
        raise OracleError(f"{where}: the top level must be a JSON object")
    seqs = _int_rows(spec, "sequences", where, lo=0, hi=cfg.vocab_size, required=True)
    lengths = [len(s) for s in seqs]
    n = len(seqs)
    mask = _int_rows(spec, "attention_mask", where, n, lengths, lo=0, hi=2)
    pos = _int_rows(spec, "position_ids", where, n, lengths, lo=0)
    docs = _int_rows(spec, "document_ids", where, n, lengths)
    if mask is not None:
        for r, row in enumerate(mask):
            if not any(row):
                raise OracleError(f"{where}: $.attention_mask[{r}] has no 1: the row has no real token")
    results = []
    # Rows of one length run as one batch; otherwise each row runs alone.
    groups = [list(range(n))] if len(set(lengths)) == 1 else [[r] for r in range(n)]
    with torch.no_grad():
        for g in groups:
            ids = torch.tensor([seqs[r] for r in g], dtype=torch.int64)
            B, T = ids.shape
            am = torch.tensor([mask[r] for r in g], dtype=torch.int64) if mask is not None else None
            if pos is not None:
                pid = torch.tensor([pos[r] for r in g], dtype=torch.int64)
            elif am is not None:
                pid = default_position_ids(am)
            else:
                pid = torch.arange(T, dtype=torch.int64).expand(B, T)
            if docs is not None:
                did = torch.tensor([docs[r] for r in g], dtype=torch.int64)
            elif pos is not None and am is None:
                did = packed_document_ids(pid)
            else:
                did = None
            mask_docs = None if "no_document_mask" in model.ablate else did
            logits = model.forward(ids, pid, build_allowed(T, am, mask_docs, B))
            lp = torch.log_softmax(logits.double(), dim=-1)
            for bi, r in enumerate(g):
                row_mask = mask[r] if mask is not None else [1] * T
                values = []
                for t in range(T - 1):
                    if row_mask[t] and row_mask[t + 1]:
                        values.append(float(lp[bi, t, seqs[r][t + 1]]))
                    else:
                        values.append(None)
                last = max(t for t in range(T) if row_mask[t])
                res = {"length": T, "logprobs": values, "last_position": last,
                       "last_logits": [float(v) for v in logits[bi, last].double()],
                       "position_ids": pid[bi].tolist()}
                if did is not None:
                    res["document_ids"] = did[bi].tolist()
                if all_logits:
                    res["logits"] = logits[bi].double().tolist()
                results.append(res)
    return {"format": FORMAT_VERSION, "model_type": cfg.model_type, "dtype": str(model.dtype).replace("torch.", ""),
            "results": results}


def greedy(model, prompt, max_new_tokens, eos, use_cache):
    """Greedy decoding of one prompt; returns (new tokens, their logprobs, top1-top2 logit margins, stop)."""
    tokens = list(prompt)
    out, lps, margins = [], [], []
    cache = [] if use_cache else None
    stop = "length"
    with torch.no_grad():
        for step in range(max_new_tokens):
            if use_cache:
                new = tokens if step == 0 else tokens[-1:]
                start = len(tokens) - len(new)
                ids = torch.tensor([new], dtype=torch.int64)
                pid = torch.arange(start, len(tokens), dtype=torch.int64)[None]
                idx_q = pid[0][:, None]
                allowed = (torch.arange(len(tokens))[None, :] <= idx_q)[None]
                logits = model.forward(ids, pid, allowed, cache)[0, -1]
            else:
                T = len(tokens)
                ids = torch.tensor([tokens], dtype=torch.int64)
                pid = torch.arange(T, dtype=torch.int64)[None]
                logits = model.forward(ids, pid, build_allowed(T))[0, -1]
            logits = logits.double()
            nxt = int(torch.argmax(logits))  # the first index among equal maxima
            top2 = torch.topk(logits, 2).values if logits.numel() > 1 else torch.stack((logits[0], logits[0]))
            lps.append(float(torch.log_softmax(logits, dim=-1)[nxt]))
            margins.append(float(top2[0] - top2[1]))
            out.append(nxt)
            tokens.append(nxt)
            if nxt in eos:
                stop = "eos"
                break
    return out, lps, margins, stop


def run_generate(model, spec, where="input", use_cache=True, warmup=1):
    cfg = model.cfg
    if not isinstance(spec, dict):
        raise OracleError(f"{where}: the top level must be a JSON object")
    prompts = _int_rows(spec, "prompts", where, lo=0, hi=cfg.vocab_size, required=True)
    mnt = spec.get("max_new_tokens", 16)
    if isinstance(mnt, bool) or not isinstance(mnt, int) or mnt < 1:
        raise OracleError(f"{where}: $.max_new_tokens must be an integer >= 1, got {mnt!r}")
    eos = spec.get("eos_token_id")
    if eos is None:
        eos_set = set()
    elif isinstance(eos, int) and not isinstance(eos, bool):
        eos_set = {eos}
    elif isinstance(eos, list) and all(isinstance(e, int) and not isinstance(e, bool) for e in eos):
        eos_set = set(eos)
    else:
        raise OracleError(f"{where}: $.eos_token_id must be null, an integer or a list of integers")
    for _ in range(warmup):
        greedy(model, prompts[0], min(mnt, 4), set(), use_cache)
    results = []
    total_new = 0
    t0 = time.perf_counter()
    for p in prompts:
        toks, lps, margins, stop = greedy(model, p, mnt, eos_set, use_cache)
        total_new += len(toks)
        results.append({"prompt_length": len(p), "tokens": toks, "logprobs": lps, "top2_margins": margins,
                        "stop_reason": stop})
    secs = time.perf_counter() - t0
    return {"format": FORMAT_VERSION, "model_type": cfg.model_type, "dtype": str(model.dtype).replace("torch.", ""),
            "results": results,
            "timing": {"new_tokens": total_new, "seconds": secs,
                       "tokens_per_second": total_new / secs if secs > 0 else None,
                       "threads": torch.get_num_threads(), "kv_cache": use_cache, "warmup_runs": warmup}}


# --------------------------------------------------------------------------------------------
# Tiny random checkpoints
# --------------------------------------------------------------------------------------------

def _base(model_type):
    return {"architectures": [_ARCHITECTURES[model_type]], "model_type": model_type}


PRESETS = {
    # Llama 3 style: GQA 4/2, theta 5e5, llama3 RoPE scaling whose original context (64) is below the
    # tested positions; with head_dim 16 the 8 frequencies fall in all three llama3 bands.
    "llama3": dict(_base("llama"), attention_bias=False, attention_dropout=0.0, bos_token_id=1, eos_token_id=2,
                   head_dim=16, hidden_act="silu", hidden_size=64, initializer_range=0.02, intermediate_size=96,
                   max_position_embeddings=512, mlp_bias=False, num_attention_heads=4, num_hidden_layers=2,
                   num_key_value_heads=2, pretraining_tp=1, rms_norm_eps=1e-05,
                   rope_scaling={"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                 "original_max_position_embeddings": 64, "rope_type": "llama3"},
                   rope_theta=500000.0, tie_word_embeddings=False, torch_dtype="float32",
                   transformers_version="4.46.3", use_cache=True, vocab_size=128),
    # Llama 2 style: MHA, theta 1e4, linear RoPE scaling written with the older "type" key.
    "llama2": dict(_base("llama"), attention_bias=False, attention_dropout=0.0, bos_token_id=1, eos_token_id=2,
                   hidden_act="silu", hidden_size=64, initializer_range=0.02, intermediate_size=96,
                   max_position_embeddings=256, mlp_bias=False, num_attention_heads=4, num_hidden_layers=2,
                   num_key_value_heads=4, pretraining_tp=1, rms_norm_eps=1e-06,
                   rope_scaling={"factor": 2.0, "type": "linear"}, rope_theta=10000.0, tie_word_embeddings=False,
                   torch_dtype="float32", transformers_version="4.46.3", use_cache=True, vocab_size=128),
    # Qwen2 style: q/k/v bias (no o bias), tied embeddings, theta 1e6, GQA 4/2, a sliding_window
    # value that is unused because use_sliding_window is false.
    "qwen2": dict(_base("qwen2"), attention_dropout=0.0, bos_token_id=1, eos_token_id=2, hidden_act="silu",
                  hidden_size=64, initializer_range=0.02, intermediate_size=96, max_position_embeddings=512,
                  max_window_layers=2, num_attention_heads=4, num_hidden_layers=2, num_key_value_heads=2,
                  rms_norm_eps=1e-06, rope_scaling=None, rope_theta=1000000.0, sliding_window=512,
                  tie_word_embeddings=True, torch_dtype="float32", transformers_version="4.46.3", use_cache=True,
                  use_sliding_window=False, vocab_size=128),
    # Mistral style: GQA 4/1 (multi-query), head_dim 24 != hidden/heads (as Mistral-Nemo), theta 1e4,
    # sliding_window null.
    "mistral": dict(_base("mistral"), attention_dropout=0.0, bos_token_id=1, eos_token_id=2, head_dim=24,
                    hidden_act="silu", hidden_size=64, initializer_range=0.02, intermediate_size=96,
                    max_position_embeddings=512, num_attention_heads=4, num_hidden_layers=2, num_key_value_heads=1,
                    rms_norm_eps=1e-05, rope_theta=10000.0, sliding_window=None, tie_word_embeddings=False,
                    torch_dtype="float32", transformers_version="4.46.3", use_cache=True, vocab_size=128),
}


def _parse_set(items):
    out = []
    for item in items or []:
        if "=" not in item:
            raise OracleError(f"--set {item!r}: expected key=value (value as JSON, e.g. rope_theta=10000.0)")
        k, v = item.split("=", 1)
        try:
            val = json.loads(v)
        except json.JSONDecodeError:
            val = v
        out.append((k, val))
    return out


def make_config(preset, overrides=()):
    if preset not in PRESETS:
        raise OracleError(f"--config {preset!r}: choose one of {sorted(PRESETS)}")
    cfg = json.loads(json.dumps(PRESETS[preset]))
    for key, val in overrides:
        node = cfg
        parts = key.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = val
    return dict(sorted(cfg.items()))


def random_weights(cfg, seed, std=0.02):
    """Weights ~ N(0, std); biases ~ N(0, 0.1); RMSNorm weights ~ U(0.5, 1.5), so a norm applied wrong
    shows. Drawn in state-dict name order from one seeded generator: the same seed gives the same bytes."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in sorted(expected_shapes(cfg).items()):
        if "norm" in name:
            t = 0.5 + torch.rand(shape, generator=g, dtype=torch.float32)
        elif name.endswith(".bias"):
            t = 0.1 * torch.randn(shape, generator=g, dtype=torch.float32)
        else:
            t = std * torch.randn(shape, generator=g, dtype=torch.float32)
        out[name] = t
    return out


def write_checkpoint(out_dir, raw_cfg, weights, sharded=False, dtype=torch.float32):
    os.makedirs(out_dir, exist_ok=True)
    single = os.path.join(out_dir, "model.safetensors")
    index = os.path.join(out_dir, "model.safetensors.index.json")
    clash = index if not sharded else single
    if os.path.exists(clash):
        raise OracleError(f"{clash}: already exists; write the other layout into an empty folder")
    raw_cfg = dict(raw_cfg, torch_dtype=str(dtype).replace("torch.", ""))
    write_json(os.path.join(out_dir, "config.json"), raw_cfg)
    tensors = {k: v.to(dtype) for k, v in weights.items()}
    if not sharded:
        write_safetensors(single, tensors)
        return [single]
    # Two shards: the embedding and the first half of the layers, then the rest.
    cfg = ModelConfig(raw_cfg)
    cut = max(1, cfg.num_hidden_layers // 2)

    def shard_of(name):
        if name.startswith("model.layers."):
            return 0 if int(name.split(".")[2]) < cut else 1
        return 0 if name == "model.embed_tokens.weight" else 1

    files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    total = 0
    weight_map = {}
    for i, fname in enumerate(files):
        part = {k: v for k, v in tensors.items() if shard_of(k) == i}
        total += write_safetensors(os.path.join(out_dir, fname), part)
        weight_map.update({k: fname for k in part})
    write_json(index, {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))})
    return [os.path.join(out_dir, f) for f in files] + [index]


# --------------------------------------------------------------------------------------------
# Self-test
# --------------------------------------------------------------------------------------------

class _Checks:
    def __init__(self, verbose):
        self.verbose = verbose
        self.failed = 0
        self.passed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            if self.verbose:
                print(f"  ok    {what} {detail}")
        else:
            self.failed += 1
            print(f"  FAIL  {what} {detail}")


def _max_diff(a, b):
    d = 0.0
    for x, y in zip(a, b):
        if x is None or y is None:
            if (x is None) != (y is None):
                return float("inf")
            continue
        d = max(d, abs(x - y))
    return d


def _load(dirpath, dtype=torch.float32, ablate=()):
    cfg, w = load_checkpoint(dirpath)
    return LlamaReference(cfg, w, dtype, ablate)


def selftest(verbose=False):
    torch.manual_seed(0)
    C = _Checks(verbose)
    tol32 = 2e-5
    g = torch.Generator().manual_seed(1234)

    def rand_ids(n, vocab=128):
        return torch.randint(0, vocab, (n,), generator=g).tolist()

    with tempfile.TemporaryDirectory() as tmp:
        dirs = {}
        for preset in PRESETS:
            d = os.path.join(tmp, preset)
            raw = make_config(preset)
            write_checkpoint(d, raw, random_weights(ModelConfig(raw), seed=7))
            dirs[preset] = d

        # -- checkpoint files --
        print("checkpoint files")
        d2 = os.path.join(tmp, "again")
        write_checkpoint(d2, make_config("llama3"), random_weights(ModelConfig(make_config("llama3")), seed=7))
        same = all(open(os.path.join(dirs["llama3"], f), "rb").read() == open(os.path.join(d2, f), "rb").read()
                   for f in ("config.json", "model.safetensors"))
        C.check(same, "same seed gives byte-identical config.json and model.safetensors")
        with open(os.path.join(dirs["qwen2"], "model.safetensors"), "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            hdr = json.loads(f.read(n))
        C.check(n % 8 == 0 and hdr.get("__metadata__") == {"format": "pt"} and "lm_head.weight" not in hdr
                and "model.layers.0.self_attn.q_proj.bias" in hdr and "model.layers.0.self_attn.o_proj.bias" not in hdr,
                "qwen2 file: padded header, format pt, q/k/v bias, no o bias, tied head absent")
        cfg3, w3 = load_checkpoint(dirs["llama3"])
        ref = random_weights(cfg3, seed=7)
        C.check(all(torch.equal(w3[k], ref[k]) for k in ref), "safetensors round trip is bit exact")
        ds = os.path.join(tmp, "sharded")
        files = write_checkpoint(ds, make_config("llama3"), ref, sharded=True)
        _, ws = load_checkpoint(ds)
        C.check(len(files) == 3 and all(torch.equal(ws[k], ref[k]) for k in ref),
                "sharded checkpoint (2 shards + index) loads the same tensors")
        db = os.path.join(tmp, "bf16")
        write_checkpoint(db, make_config("llama3"), ref, dtype=torch.bfloat16)
        _, wb = load_checkpoint(db)
        C.check(all(wb[k].dtype == torch.bfloat16 and torch.equal(wb[k], ref[k].to(torch.bfloat16)) for k in ref),
                "bfloat16 checkpoint round trip")

        # -- RoPE --
        print("rope")
        inv = rope_inv_freq(cfg3).tolist()
        rs = cfg3.rope_scaling
        bands = set()
        ok = True
        for j in range(cfg3.head_dim // 2):
            base = 1.0 / cfg3.rope_theta ** (2 * j / cfg3.head_dim)
            wl = 2 * math.pi / base
            lo_wl = rs["original_max_position_embeddings"] / rs["low_freq_factor"]
            hi_wl = rs["original_max_position_embeddings"] / rs["high_freq_factor"]
            if wl < hi_wl:
                want, band = base, "high"
            elif wl > lo_wl:
                want, band = base / rs["factor"], "low"
            else:
                s = (rs["original_max_position_embeddings"] / wl - rs["low_freq_factor"]) / (
                    rs["high_freq_factor"] - rs["low_freq_factor"])
                want, band = (1 - s) * base / rs["factor"] + s * base, "medium"
            bands.add(band)
            ok &= abs(inv[j] - want) <= 1e-6 * want
        C.check(ok, "llama3 inv_freq matches a scalar float64 formulation")
        C.check(bands == {"high", "medium", "low"}, "llama3 preset has frequencies in all three bands", str(sorted(bands)))
        cfg2 = ModelConfig(make_config("llama2"))
        plain2 = ModelConfig(dict(make_config("llama2"), rope_scaling=None))
        C.check(torch.equal(rope_inv_freq(cfg2), rope_inv_freq(plain2) / 2.0), "linear scaling divides inv_freq by factor")
        # relative-position property: q.k after RoPE depends on m - n only (half layout, any inv_freq)
        qv = torch.randn(1, 1, 1, cfg3.head_dim, generator=g, dtype=torch.float64)
        kv = torch.randn(1, 1, 1, cfg3.head_dim, generator=g, dtype=torch.float64)
        inv64 = rope_inv_freq(cfg3, torch.float64)

        def score(m, n):
            cm, sm = rope_cos_sin(inv64, torch.tensor([[m]]), torch.float64)
            cn, sn = rope_cos_sin(inv64, torch.tensor([[n]]), torch.float64)
            a = qv * cm[:, None] + rotate_half(qv) * sm[:, None]
            b = kv * cn[:, None] + rotate_half(kv) * sn[:, None]
            return float((a * b).sum())
        C.check(abs(score(7, 3) - score(107, 103)) < 1e-9 and abs(score(7, 3) - score(7, 4)) > 1e-6,
                "rotate_half RoPE: scores depend on relative position only")
        # the half layout equals the complex rotation of pairs (j, j + D/2)
        x = torch.randn(1, 1, 5, cfg3.head_dim, generator=g, dtype=torch.float64)
        c, s = rope_cos_sin(inv64, torch.arange(5)[None], torch.float64)
        y = x * c[:, None] + rotate_half(x) * s[:, None]
        half = cfg3.head_dim // 2
        angle = torch.arange(5, dtype=torch.float64)[:, None] * inv64[None, :]
        z = torch.complex(x[..., :half], x[..., half:]) * torch.polar(torch.ones_like(angle), angle)
        C.check(torch.allclose(torch.cat((z.real, z.imag), -1), y, atol=1e-9), "half layout = complex rotation of (x[j], x[j+D/2])")

        # -- RMSNorm --
        m3 = _load(dirs["llama3"])
        xin = torch.randn(3, 64, generator=g)
        wn = m3.w["model.norm.weight"]
        manual = (xin.double() / torch.sqrt((xin.double() ** 2).mean(-1, keepdim=True) + 1e-5)) * wn.double()
        C.check(torch.allclose(m3.rms_norm(xin, wn).double(), manual, atol=1e-5), "RMSNorm = w * x / sqrt(mean(x^2) + eps)")

        # -- batching, padding, packing --
        for preset in PRESETS:
            print(preset)
            m = _load(dirs[preset])
            a, b = rand_ids(11), rand_ids(6)
            sep = run_logprobs(m, {"sequences": [a]})["results"][0], run_logprobs(m, {"sequences": [b]})["results"][0]
            # left padding
            pad = [0] * 5 + b
            out = run_logprobs(m, {"sequences": [a, pad], "attention_mask": [[1] * 11, [0] * 5 + [1] * 6]})["results"]
            C.check(_max_diff(out[0]["logprobs"], sep[0]["logprobs"]) < tol32 and
                    _max_diff(out[1]["logprobs"][5:], sep[1]["logprobs"]) < tol32 and
                    all(v is None for v in out[1]["logprobs"][:5]),
                    "left-padded batch = unpadded rows", f"{_max_diff(out[1]['logprobs'][5:], sep[1]['logprobs']):.2e}")
            C.check(max(abs(p - q) for p, q in zip(out[1]["last_logits"], sep[1]["last_logits"])) < tol32,
                    "left-padded last logits = unpadded")
            # right padding
            out = run_logprobs(m, {"sequences": [b + [3] * 5], "attention_mask": [[1] * 6 + [0] * 5]})["results"][0]
            C.check(_max_diff(out["logprobs"][:5], sep[1]["logprobs"]) < tol32 and out["last_position"] == 5,
                    "right-padded row = unpadded row")
            # packing via position_ids resets (no attention_mask): block-diagonal attention
            packed = {"sequences": [a + b], "position_ids": [list(range(11)) + list(range(6))]}
            out = run_logprobs(m, packed)["results"][0]
            C.check(_max_diff(out["logprobs"][:10], sep[0]["logprobs"]) < tol32 and
                    _max_diff(out["logprobs"][11:], sep[1]["logprobs"]) < tol32 and
                    out["document_ids"] == [0] * 11 + [1] * 6,
                    "packed 2 documents (position_ids reset) = documents run separately")
            out2 = run_logprobs(m, {"sequences": [a + b], "document_ids": [[0] * 11 + [1] * 6],
                                    "position_ids": [list(range(11)) + list(range(6))]})["results"][0]
            C.check(_max_diff(out2["logprobs"], out["logprobs"]) == 0.0, "explicit document_ids = position_ids resets")
            # batched rows of equal length = rows alone
            c = rand_ids(11)
            both = run_logprobs(m, {"sequences": [a, c]})["results"]
            C.check(_max_diff(both[0]["logprobs"], sep[0]["logprobs"]) < tol32, "batch of 2 = row alone")
            # prefix consistency: logprobs[i] is log softmax of the logits after the prefix a[:i+1]
            pre = run_logprobs(m, {"sequences": [a[:7]]})["results"][0]
            lp = torch.log_softmax(torch.tensor(pre["last_logits"], dtype=torch.float64), -1)[a[7]]
            C.check(abs(float(lp) - sep[0]["logprobs"][6]) < tol32, "logprob at i = softmax of prefix's last logits")
            # float32 vs float64
            m64 = _load(dirs[preset], torch.float64)
            s64 = run_logprobs(m64, {"sequences": [a]})["results"][0]
            d64 = _max_diff(s64["logprobs"], sep[0]["logprobs"])
            C.check(d64 < 1e-4, "float32 agrees with float64", f"{d64:.2e}")
            mbf = _load(dirs[preset], torch.bfloat16)
            sbf = run_logprobs(mbf, {"sequences": [a]})["results"][0]
            dbf = _max_diff(sbf["logprobs"], s64["logprobs"])
            C.check(1e-6 < dbf < 0.1, "bfloat16 is close to float64 but not equal", f"{dbf:.2e}")
            # KV-cache generation = full recomputation
            g1 = run_generate(m, {"prompts": [a, b], "max_new_tokens": 12}, use_cache=True, warmup=0)["results"]
            g2 = run_generate(m, {"prompts": [a, b], "max_new_tokens": 12}, use_cache=False, warmup=0)["results"]
            C.check([r["tokens"] for r in g1] == [r["tokens"] for r in g2] and
                    max(_max_diff(r1["logprobs"], r2["logprobs"]) for r1, r2 in zip(g1, g2)) < tol32,
                    "greedy with KV cache = greedy without")
            full = run_logprobs(m, {"sequences": [a + g2[0]["tokens"]]})["results"][0]["logprobs"][10:]
            C.check(_max_diff(full, g2[0]["logprobs"]) < tol32, "generated tokens' logprobs = logprobs of the full text")

        # -- GQA = MHA with the kv heads duplicated (repeat_interleave order) --
        print("gqa")
        for preset in ("llama3", "mistral"):
            cfg, w = load_checkpoint(dirs[preset])
            raw = dict(cfg.raw, num_key_value_heads=cfg.num_attention_heads)
            w2 = dict(w)
            for L in range(cfg.num_hidden_layers):
                for nm in ("k_proj", "v_proj"):
                    key = f"model.layers.{L}.self_attn.{nm}.weight"
                    wt = w[key].view(cfg.num_key_value_heads, cfg.head_dim, -1)
                    w2[key] = wt.repeat_interleave(cfg.n_rep, dim=0).reshape(-1, cfg.hidden_size)
            mha = LlamaReference(ModelConfig(raw), w2)
            gqa = LlamaReference(cfg, w)
            a = rand_ids(13)
            d = _max_diff(run_logprobs(mha, {"sequences": [a]})["results"][0]["logprobs"],
                          run_logprobs(gqa, {"sequences": [a]})["results"][0]["logprobs"])
            C.check(d < tol32, f"{preset}: GQA (kv={cfg.num_key_value_heads}) = MHA with duplicated kv heads", f"{d:.2e}")

        # -- sliding window (Mistral), one layer: logits at t see tokens t-w+1..t only --
        print("sliding window")
        dsw = os.path.join(tmp, "sw")
        raw = make_config("mistral", [("sliding_window", 4), ("num_hidden_layers", 1)])
        write_checkpoint(dsw, raw, random_weights(ModelConfig(raw), seed=3))
        msw = _load(dsw)
        a = rand_ids(12)
        base_l = run_logprobs(msw, {"sequences": [a]})["results"][0]["last_logits"]
        far = list(a)
        far[11 - 4] = (far[11 - 4] + 1) % 128
        near = list(a)
        near[11 - 3] = (near[11 - 3] + 1) % 128
        l_far = run_logprobs(msw, {"sequences": [far]})["results"][0]["last_logits"]
        l_near = run_logprobs(msw, {"sequences": [near]})["results"][0]["last_logits"]
        C.check(base_l == l_far and base_l != l_near, "window 4: token t-4 is invisible at t, token t-3 is seen")

        # -- sensitivity: each plausible bug moves the logprobs well beyond float32 noise --
        print("sensitivity")
        mutations = [("llama3", "interleaved_rope"), ("llama3", "no_rope_scaling"), ("llama3", "tiled_kv"),
                     ("llama3", "no_norm_weight"), ("llama3", "no_mask"), ("llama3", "no_rope"),
                     ("qwen2", "no_bias"), ("mistral", "interleaved_rope"),
                     ("llama2", "interleaved_rope")]
        a = rand_ids(40)
        for preset, mut in mutations:
            good = run_logprobs(_load(dirs[preset]), {"sequences": [a]})["results"][0]["logprobs"]
            bad = run_logprobs(_load(dirs[preset], ablate=[mut]), {"sequences": [a]})["results"][0]["logprobs"]
            d = _max_diff(good, bad)
            C.check(d > 1e-3, f"{preset}: bug '{mut}' changes logprobs by > 1e-3", f"(max {d:.2e})")
        pk = {"sequences": [rand_ids(20) + rand_ids(20)], "position_ids": [list(range(20)) * 2]}
        good = run_logprobs(_load(dirs["llama3"]), pk)["results"][0]["logprobs"]
        bad = run_logprobs(_load(dirs["llama3"], ablate=["no_document_mask"]), pk)["results"][0]["logprobs"]
        d = _max_diff(good, bad)
        C.check(d > 1e-3, "llama3: bug 'no_document_mask' in a packed row changes logprobs by > 1e-3", f"(max {d:.2e})")
        # RoPE only sees relative positions, so inside a block-diagonal mask, restarting the positions
        # (or not) changes nothing but rounding: a position bug there is invisible in the logprobs.
        bad = run_logprobs(_load(dirs["llama3"], ablate=["no_position_reset"]), pk)["results"][0]["logprobs"]
        d = _max_diff(good, bad)
        C.check(d < tol32, "llama3: with the document mask, position resets change only rounding", f"(max {d:.2e})")

        # -- bad input is reported with its JSON path --
        print("errors")
        for spec, needle in [({"sequences": [[1, 2, 300]]}, "$.sequences[0][2]"),
                             ({"sequences": [[1, 2]], "attention_mask": [[1]]}, "$.attention_mask[0]"),
                             ({"sequences": [[1, 2]], "attention_mask": [[0, 0]]}, "no 1"),
                             ({"sequences": "x"}, "$.sequences")]:
            try:
                run_logprobs(m3, spec, "in.json")
                C.check(False, f"error for {spec}")
            except OracleError as e:
                C.check(str(e).startswith("in.json: ") and needle in str(e), f"error names {needle}", f"({e})")
        try:
            ModelConfig(dict(make_config("llama3"), num_key_value_heads=3), "cfg.json")
            C.check(False, "error for num_key_value_heads=3")
        except OracleError as e:
            C.check("num_key_value_heads" in str(e), "config error names the field", f"({e})")

    print(f"selftest: {C.passed} passed, {C.failed} failed")
    return C.failed == 0


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(prog="llama_reference.py", description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("make-checkpoint", help="write a tiny random checkpoint in the Hugging Face layout")
    p.add_argument("--config", required=True, help=f"preset: {', '.join(sorted(PRESETS))}")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sharded", action="store_true", help="two shards plus model.safetensors.index.json")
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    p.add_argument("--std", type=float, default=0.02, help="std of the matrices' normal init")
    p.add_argument("--set", action="append", metavar="KEY=JSON", help="override a config field (dotted for nested)")

    for name in ("logprobs", "generate"):
        p = sub.add_parser(name)
        p.add_argument("--model", required=True)
        p.add_argument("--input", required=True)
        p.add_argument("--output", required=True)
        p.add_argument("--dtype", choices=sorted(DTYPES), default="float32")
        if name == "logprobs":
            p.add_argument("--all-logits", action="store_true", help="also write every position's logits")
        else:
            p.add_argument("--no-cache", action="store_true", help="recompute the whole prefix every step")
            p.add_argument("--warmup", type=int, default=1, help="untimed warm-up runs")

    p = sub.add_parser("rope")
    p.add_argument("--model", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--positions", default="0,1,2,3")

    p = sub.add_parser("selftest")
    p.add_argument("--verbose", action="store_true")

    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        if args.cmd == "make-checkpoint":
            raw = make_config(args.config, _parse_set(args.set))
            cfg = ModelConfig(raw, f"--config {args.config}")
            files = write_checkpoint(args.out, raw, random_weights(cfg, args.seed, args.std), args.sharded,
                                     DTYPES[args.dtype])
            print(json.dumps({"config": os.path.join(args.out, "config.json"), "files": files}))
        elif args.cmd in ("logprobs", "generate"):
            cfg, w = load_checkpoint(args.model)
            model = LlamaReference(cfg, w, DTYPES[args.dtype])
            spec = read_json(args.input)
            where = "stdin" if args.input == "-" else args.input
            if args.cmd == "logprobs":
                out = run_logprobs(model, spec, where, args.all_logits)
            else:
                out = run_generate(model, spec, where, not args.no_cache, args.warmup)
            write_json(args.output, out)
        elif args.cmd == "rope":
            cfg, _ = load_checkpoint(args.model)
            try:
                positions = [int(x) for x in args.positions.split(",") if x.strip()]
            except ValueError:
                raise OracleError(f"--positions {args.positions!r}: expected comma-separated integers")
            inv = rope_inv_freq(cfg)
            cos, sin = rope_cos_sin(inv, torch.tensor([positions], dtype=torch.int64), torch.float32)
            write_json(args.output, {"format": FORMAT_VERSION, "rope_type": cfg.rope_type, "head_dim": cfg.head_dim,
                                     "inv_freq": [float(v) for v in inv], "positions": positions,
                                     "cos": cos[0].double().tolist(), "sin": sin[0].double().tolist()})
        else:
            return 0 if selftest(args.verbose) else 1
    except OracleError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
