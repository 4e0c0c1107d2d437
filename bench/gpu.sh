#!/usr/bin/env bash
# bench/gpu.sh: the engine benchmark (bench/gpu-bench.ts) on a GPU machine, WebGPU through Dawn on Vulkan
# against wasm, printed as a table; bench/engine.ts too when it was packed and GPU_SH_ENGINE names a backend.
#
#   bash bench/gpu.sh --pack     HERE (npm install done, network for apt): build scratch/gpu-carry/, all that a bare
#                                machine without network needs, as one .tar.xz (~40 MB; the device tool carries at
#                                most 64 MiB): the benchmark bundled by esbuild (no node_modules), tfjs's .wasm files,
#                                Dawn (the `webgpu` package's linux-x64 dawn.node), this Node binary, and the Vulkan
#                                loader (Debian libvulkan1, unpacked only where the machine has none).
#   bash bench/gpu.sh            THERE: unpack to /tmp/splam-gpu, run, print; results in bench/results/gpu.json and,
#                                when $OUT is set (the device tool), $OUT/gpu.json and $OUT/gpu.log.
#   bash bench/gpu.sh --bundle   here: the same packed run, to test it on the software adapter.
#   bash bench/gpu.sh --tsx      here: bench/gpu-bench.ts through tsx from node_modules (no packing).
# Arguments after these go to gpu-bench (e.g. --quick, --backends webgpu). Environment: SPLAM_WEBGPU_BACKEND
# (default auto: Vulkan, then OpenGL ES), GPU_SH_CARRIED_NODE=1 (use the packed Node even if one is
# installed), GPU_SH_TIMEOUT (seconds for gpu-bench, default 230), GPU_SH_ENGINE=<backend> (also run bench/engine.ts).
#
# The device call: run(command="bash bench/gpu.sh", carry=["scratch/gpu-carry"], timeout_s=300)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CARRY=scratch/gpu-carry
ARCHIVE=$CARRY/splam-gpu.tar.xz
WORK=/tmp/splam-gpu

mode=run
case "${1:-}" in
  --pack) mode=pack; shift ;;
  --bundle) mode=run; shift ;;
  --tsx) mode=tsx; shift ;;
esac

pack() {
  local stage
  stage=$(mktemp -d)
  mkdir -p "$stage/app" "$stage/bin" "$stage/debs" "$CARRY"
  local banner="import { createRequire as __splamRequire } from 'node:module'; import { fileURLToPath as __splamPath } from 'node:url'; import { dirname as __splamDir } from 'node:path'; const require = __splamRequire(import.meta.url); const __filename = __splamPath(import.meta.url); const __dirname = __splamDir(__filename);"
  local common=(--bundle --platform=node --format=esm --target=node20 --minify --log-level=warning
    --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu "--banner:js=$banner")
  node_modules/.bin/esbuild bench/gpu-bench.ts "${common[@]}" --outfile="$stage/app/gpu-bench.mjs"
  if [ -f bench/engine.ts ]; then
    node_modules/.bin/esbuild bench/engine.ts "${common[@]}" --external:sharp --external:playwright-core \
      --outfile="$stage/app/engine.mjs" || echo "gpu.sh: bench/engine.ts did not bundle; packing without it" >&2
  fi
  cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$stage/app/"
  mkdir -p "$stage/app/node_modules/webgpu/dist/linux-x64"
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$stage/app/node_modules/webgpu/"
  cp node_modules/webgpu/dist/linux-x64/dawn.node "$stage/app/node_modules/webgpu/dist/linux-x64/"
  cp "$(command -v node)" "$stage/bin/node"
  # The loaders the device README lists (Debian 12 builds; NVIDIA's Vulkan ICD lives in libGLX_nvidia, a glvnd vendor
  # library), and libegl-dev for the unversioned libEGL.so that Dawn's OpenGL ES backend opens.
  (cd "$stage/debs" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 libegl-dev 2>/dev/null)
  rm -f "$ARCHIVE"
  tar -C "$stage" -cf - . | xz -T2 -6 >"$ARCHIVE"
  rm -rf "$stage"
  echo "packed $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1)); device call: run(command=\"bash bench/gpu.sh\", carry=[\"$CARRY\"], timeout_s=300)"
}

unpack() {
  [ -f "$ARCHIVE" ] || { echo "gpu.sh: $ARCHIVE is missing: run 'bash bench/gpu.sh --pack' first (where npm and apt work)" >&2; exit 2; }
  rm -rf "$WORK" && mkdir -p "$WORK"
  if command -v xz >/dev/null; then
    xz -dc "$ARCHIVE" | tar -C "$WORK" -xf -
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$ARCHIVE" "$WORK"
  fi
}

