#!/usr/bin/env bash
# Compare nrdfer's speed with the PyTorch peer on the same model and batch.
#
# Runs `nrdfer bench` and bench/torch_peer.py alternately, REPEATS times each,
# and prints the median clips/s of both for inference and training, their
# ratios (nrdfer / pytorch), the commands, and the machine.
#
# Usage: bash bench/compare.sh [--batch N] [--threads N] [--iters K] [--repeats R]
#            [--preset paper|small] [--nrdfer PATH] [--torch-only]
# Defaults: batch 8, threads 2, iters 3, repeats 5, preset paper, nrdfer build/nrdfer.
# --torch-only runs the PyTorch side alone (also what happens, with a warning,
# when the nrdfer program is not found).
set -euo pipefail
cd "$(dirname "$0")/.."

batch=8
threads=2
iters=3
repeats=5
preset=paper
nrdfer=build/nrdfer
torch_only=0

usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
    --batch) batch=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --iters) iters=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --preset) preset=$2; shift 2 ;;
    --nrdfer) nrdfer=$2; shift 2 ;;
    --torch-only) torch_only=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
for value in "$batch" "$threads" "$iters" "$repeats"; do
    if ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then
        echo "error: '$value' is not a positive integer" \
            "(--batch, --threads, --iters, --repeats)" >&2
        exit 2
    fi
done
if [ "$torch_only" = 0 ] && [ ! -x "$nrdfer" ]; then
    echo "warning: $nrdfer not found or not executable; timing the PyTorch side only" >&2
    torch_only=1
fi

# NOTE: assumes nrdfer bench defaults to the paper preset and takes --preset for others.
nrdfer_cmd=("$nrdfer" bench --batch "$batch" --threads "$threads" --json)
[ "$preset" != paper ] && nrdfer_cmd+=(--preset "$preset")
torch_cmd=(/usr/bin/python3 bench/torch_peer.py --preset "$preset" --batch "$batch"
    --threads "$threads" --iters "$iters" --json)

results=$(mktemp)
trap 'rm -f "$results"' EXIT

# Runs one command and appends "IMPL<tab>JSON" to the results; the JSON is
# the last output line that starts with "{", so log lines are skipped.
run_one() {
    local impl=$1 output line
    shift
    echo "run $i/$repeats: $*" >&2
    if ! output=$("$@"); then
        echo "error: '$*' failed" >&2
        exit 1
    fi
    line=$(printf '%s\n' "$output" | grep '^{' | tail -n 1 || true)
    if [ -z "$line" ]; then
        echo "error: '$*' printed no JSON line" >&2
        exit 1
    fi
    printf '%s\t%s\n' "$impl" "$line" >>"$results"
}

# Alternate the two programs so that load changes on the machine hit both alike.
for ((i = 1; i <= repeats; i++)); do
    [ "$torch_only" = 0 ] && run_one nrdfer "${nrdfer_cmd[@]}"
    run_one pytorch "${torch_cmd[@]}"
done

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), nproc $(nproc)"
[ "$torch_only" = 0 ] && echo "nrdfer:  ${nrdfer_cmd[*]}"
echo "pytorch: ${torch_cmd[*]}"
/usr/bin/python3 - "$results" "$repeats" <<'EOF'
import json
import statistics
import sys

path, repeats = sys.argv[1], int(sys.argv[2])
runs = {}
with open(path) as f:
    for line in f:
        impl, text = line.rstrip("\n").split("\t", 1)
        runs.setdefault(impl, []).append(json.loads(text))

medians = {}
for impl, records in sorted(runs.items()):
    if len(records) != repeats:
        print(f"warning: {impl} gave {len(records)} results for {repeats} runs")
    medians[impl] = {
        key: statistics.median(r[key] for r in records)
        for key in ("infer_clips_per_s", "train_clips_per_s", "peak_rss_mb")
    }
    m = medians[impl]
    print(f"{impl:8s} median of {len(records)}: "
          f"infer {m['infer_clips_per_s']:.3f} clips/s, "
          f"train {m['train_clips_per_s']:.3f} clips/s, "
          f"peak RSS {m['peak_rss_mb']:.0f} MB")

if "nrdfer" in medians and "pytorch" in medians:
    for kind in ("infer", "train"):
        key = kind + "_clips_per_s"
        ratio = medians["nrdfer"][key] / medians["pytorch"][key]
        print(f"ratio nrdfer/pytorch {kind}: {ratio:.3f}")
EOF
