#!/usr/bin/python3
"""Summarise the runs of bench/ablation.sh: mean and standard deviation over
seeds of test UAR and WAR, with and without the snippet filter.

Reads RUNS/<variant>-seed<S>/eval-sf-{on,off}.json and the runs' train logs; writes OUT/ablation.md and OUT/ablation.csv, and with
--update-docs FILE replaces the text between the ablation markers of FILE.
"""

import argparse
import csv
import json
import os
import re
import statistics
import sys

VARIANTS = [
    ("full", "NR-DFERNet (DSF + DCT)"),
    ("no-static", "without static branch"),
    ("no-dynamic", "without dynamic branch"),
    ("learned-cls", "learned class token instead of DCT"),
    ("single-frame", "single-frame baseline"),
]
BEGIN = "<!-- ablation table: written by bench/ablation_table.py -->"
END = "<!-- end of ablation table -->"


def mean_std(values):
    """Return 'mean ± std' in percent (sample standard deviation), or the
    value alone for a single seed."""
    mean = statistics.mean(values) * 100
    if len(values) == 1:
        return f"{mean:.1f}"
    return f"{mean:.1f} ± {statistics.stdev(values) * 100:.1f}"


def read_run(folder, epochs, seed):
    """Return the figures of one run, or raise ValueError naming the missing file
    or the setting that differs from the study's."""
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    if config["epochs"] != int(epochs) or config["seed"] != seed:
        raise ValueError(f"{folder} was trained for {config['epochs']} epochs with seed "
                         f"{config['seed']}, not {epochs} epochs with seed {seed}: run "
                         "bench/ablation.sh with the same options to train it again")

    run = {}
    for sf in ("on", "off"):
        path = os.path.join(folder, f"eval-sf-{sf}.json")
        if not os.path.exists(path):
            raise ValueError(f"{path} is missing: run bench/ablation.sh to finish the study")
        with open(path) as f:
            metrics = json.load(f)
        run[f"uar_{sf}"] = metrics["uar"]
        run[f"war_{sf}"] = metrics["war"]
    run["params"] = run["gflops"] = None
    log = folder + ".log"
    if os.path.exists(log):
        with open(log) as f:
            found = re.search(r"([0-9.]+) M parameters, ([0-9.]+) GFLOPs per clip", f.read())
        if found:
            run["params"], run["gflops"] = float(found.group(1)), float(found.group(2))
    return run


def build_rows(runs_dir, seeds, epochs):
    rows = []
    for key, title in VARIANTS:
        runs = [read_run(os.path.join(runs_dir, f"{key}-seed{s}"), epochs, s) for s in seeds]
        rows.append({
            "variant": key,
            "title": title,
            "params": runs[0]["params"],
            "gflops": runs[0]["gflops"],
            "uar_on": [r["uar_on"] for r in runs],
            "war_on": [r["war_on"] for r in runs],
            "uar_off": [r["uar_off"] for r in runs],
            "war_off": [r["war_off"] for r in runs],
        })
    return rows


def markdown(rows, args):
    lines = [
        BEGIN,
        "",
        f"Synthetic benchmark (not DFEW): `bash bench/ablation.sh --epochs {args.epochs}"
        + ("" if args.seeds == ["1", "2", "3"] else f" --seeds {' '.join(args.seeds)}")
        + f" --threads {args.threads}`, small preset, fold 1, "
        f"{'seeds' if len(args.seeds) > 1 else 'seed'} {', '.join(args.seeds)}; "
        "test UAR and WAR in %"
        + (", mean ± sample standard deviation over the seeds" if len(args.seeds) > 1 else "")
        + ", at the epoch selected by validation UAR.",
        "",
        "| model | M params | GFLOPs/clip | UAR, SF on | WAR, SF on | UAR, SF off "
        "| WAR, SF off |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        params = f"{r['params']:.2f}" if r["params"] is not None else "?"
        gflops = f"{r['gflops']:.2f}" if r["gflops"] is not None else "?"
        lines.append(
            f"| {r['title']} | {params} | {gflops} | {mean_std(r['uar_on'])} "
            f"| {mean_std(r['war_on'])} | {mean_std(r['uar_off'])} | {mean_std(r['war_off'])} "
            "|")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def write_csv(rows, path, seeds):
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["variant", "seed", "uar_sf_on", "war_sf_on", "uar_sf_off", "war_sf_off"])
        for r in rows:
            for i, seed in enumerate(seeds):
                out.writerow([r["variant"], seed, r["uar_on"][i], r["war_on"][i],
                              r["uar_off"][i], r["war_off"][i]])


def update_docs(path, table):
    with open(path) as f:
        text = f.read()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + table.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + "\n\n## Ablations\n\n" + table
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", required=True, help="folder of the study's runs")
    parser.add_argument("--seeds", required=True, help='seeds, as "1 2 3"')
    parser.add_argument("--epochs", required=True)
    parser.add_argument("--threads", default="0")
    parser.add_argument("--out", required=True, help="folder for ablation.md and .csv")
    parser.add_argument("--update-docs", metavar="FILE",
                        help="replace the ablation table in FILE (docs/benchmarks.md)")
    args = parser.parse_args(argv)
    args.seeds = args.seeds.split()
    try:
        rows = build_rows(args.runs, args.seeds, args.epochs)
    except (ValueError, OSError, KeyError) as err:
        print(f"bench/ablation_table.py: {err}", file=sys.stderr)
        return 1
    table = markdown(rows, args)
    with open(os.path.join(args.out, "ablation.md"), "w") as f:
        f.write(table)
    write_csv(rows, os.path.join(args.out, "ablation.csv"), args.seeds)
    sys.stdout.write(table)
    if args.update_docs:
        update_docs(args.update_docs, table)
        print(f"updated {args.update_docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
