#!/usr/bin/env bash
# The SPLAM-variant study of README §3.1: every run of its tables, by phase. Each line of a phase is one recorded run
# (`splam run <config> --set … --name <name>`); a name that already has a finished run in the store is skipped, so
# the script resumes where it stopped. Runs go two at a time, one thread each (2-core machines).
#   bash scripts/splam-variants.sh toys|toys-key|zero|gmm|wembed|wembed-matched|k100|skips|budget|budget-more|lr|latent|latent-linear|latent-wembed|latent-k100|latent-2k|latent-2k-more|latent-4k|all   [--dry-run]
# Several phases: bash scripts/splam-variants.sh "toys gmm" (a space-separated list).
# Store: $SPLAM_STORE (default ./store). Logs: $SPLAM_LOGS (default /tmp/splam-variants).
set -euo pipefail
cd "$(dirname "$0")/.."
PHASE=${1:?usage: splam-variants.sh toys|gmm|skips|budget|lr|latent|all [--dry-run]}
DRY=${2:-}
LOGS=${SPLAM_LOGS:-/tmp/splam-variants}
mkdir -p "$LOGS"

# Variants: a name and the --set overrides that make it from the SPLAM config (experiments/<data>-splam.json).
declare -A V=(
  [lcm]="--set objective.gamma={\"kind\":\"fixed\",\"value\":1}"
  [splam]=""
  [p25]="--set objective.gamma={\"kind\":\"mixture\",\"p\":0.25}"
  [p50]="--set objective.gamma={\"kind\":\"mixture\",\"p\":0.5}"
  [matched]="--set objective.conditioning=\"matched\""
  [matched-p50]="--set objective.conditioning=\"matched\" --set objective.gamma={\"kind\":\"mixture\",\"p\":0.5}"
  [matched-p25]="--set objective.conditioning=\"matched\" --set objective.gamma={\"kind\":\"mixture\",\"p\":0.25}"
  [curriculum]="--set objective.gamma={\"kind\":\"curriculum\",\"lo\":{\"from\":0,\"to\":1}}"
  [matched-curriculum]="--set objective.conditioning=\"matched\" --set objective.gamma={\"kind\":\"curriculum\",\"lo\":{\"from\":0,\"to\":1}}"
  [matched-p50-smooth]="--set objective.conditioning=\"matched\" --set objective.gamma={\"kind\":\"mixture\",\"p\":0.5} --set student.gammaEmbedScale=1"
  [lcm-zero]="--set objective.gamma={\"kind\":\"fixed\",\"value\":1} --set student.gammaProjInit=\"zero\""
  [p50-zero]="--set objective.gamma={\"kind\":\"mixture\",\"p\":0.5} --set student.gammaProjInit=\"zero\""
  [matched-p50-zero]="--set objective.conditioning=\"matched\" --set objective.gamma={\"kind\":\"mixture\",\"p\":0.5} --set student.gammaProjInit=\"zero\""
  [matched-zero]="--set objective.conditioning=\"matched\" --set student.gammaProjInit=\"zero\""
  [lcm-w]="--set objective.gamma={\"kind\":\"fixed\",\"value\":1} --set student.wEmbed={\"dim\":64,\"min\":0,\"max\":4}"
  [p50-w]="--set objective.gamma={\"kind\":\"mixture\",\"p\":0.5} --set student.wEmbed={\"dim\":64,\"min\":0,\"max\":4}"
  [matched-p50-w]="--set objective.conditioning=\"matched\" --set objective.gamma={\"kind\":\"mixture\",\"p\":0.5} --set student.wEmbed={\"dim\":64,\"min\":0,\"max\":4}"
  [matched-p50-linear]="--set objective.conditioning=\"matched\" --set objective.gamma={\"kind\":\"mixture\",\"p\":0.5} --set objective.sigmaGammaForm=\"linear\""
)

lines=()
toy() { # data variant seed [extra --set …] [suffix]
  local data=$1 v=$2 seed=$3 extra=${4:-} suffix=${5:-}
  lines+=("v-$data-$v$suffix-s$seed|experiments/$data-splam.json|${V[$v]} --set seed=$seed --set diagnostics.every=250 $extra")
}
case " $PHASE " in *" toys "*|*" all "*)
  for v in lcm splam p25 p50 matched matched-p50 curriculum matched-curriculum matched-p50-smooth matched-p50-linear; do for s in 0 1 2; do toy ring2d $v $s; done; done ;; esac
case " $PHASE " in *" toys-key "*)
  # The main ring2d rows of `toys` only (LCM, the code, and the two best variants).
  for s in 0 1 2; do for v in lcm splam p50 matched-p50 matched-p50-linear; do toy ring2d $v $s; done; done ;; esac
