#!/usr/bin/env bash
# bench/gpu.sh: the GPU benchmark (bench/gpu-bench.ts) as one prepared script of at most 5 minutes for a
# GPU machine without network, run from a carried working tree: the adapter; matmul and conv throughput against the
# adapter's stated FP32 peak; a training step and a 4-step sampler of each network (latent U-Net at batch 128 with
# 1,000 samples, MLP student, autoencoder, classifier) on WebGPU (Dawn on Vulkan) against the native backend (oneDNN)
# on the same machine's CPU at 2 threads and at every core; a profile of the U-Net step; a 1,000-step run of
# experiments/quick/distill.json on WebGPU and on native (2 threads). Results: bench/results/gpu.json and, when $OUT
# is set (the device tool), $OUT/gpu.json and $OUT/gpu.log; saved after every child process, so a run cut short still
# leaves what it measured. On a software adapter the file is gpu-mesa[-quick].json: not a GPU figure.
#
#   bash bench/gpu.sh --pack     HERE (npm install and npm run build:native done, apt works): build
#                                scratch/gpu-carry/splam-gpu.tar.xz, all that a bare machine without network needs
#                                (~60 MB; the device tool carries at most 64 MiB): the benchmark and lib/ bundled by
#                                esbuild (no node_modules), experiments/quick/distill.json, tfjs's .wasm files, Dawn
#                                (the `webgpu` package's linux-x64 dawn.node), the native addon with libdnnl.so.2 (oneDNN
#                                2.6), libgomp.so.1 and libOpenCL.so.1 (each used only where the machine lacks it), this
#                                Node binary, and the Vulkan/EGL loaders (Debian .debs, unpacked only where missing).
#   bash bench/gpu.sh            THERE: unpack to /tmp/splam-gpu, run, print.
#   bash bench/gpu.sh --bundle   here: the same packed run, to test it (on Mesa's software adapter: add --quick).
#   bash bench/gpu.sh --tsx      here: bench/gpu-bench.ts through tsx from node_modules (no packing).
# Arguments after these go to gpu-bench: --quick (small sizes, to test the script on a software adapter in a few
# minutes), --backends webgpu,native2,nativeAll,distill-webgpu,distill-native2 (default: all), --no-distill,
# --distill-steps <n> (default 1000), --deadline <s> (default 265; quick 480).
# Environment: SPLAM_WEBGPU_BACKEND (default auto: Vulkan, then OpenGL ES), GPU_SH_CARRIED_NODE=1 (use the packed
# Node even if one is installed), GPU_SH_TIMEOUT (seconds for gpu-bench before it is killed: default 285; quick 540),
# GPU_SH_PACKED_LIBS=1 (use every packed library of the native addon, even where the machine has it: a test here),
# GPU_BENCH_TIMESTAMPS=0 (do not ask Dawn for timestamp queries, allow_unsafe_apis, used by the kernel profile only).
#
# The device call (one call, about 5 minutes; bash bench/gpu.sh --pack first, here):
#   run(command="bash bench/gpu.sh", carry=["scratch/gpu-carry"], timeout_s=330)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CARRY=scratch/gpu-carry
ARCHIVE=$CARRY/splam-gpu.tar.xz
WORK=/tmp/splam-gpu
LIMIT_MIB=60

mode=run
case "${1:-}" in
  --pack) mode=pack; shift ;;
  --bundle) mode=run; shift ;;
  --tsx) mode=tsx; shift ;;
esac
quick=0
for a in "$@"; do [ "$a" = --quick ] && quick=1; done

