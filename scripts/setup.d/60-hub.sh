# Hub client (src/SftLab/IO/ModelHub.cs): @huggingface/hub from npm is the reference its tests check the
# Hugging Face cache layout against (it writes and reads the same layout as Python's huggingface_hub).
npm_install "$ROOT/tests/oracles/hub"