case " $PHASE " in *" zero "*|*" all "*)
  # The student starting exactly at the teacher (a zero γ-projection, as the latent configs do).
  for s in 0 1 2; do for v in lcm-zero matched-p50-zero p50-zero matched-zero; do toy ring2d $v $s; done; done ;; esac
case " $PHASE " in *" gmm "*|*" all "*)
  for s in 0 1 2; do for v in lcm splam p50 matched-p50 matched-p50-linear; do toy gmm16d $v $s; done; done ;; esac
case " $PHASE " in *" wembed "*|*" all "*)
  # cond2d (4 classes, teacher guided at w = 2): fixed-w students beside LCM's w-embedding (w ~ U[0, 4], sampled at w = 2).
  for s in 0 1 2; do for v in lcm p50 lcm-w p50-w; do toy cond2d $v $s; done; done ;; esac
case " $PHASE " in *" wembed-matched "*|*" all "*)
  for s in 0 1 2; do for v in matched-p50 matched-p50-w; do toy cond2d $v $s; done; done ;; esac
case " $PHASE " in *" k100 "*)
  # k = 100 alone (the first half of `skips`).
  for s in 0 1 2; do for v in lcm p50 matched-p50 splam; do toy ring2d $v $s "--set objective.numDdimTimesteps=10" "-k100"; done; done ;; esac
case " $PHASE " in *" skips "*|*" all "*)
  for k in 100 50; do n=$((1000 / k)); for s in 0 1 2; do for v in lcm p50 matched-p50 splam; do toy ring2d $v $s "--set objective.numDdimTimesteps=$n" "-k$k"; done; done; done ;; esac
case " $PHASE " in *" budget "*|*" all "*)
  for s in 0 1 2; do for v in lcm p50; do toy ring2d $v $s "--set train.steps=8000 --set train.checkpointEvery=1000 --set diagnostics.every=1000" "-8k"; done; done ;; esac
case " $PHASE " in *" budget-more "*|*" all "*)
  for s in 0 1 2; do for v in splam matched-p50; do toy ring2d $v $s "--set train.steps=8000 --set train.checkpointEvery=1000 --set diagnostics.every=1000" "-8k"; done; done ;; esac
case " $PHASE " in *" lr "*|*" all "*)
  for s in 0 1 2; do for lr in 0.0001 0.001; do for v in lcm p50; do toy ring2d $v $s "--set train.lr=$lr" "-lr$lr"; done; done; done ;; esac
case " $PHASE " in *" latent "*|*" all "*)
  # SPLAD on Fashion-MNIST latents: 1,000 steps, FID from 5,000 samples, an FID curve every 125 steps (1,000 samples).
  for vs in lcm:0 matched-p50:0 splam:0 lcm:1 matched-p50:1; do v=${vs%%:*}; s=${vs##*:}
    lines+=("v-fmnist-$v-s$s|experiments/splad-splam-fmnist.json|${V[$v]} --set seed=$s --set train.steps=1000 --set eval.samples=5000 --set eval.noise=[\"fresh\",\"implied\"] --set eval.curve.every=125 --set diagnostics.every=125 --set diagnostics.jumpSamples=64 --set export=\"$LOGS/v-fmnist-$v-s$s.ckpt\"")
  done ;; esac
case " $PHASE " in *" latent-linear "*|*" all "*)
  # The matched view with the DDIM-exact linear σ_γ: every γ < 1 input is then exactly the teacher's DDIM point at t_γ.
  for s in 0 1; do
    lines+=("v-fmnist-matched-p50-linear-s$s|experiments/splad-splam-fmnist.json|${V[matched-p50-linear]} --set seed=$s --set train.steps=1000 --set eval.samples=5000 --set eval.noise=[\"fresh\",\"implied\"] --set eval.curve.every=125 --set diagnostics.every=125 --set diagnostics.jumpSamples=64 --set export=\"$LOGS/v-fmnist-matched-p50-linear-s$s.ckpt\"")
  done ;; esac
