#!/usr/bin/env bash
# Ablation study on the synthetic benchmark. It trains the full NR-DFERNet,
# each ablation (no static branch, no dynamic branch, learned class token) and
# the single-frame baseline with the same recipe and budget, for several seeds.
# Each selected checkpoint is evaluated on the test fold with and without the
# snippet filter, and the mean and standard deviation of UAR and WAR are written.
#
# usage: bash bench/ablation.sh [--epochs N] [--seeds "1 2 3"] [--threads N]
#                               [--out DIR] [--data DIR] [--update-docs]
#
# Results go to DIR/ablation.md and DIR/ablation.csv (default DIR: runs/ablation);
# --update-docs also replaces the ablation table in docs/benchmarks.md.
# Finished runs (DIR/<variant>-seed<S>/eval-sf-on.json present) with the same
# --epochs and --data are reused, so a stopped study continues where it ended.
# The data is the README demo's synthetic set (2000 clips, seed 1, noise high,
# 64 px), generated into DATA (default runs/synth-2000) when it is missing.
# These are figures on synthetic faces, not DFEW results. NRDFER names
# another binary than build/nrdfer (a copy keeps a long study away from
# rebuilds).
set -euo pipefail
cd "$(dirname "$0")/.."

epochs=20
seeds="1 2 3"
threads=0
out=runs/ablation
data=runs/synth-2000
update_docs=0
while [ $# -gt 0 ]; do
    case "$1" in
    --epochs) epochs=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --update-docs) update_docs=1; shift ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "bench/ablation.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

nrdfer=${NRDFER:-build/nrdfer}
if [ ! -x "$nrdfer" ] && [ -z "${NRDFER:-}" ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j "$(nproc)"
fi
if [ ! -f "$data/synth.json" ]; then
    "$nrdfer" synth --out "$data" --clips 2000 --noise high --size 64 --force
fi
mkdir -p "$out"

# Variant name and the train options that make it.
variants=(
    "full|"
    "no-static|--static-branch off"
    "no-dynamic|--dynamic-branch off"
    "learned-cls|--learned-cls-token"
    "single-frame|--single-frame"
)

# Prints why the finished run $1 does not belong to this study (its config.json
# names other epochs or data), or nothing when it can be reused.
stale_reason() {
    /usr/bin/python3 - "$1/config.json" "$epochs" "$data" <<'EOF'
import json
import os
import sys

path, epochs, data = sys.argv[1:]
try:
    with open(path) as f:
        config = json.load(f)
except (OSError, ValueError) as err:
    print(f"its {path} cannot be read ({err})")
    sys.exit()
if config.get("epochs") != int(epochs):
    print(f"it was trained for {config.get('epochs')} epochs, not {epochs}")
elif os.path.realpath(config.get("root") or "") != os.path.realpath(data):
    print(f"it was trained on {config.get('root')}, not {data}")
EOF
}

start=$(date +%s)
for entry in "${variants[@]}"; do
    name=${entry%%|*}
    options=${entry#*|}
    for seed in $seeds; do
        run="$out/$name-seed$seed"
        if [ -f "$run/eval-sf-on.json" ] && [ -f "$run/eval-sf-off.json" ]; then
            reason=$(stale_reason "$run")
            if [ -z "$reason" ]; then
                echo "== $name seed $seed: done before, reusing $run"
                continue
            fi
            echo "== $name seed $seed: training $run again, because $reason"
        fi
        echo "== $name seed $seed ($(($(date +%s) - start)) s so far)"
        # shellcheck disable=SC2086
        "$nrdfer" train --dataset dfew --root "$data" --fold 1 --preset small $options \
            --optimizer adamw --lr 0.003 --weight-decay 0.05 --schedule cosine --warmup 1 \
            --epochs "$epochs" --train-eval-clips 0 --seed "$seed" \
            --out "$run" --force --threads "$threads" >"$run.log" 2>&1 || {
            echo "training $name seed $seed failed; see $run.log" >&2
            exit 1
        }
        for sf in on off; do
            "$nrdfer" eval --model "$run/best.safetensors" --dataset dfew --root "$data" \
                --fold 1 --snippet-filter "$sf" --threads "$threads" --json \
                >"$run/eval-sf-$sf.json.tmp" 2>>"$run.log"
            mv "$run/eval-sf-$sf.json.tmp" "$run/eval-sf-$sf.json"
        done
    done
done
echo "== all runs finished in $(($(date +%s) - start)) s"

/usr/bin/python3 bench/ablation_table.py --runs "$out" --epochs "$epochs" \
    --seeds "$seeds" --threads "$threads" --out "$out" \
    $([ "$update_docs" = 1 ] && echo --update-docs docs/benchmarks.md)
