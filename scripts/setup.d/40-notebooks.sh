# Notebooks (src/SftLab.Kernel): the C# Jupyter kernel speaks ZeroMQ through Debian's libzmq5.
# - python3-jupyter-client, python3-nbclient, python3-nbformat: Jupyter's own client, used by
#   `sftlab notebook run` (src/SftLab.Kernel/python/run_notebook.py) and by the protocol tests;
#   jupyter-client gives `jupyter kernelspec`, jupyter-nbconvert `jupyter nbconvert --execute`.
# - jupyter-notebook (classic UI) + chromium + playwright-core (npm): the browser test that runs
#   notebooks/00-welcome.ipynb in a real page (tests/oracles/jupyter/browser_test.mjs).
# - python3-ipykernel: the peer kernel of `sftlab kernel bench`.
need_packages libzmq5 python3-jupyter-client jupyter-client python3-nbclient python3-nbformat \
  jupyter-nbconvert jupyter-notebook python3-ipykernel chromium
npm_install "$ROOT/tests/oracles/jupyter"
