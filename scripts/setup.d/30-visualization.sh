# Visualization (src/SftLab/Visualization): plotly.js from npm for figures in notebooks, offline
# HTML pages and the tests' validation oracle; Debian's chromium renders PNGs headlessly.
need_packages chromium
npm_install "$ROOT/vendor/plotly"
