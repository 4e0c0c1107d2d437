#!/usr/bin/env bash
# splam-lab set-up, one command on a fresh machine:
#   bash scripts/setup.sh              install everything, then run the main job (recorded in ./store)
#   bash scripts/setup.sh --install-only   install only (what CI does before the tests)
#   bash scripts/setup.sh --with-bench     also the benchmarks' peers (numpy + OpenBLAS, PyTorch CPU)
# Installs the npm packages (npm ci) and the Debian packages the project uses where they are missing
# (apt-get, as root or through sudo). Nothing is downloaded at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_MAIN=1
BENCH=0
for arg in "$@"; do
  case "$arg" in
    --install-only) RUN_MAIN=0 ;;
    --with-bench) BENCH=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $arg (allowed: --install-only, --with-bench, --help)" >&2; exit 2 ;;
  esac
done

# Debian packages the project uses (add here as features need them; each with its reason).
DEBIAN_PACKAGES=(
  git                 # provenance of every run (commit and dirty flag)
  jupyter-nbconvert   # notebooks: Jupyter, to run notebooks/ (nbconvert pulls in nbformat)
  python3-nbclient    # notebooks: executes them headless (splam notebook run, CI)
  jupyter-client      # notebooks: kernel management for nbclient
  chromium            # PNG export of plotly figures (lib/viz/png.ts, splam report) through playwright-core
  fonts-dejavu-core   # text in those PNGs
  dataset-fashion-mnist  # the image tier's data (/usr/share/datasets/fashion-mnist; SPLAM_FASHION_MNIST overrides)
  libegl1 libegl-mesa0 libegl-dev libgl1-mesa-dri  # WebGPU backend test on Mesa's software OpenGL ES (Dawn opens libEGL.so)
  g++ make libdnnl-dev  # the native backend: splam-native addon (native/) built against oneDNN, the default engine
  slurm-wlm munge     # splam sweep --engine slurm: test/slurm/ runs on a single-node cluster (scripts/slurm-start.sh)
  postgresql          # the PostgreSQL run store (SPLAM_STORE=postgres://…): its tests run on a private cluster (scripts/pg-start.sh)
  python3-venv        # .venv-jupyterlab*/: JupyterLab for the notebooks' browser check (scripts/jupyterlab-venv.sh)
)

# The benchmarks' peers (bench/engine.ts, bench/solvers.ts): only with --with-bench; tests never need them.
BENCH_PACKAGES=(
  python3-numpy         # native BLAS peak and the numpy peer
  libopenblas0-pthread  # OpenBLAS behind numpy and Debian's torch (instead of the reference BLAS)
  python3-torch         # the PyTorch CPU peer of bench/engine.ts
)
if [ "$BENCH" -eq 1 ]; then DEBIAN_PACKAGES+=("${BENCH_PACKAGES[@]}"); fi

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else
      echo "setup: need root to install ${missing[*]}; run: apt-get install -y ${missing[*]}" >&2; exit 1
    fi
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "setup: installing npm packages"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

echo "setup: building the native addon (native/, against Debian's oneDNN)"
# node-gyp builds against Node's own headers; point it at Debian's (/usr/include/node) if npm has no nodedir set,
# so that it never tries to download them.
if [ "$(npm config get nodedir 2>/dev/null)" = "undefined" ] && [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi
npm run --silent build:native >/dev/null || { echo "setup: the native addon failed to build; rerun: npm run build:native" >&2; exit 1; }

bash scripts/jupyterlab-venv.sh      # JupyterLab in .venv-jupyterlab/, and with plotly's renderer in .venv-jupyterlab-plotly/ (pip), for the notebooks' browser check
node bin/splam.mjs notebook kernel   # the project-local tslab kernelspec (.jupyter/) and how to open the notebooks here
node bin/splam.mjs doctor            # backend, Chromium, Jupyter, the kernelspec just written, the store

if [ "$RUN_MAIN" -eq 1 ]; then
  echo "setup: the main job: LCM, SPLAM (the code) and SPLAM (matched + p = 0.5) on ring2d, about a minute each, recorded in ${SPLAM_STORE:-./store}"
  node --import tsx scripts/main-job.ts
fi