pack() {
  local stage addon=native/build/Release/splam_native.node
  [ -f "$addon" ] || { echo "gpu.sh: $addon is missing: npm run build:native first" >&2; exit 2; }
  stage=$(mktemp -d)
  mkdir -p "$stage/app" "$stage/bin" "$stage/debs" "$stage/native/lib" "$CARRY"
  local banner="import { createRequire as __splamRequire } from 'node:module'; import { fileURLToPath as __splamPath } from 'node:url'; import { dirname as __splamDir } from 'node:path'; const require = __splamRequire(import.meta.url); const __filename = __splamPath(import.meta.url); const __dirname = __splamDir(__filename);"
  node_modules/.bin/esbuild bench/gpu-bench.ts --bundle --platform=node --format=esm --target=node20 --minify --log-level=warning \
    --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu --external:pg-native \
    "--banner:js=$banner" --outfile="$stage/app/gpu-bench.mjs"
  cp experiments/quick/distill.json "$stage/app/distill.json"
  cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$stage/app/"
  mkdir -p "$stage/app/node_modules/webgpu/dist/linux-x64"
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$stage/app/node_modules/webgpu/"
  cp node_modules/webgpu/dist/linux-x64/dawn.node "$stage/app/node_modules/webgpu/dist/linux-x64/"
  # The native backend: the addon and the shared libraries a bare machine may lack (oneDNN and what it links).
  cp "$addon" "$stage/native/splam_native.node"
  local lib path
  for lib in libdnnl.so.2 libgomp.so.1 libOpenCL.so.1; do
    path=$( (ldd "$addon"; ldd "$(ldd "$addon" | awk '/libdnnl/ {print $3}')") | awk -v l="$lib" '$1 == l {print $3; exit}')
    [ -n "$path" ] || { echo "gpu.sh: $lib not found by ldd" >&2; exit 2; }
    cp -L "$path" "$stage/native/lib/$lib"
  done
  cp "$(command -v node)" "$stage/bin/node"
  # The loaders the device README lists (Debian 12 builds; NVIDIA's Vulkan ICD lives in libGLX_nvidia, a glvnd vendor
  # library), and libegl-dev for the unversioned libEGL.so that Dawn's OpenGL ES backend opens.
  (cd "$stage/debs" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 libegl-dev 2>/dev/null)
  rm -f "$ARCHIVE"
  tar -C "$stage" -cf - . | xz -T2 -9 >"$ARCHIVE"
  rm -rf "$stage"
  local bytes; bytes=$(stat -c %s "$ARCHIVE")
  echo "packed $ARCHIVE: $((bytes / 1048576)) MiB ($bytes bytes); device call: run(command=\"bash bench/gpu.sh\", carry=[\"$CARRY\"], timeout_s=330)"
  if [ "$bytes" -gt $((LIMIT_MIB * 1048576)) ]; then
    echo "gpu.sh: WARNING: over ${LIMIT_MIB} MiB; the device tool carries at most 64 MiB with the working tree" >&2
  fi
}

unpack() {
  [ -f "$ARCHIVE" ] || { echo "gpu.sh: $ARCHIVE is missing: run 'bash bench/gpu.sh --pack' first (where npm and apt work)" >&2; exit 2; }
  rm -rf "$WORK" && mkdir -p "$WORK"
  if command -v xz >/dev/null; then
    xz -T0 -dc "$ARCHIVE" | tar -C "$WORK" -xf -
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


# The native addon, and each packed library the machine lacks (symlinked into one folder on LD_LIBRARY_PATH; the
# machine's own libgomp / libOpenCL win where present). If the addon still cannot load, gpu-bench falls back to wasm
# and says so in its table and JSON.
setup_native() {
  local addon=$WORK/native/splam_native.node f lib missing
  [ -f "$addon" ] || { echo "gpu.sh: no native addon packed: the CPU peer will be wasm"; return 0; }
  export SPLAM_NATIVE_ADDON=$addon
  mkdir -p "$WORK/native/ld"
  for f in "$WORK"/native/lib/*; do
    lib=$(basename "$f")
    if [ "${GPU_SH_PACKED_LIBS:-0}" = 1 ] || ! ldconfig -p 2>/dev/null | grep -qE "^[[:space:]]+${lib//./\\.} "; then
      ln -sf "$f" "$WORK/native/ld/$lib"
    fi
  done
  export LD_LIBRARY_PATH=$WORK/native/ld${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  missing=$(ldd "$addon" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
  echo "gpu.sh: native addon with packed $(ls "$WORK/native/ld" | tr '\n' ' ')${missing:+; STILL MISSING: $missing(gpu-bench falls back to wasm)}"
}

if [ "$mode" = pack ]; then pack; exit 0; fi

# auto: Vulkan, else OpenGL ES (on an NVIDIA machine through its EGL, still the GPU); the table names the one used.
export SPLAM_WEBGPU_BACKEND=${SPLAM_WEBGPU_BACKEND:-auto}
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  GPU_SH_GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 || true)
  export GPU_SH_GPU_NAME
fi

t0=$(date +%s)
if [ "$mode" = tsx ]; then
  NODE=$(command -v node)
  ENTRY=(--import tsx bench/gpu-bench.ts)
else
  unpack
  pick_node
  setup_vulkan
  setup_native
  ENTRY=("$WORK/app/gpu-bench.mjs")
  echo "gpu.sh: unpacked in $(( $(date +%s) - t0 )) s; node $("$NODE" --version) ($NODE); VK_DRIVER_FILES=${VK_DRIVER_FILES:-default}"
fi
echo "gpu.sh: SPLAM_WEBGPU_BACKEND=$SPLAM_WEBGPU_BACKEND"

LOG=${OUT:-/tmp}/gpu.log
OUTCOPY=()
[ -z "${OUT:-}" ] || OUTCOPY=(--out-copy "$OUT/gpu.json")
if [ "$quick" = 1 ]; then limit=${GPU_SH_TIMEOUT:-540}; else limit=${GPU_SH_TIMEOUT:-285}; fi
set +e
timeout -k 5 "$limit" "$NODE" "${ENTRY[@]}" --results-dir "$ROOT/bench/results" "${OUTCOPY[@]}" "$@" 2>&1 \
  | grep -v -e '^Warning: max' -e 'artificially reduced' | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
echo "gpu.sh: done in $(( $(date +%s) - t0 )) s (exit $status)" | tee -a "$LOG"
exit "$status"
