#!/usr/bin/env bash
# JupyterLab for the browser check of executed notebooks (lib/notebook/jupyterlab-check.ts):
# two project-local virtual environments (git-ignored), from the Python package index through pip:
# .venv-jupyterlab/ with jupyterlab only (a plain JupyterLab, no plotly renderer) and .venv-jupyterlab-plotly/ with
# jupyterlab and plotly (whose package carries JupyterLab's plotly renderer). Where the default index cannot be reached, the index URLs of pip's own configuration
# (global.index-url, global.extra-index-url: a local mirror) are used instead. Idempotent; exits 1 when JupyterLab
# cannot be installed, so CI fails rather than skipping the check.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${SPLAM_VENV_PYTHON:-/usr/bin/python3}
pip_in() { "$1/bin/python" -m pip --disable-pip-version-check "${@:2}"; }
index_args=()
index_chosen=0
choose_index() {
  [ "$index_chosen" -eq 1 ] && return 0
  index_chosen=1
  if [ -n "${SPLAM_PIP_INDEX:-}" ]; then index_args=(--index-url "$SPLAM_PIP_INDEX"); return 0; fi
  if ! timeout 60 pip_in "$1" download --isolated --no-deps --timeout 10 --retries 0 -q -d "$(mktemp -d)" pip >/dev/null 2>&1; then
    # The default index is out of reach: use the configured ones as the index.
    local urls first=1 u
    urls=$(pip_in "$1" config list 2>/dev/null | sed -n "s/^global\.\(extra-\)\{0,1\}index-url='\(.*\)'$/\2/p" | tr ' ' '\n' | grep . || true)
    for u in $urls; do if [ $first -eq 1 ]; then index_args+=(--index-url "$u"); first=0; else index_args+=(--extra-index-url "$u"); fi; done
    [ -n "$urls" ] && echo "setup: the default package index is out of reach; installing JupyterLab from the configured index ($(echo $urls | tr '\n' ' '))"
  fi
  return 0
}
install_venv() { # VENV PACKAGE...
  local venv=$1; shift
  local mods; mods=$(printf '%s\n' "$@" | tr '\n' ',' | sed 's/,$//')
  if [ -x "$venv/bin/jupyter-lab" ] && "$venv/bin/python" -c "import $mods" 2>/dev/null; then
    echo "setup: JupyterLab $("$venv/bin/python" -c 'import jupyterlab; print(jupyterlab.__version__)') in $venv ($*)"; return 0
  fi
  [ -x "$venv/bin/python" ] || "$PY" -m venv "$venv" || { echo "setup: cannot make $venv with $PY -m venv (apt-get install -y python3-venv)" >&2; exit 1; }
  choose_index "$venv"
  echo "setup: installing $* into $venv"
  if ! pip_in "$venv" install -q "${index_args[@]}" "$@" 2> >(grep -v "^WARNING: Location" >&2); then
    echo "setup: JupyterLab could not be installed into $venv (pip install $*); set SPLAM_PIP_INDEX=<index URL> to choose the index" >&2
    exit 1
  fi
  "$venv/bin/python" -c "import $mods, jupyterlab; print('setup: JupyterLab', jupyterlab.__version__, 'in $venv ($*)')"
}
install_venv .venv-jupyterlab jupyterlab
install_venv .venv-jupyterlab-plotly jupyterlab plotly