# A Node ≥ 20: the machine's, else the packed one.
pick_node() {
  local major=0
  if command -v node >/dev/null; then major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0); fi
  if [ "${GPU_SH_CARRIED_NODE:-0}" != 1 ] && [ "$major" -ge 20 ]; then
    NODE=$(command -v node)
  else
    NODE=$WORK/bin/node
  fi
}

# The Vulkan loader, glvnd's GL/EGL/GLX dispatch libraries and the NVIDIA ICD files (device README): each packed .deb
# is unpacked into / only on an NVIDIA machine (nvidia-smi) that lacks its library; elsewhere nothing is installed.
declare -A DEB_LIB=([libvulkan1]=libvulkan.so.1 [libegl1]=libEGL.so.1 [libglvnd0]=libGLdispatch.so.0 [libopengl0]=libOpenGL.so.0
  [libgl1]=libGL.so.1 [libglx0]=libGLX.so.0 [libgles2]=libGLESv2.so.2 [libegl-dev]=libEGL.so)
setup_vulkan() {
  local f pkg lib added=()
  command -v nvidia-smi >/dev/null || return 0
  for f in "$WORK"/debs/*.deb; do
    [ -e "$f" ] || continue
    pkg=$(basename "$f" | cut -d_ -f1)
    lib=${DEB_LIB[$pkg]:-}
    if [ -n "$lib" ] && ! ldconfig -p 2>/dev/null | grep -qE "^[[:space:]]+${lib//./\\.} "; then
      if [ "$(id -u)" = 0 ]; then dpkg -x "$f" /; added+=("$pkg"); else echo "gpu.sh: $lib missing and not root" >&2; fi
    fi
  done
  if [ ${#added[@]} -gt 0 ]; then ldconfig; echo "gpu.sh: unpacked ${added[*]}"; fi
  local nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nv" ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
    export VK_DRIVER_FILES=$nv
  fi
  local egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  if [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f "$egl" ]; then export __EGL_VENDOR_LIBRARY_FILENAMES=$egl; fi
}

if [ "$mode" = pack ]; then pack; exit 0; fi

# auto: Vulkan, else OpenGL ES (on an NVIDIA machine through its EGL, still the GPU); the table names the one used.
export SPLAM_WEBGPU_BACKEND=${SPLAM_WEBGPU_BACKEND:-auto}
if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true; fi

if [ "$mode" = tsx ]; then
  NODE=$(command -v node)
  ENTRY=(--import tsx bench/gpu-bench.ts)
  RESULT=bench/results/gpu.json
else
  t0=$(date +%s)
  unpack
  pick_node
  setup_vulkan
  ENTRY=("$WORK/app/gpu-bench.mjs")
  RESULT=$WORK/app/results/gpu.json
  echo "gpu.sh: unpacked in $(( $(date +%s) - t0 )) s; node $("$NODE" --version) ($NODE); VK_DRIVER_FILES=${VK_DRIVER_FILES:-default}"
fi
echo "gpu.sh: SPLAM_WEBGPU_BACKEND=$SPLAM_WEBGPU_BACKEND"

LOG=${OUT:-/tmp}/gpu.log
set +e
timeout "${GPU_SH_TIMEOUT:-230}" "$NODE" "${ENTRY[@]}" --timeout 150 "$@" 2>&1 | grep -v -e '^Warning: max' -e 'artificially reduced' | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
if [ -f "$RESULT" ]; then
  [ "$RESULT" = bench/results/gpu.json ] || cp "$RESULT" bench/results/gpu.json
  [ -z "${OUT:-}" ] || cp "$RESULT" "$OUT/gpu.json"
fi

# bench/engine.ts (another benchmark, packed when present) on request: GPU_SH_ENGINE=<backend>. On webgpu it stops at
# its first training step: lib/train's AdamW reads the loss with dataSync, which Node's WebGPU cannot do.
if [ "$mode" = run ] && [ -n "${GPU_SH_ENGINE:-}" ] && [ -f "$WORK/app/engine.mjs" ]; then
  echo "gpu.sh: bench/engine.ts --quick on $GPU_SH_ENGINE (90 s at most)"
  set +e
  SPLAM_BACKEND=$GPU_SH_ENGINE timeout 90 "$NODE" "$WORK/app/engine.mjs" --quick --no-peers --no-profile --no-ab 2>&1 \
    | grep -v -e '^Warning: max' -e 'artificially reduced' | cut -c1-300 | tail -n 40 | tee -a "$LOG"
  set -e
fi
exit "$status"