case " $PHASE " in *" latent-wembed "*|*" all "*)
  # LCM's w-embedding on the latents: LCM and matched p = 0.5 with `student.wEmbed`, w ~ U[0, 2] around the table's
  # w = 1 (the latent teacher's 50-step FID is best near w = 1: 40.3 / 23.3 / 25.4 / 36.2 at w = 0 / 1 / 2 / 4, README §4),
  # the teacher guided per sample; sampled at guidance.w = 1 (student/steps<n>/…) and at eval.w = 2 (student/w2/steps<n>/…).
  for vs in lcm:0 matched-p50:0 lcm:1 matched-p50:1; do v=${vs%%:*}; s=${vs##*:}
    lines+=("v-fmnist-$v-w-s$s|experiments/splad-splam-fmnist.json|${V[$v]} --set student.wEmbed={\"dim\":64,\"min\":0,\"max\":2} --set eval.w=[2] --set seed=$s --set train.steps=1000 --set eval.samples=5000 --set eval.noise=[\"fresh\",\"implied\"] --set eval.curve.every=125 --set diagnostics.every=125 --set diagnostics.jumpSamples=64 --set export=\"$LOGS/v-fmnist-$v-w-s$s.ckpt\"")
  done ;; esac
case " $PHASE " in *" latent-k100 "*|*" all "*)
  # The same at skip k = 100 (10 grid points), where the paper's motivation says sub-paths should help most.
  for vs in lcm:0 matched-p50:0 matched-p50-linear:0 lcm:1 matched-p50:1 matched-p50-linear:1; do v=${vs%%:*}; s=${vs##*:}
    lines+=("v-fmnist-$v-k100-s$s|experiments/splad-splam-fmnist.json|${V[$v]} --set objective.numDdimTimesteps=10 --set seed=$s --set train.steps=1000 --set eval.samples=5000 --set eval.noise=[\"fresh\",\"implied\"] --set eval.curve.every=125 --set diagnostics.every=125 --set diagnostics.jumpSamples=64 --set export=\"$LOGS/v-fmnist-$v-k100-s$s.ckpt\"")
  done ;; esac
case " $PHASE " in *" latent-2k-more "*|*" all "*)
  # At 2,000 steps: which part of matched p = 0.5 matters under the deterministic chain — the rss σ_γ (against the
  # linear one, whose sub-path points lie on the DDIM line) and the share of γ = 1 samples (p = 0.25).
  for vs in matched-p50-linear:0 matched-p25:0 matched-p50-linear:1 matched-p25:1; do v=${vs%%:*}; s=${vs##*:}
    lines+=("v-fmnist-$v-2k-s$s|experiments/splad-splam-fmnist.json|${V[$v]} --set seed=$s --set train.steps=2000 --set train.checkpointEvery=500 --set eval.samples=5000 --set eval.noise=[\"fresh\",\"implied\"] --set eval.curve.every=250 --set diagnostics.every=0 --set export=\"$LOGS/v-fmnist-$v-2k-s$s.ckpt\"")
  done ;; esac
for b in 2 4; do case " $PHASE " in *" latent-${b}k "*|*" all "*)
  # 2× and 4× the budget (2,000 and 4,000 steps, same lr), LCM against matched p = 0.5: does the gap close or open with training?
  for vs in lcm:0 matched-p50:0 lcm:1 matched-p50:1; do v=${vs%%:*}; s=${vs##*:}
    lines+=("v-fmnist-$v-${b}k-s$s|experiments/splad-splam-fmnist.json|${V[$v]} --set seed=$s --set train.steps=${b}000 --set train.checkpointEvery=500 --set eval.samples=5000 --set eval.noise=[\"fresh\",\"implied\"] --set eval.curve.every=$((b * 125)) --set diagnostics.every=0 --set export=\"$LOGS/v-fmnist-$v-${b}k-s$s.ckpt\"")
  done ;; esac; done

finished() { node bin/splam.mjs runs ls --json --status finished 2>/dev/null | python3 -c "import json,sys; print('\n'.join(r['name'] for r in json.load(sys.stdin)))" 2>/dev/null; }
done_names=$(finished || true)
todo=()
declare -A seen=()
for l in "${lines[@]}"; do name=${l%%|*}; [ -n "${seen[$name]:-}" ] && continue; seen[$name]=1; grep -qx -- "$name" <<<"$done_names" || todo+=("$l"); done
echo "splam-variants: phase $PHASE, ${#lines[@]} runs, ${#todo[@]} to do (logs in $LOGS)"
[ "$DRY" = "--dry-run" ] && { printf '%s\n' "${todo[@]}"; exit 0; }
run_one() {
  IFS='|' read -r name config sets <<<"$1"
  local args
  read -ra args <<<"$sets"   # JSON values hold no spaces; no eval, so their quotes reach splam as written
  if OMP_NUM_THREADS=1 node bin/splam.mjs run "$config" "${args[@]}" --name "$name" >"$LOGS/$name.log" 2>&1; then echo "done   $name"; else echo "FAILED $name (see $LOGS/$name.log)"; fi
}
export -f run_one; export LOGS
printf '%s\n' "${todo[@]}" | xargs -d '\n' -P "${SPLAM_PARALLEL:-2}" -I{} bash -c 'run_one "$@"' _ {}
