#!/usr/bin/env bash
# JupyterLab for the browser check of executed notebooks (issue 15 item 2, lib/notebook/jupyterlab-check.ts):
# a project-local virtual environment .venv-jupyterlab/ (git-ignored) with jupyterlab and plotly (whose package
# carries JupyterLab's plotly renderer; the check also runs with that renderer disabled), from the Python package
# index through pip. Where the default index cannot be reached, the index URLs of pip's own configuration
# (global.index-url, global.extra-index-url: a local mirror) are used instead. Idempotent; exits 1 when JupyterLab
# cannot be installed, so CI fails rather than skipping the check.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-jupyterlab
PY=${SPLAM_VENV_PYTHON:-/usr/bin/python3}
PACKAGES=(jupyterlab plotly)
if [ -x "$VENV/bin/jupyter-lab" ] && "$VENV/bin/python" -c 'import jupyterlab, plotly' 2>/dev/null; then
  echo "setup: JupyterLab $("$VENV/bin/python" -c 'import jupyterlab; print(jupyterlab.__version__)') in $VENV"; exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV" || { echo "setup: cannot make $VENV with $PY -m venv (apt-get install -y python3-venv)" >&2; exit 1; }
pip=("$VENV/bin/python" -m pip --disable-pip-version-check)
index_args=()
if [ -n "${SPLAM_PIP_INDEX:-}" ]; then
  index_args=(--index-url "$SPLAM_PIP_INDEX")
elif ! timeout 60 "${pip[@]}" download --isolated --no-deps --timeout 10 --retries 0 -q -d "$(mktemp -d)" pip >/dev/null 2>&1; then
  # The default index is out of reach: use the configured ones as the index.
  urls=$("${pip[@]}" config list 2>/dev/null | sed -n "s/^global\.\(extra-\)\{0,1\}index-url='\(.*\)'$/\2/p" | tr ' ' '\n' | grep . || true)
  if [ -n "$urls" ]; then
    first=1
    for u in $urls; do if [ $first -eq 1 ]; then index_args+=(--index-url "$u"); first=0; else index_args+=(--extra-index-url "$u"); fi; done
    echo "setup: the default package index is out of reach; installing JupyterLab from the configured index ($(echo $urls | tr '\n' ' '))"
  fi
fi
echo "setup: installing ${PACKAGES[*]} into $VENV"
if ! "${pip[@]}" install -q "${index_args[@]}" "${PACKAGES[@]}" 2> >(grep -v "^WARNING: Location" >&2); then
  echo "setup: JupyterLab could not be installed into $VENV (pip install ${PACKAGES[*]}); set SPLAM_PIP_INDEX=<index URL> to choose the index" >&2
  exit 1
fi
"$VENV/bin/python" -c 'import jupyterlab, plotly; print("setup: JupyterLab", jupyterlab.__version__, "and plotly", plotly.__version__, "in '"$VENV"'")'
