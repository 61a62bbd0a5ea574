"""nrdfer train end to end on tiny DFEW-layout fixtures.

The runs start with --init from a PyTorch-initialised model of every
NR-DFERNet part at small widths (train_fixture.TINY), so that they run
quickly on CPU. They check that:

- one SGD step on the whole fixture as one batch matches PyTorch's SGD step
  on the same frames (tests/nrdfer_torch.py), per tensor;
- a run stopped by --steps and continued with --resume ends with the same
  last and best weights, byte for byte, as an uninterrupted run;
- --reset-head starts a new classifier for the dataset's classes and keeps
  every other tensor of --init;
- --folds 1-2 trains both folds and writes their mean into cv.csv and cv.md;
- a non-finite loss (--lr 1e30) stops the run with exit 1, naming the step
  and the --lr hint.

Exits 77 (skipped) when the build has no engine yet.
"""
import json
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

import nrdfer_torch
import safetensors_io
from train_fixture import (Checks, SKIP, TINY, engine_missing, load_clip, make_dfew, run,
                           write_tiny_model)

checks = Checks("test_train_engine")
check = checks.check
FRAMES = 8
SIZE = TINY["image_size"]


def data_args(root, init):
    return ["--dataset", "dfew", "--root", root, "--fold", "1", "--init", init,
            "--threads", "2", "--loader-threads", "2"]


def tensors(path):
    return safetensors_io.load(path)[0]


def test_sgd_step_matches_torch(tmp):
    root = os.path.join(tmp, "step-data")
    splits = make_dfew(root, train_per_class=2, test_per_class=1, frames=FRAMES, size=SIZE)
    n = len(splits["train"])
    init = os.path.join(tmp, "step-init.safetensors")
    config = write_tiny_model(init, seed=5)

    # One step of the recipe from the initial weights, over all clips at once.
    step_dir = os.path.join(tmp, "step")
    rc, out, err = run("train", *data_args(root, init), "--out", step_dir, "--steps", "1",
                       "--batch", str(n), "--val-fraction", "0", "--augment", "off",
                       "--train-sampling", "center", "--seed", "5")
    if not check(rc == 0, f"one step: exit {rc}\n{err}"):
        return

    # PyTorch: same weights, same frames, one SGD step of the recipe, in float64
    # because PyTorch's own float32 step is up to 3e-3 away from it on the BN
    # biases of this model, whose gradients are sums with much cancellation.
    w0 = tensors(init)
    model = nrdfer_torch.NrDferNet(config).double()
    model.load_state_dict({k: torch.from_numpy(v).double() for k, v in w0.items()},
                          strict=False)
    clips = torch.from_numpy(np.stack([load_clip(root, vid, FRAMES, config["frames"])
                                       for vid, _ in splits["train"]])).double()
    labels = torch.tensor([label for _, label in splits["train"]])
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=0.1)
    model.train()
    video, _ = model(clips)
    F.cross_entropy(video, labels).backward()
    opt.step()

    # Per tensor: the C update against the PyTorch update.
    w1 = tensors(os.path.join(step_dir, "last.safetensors"))
    compared = 0
    for name, value in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        if not check(name in w1, f"{name}: missing from last.safetensors"):
            continue
        want = value.detach().numpy().astype(np.float64) - w0[name]
        got = w1[name].astype(np.float64) - w0[name]
        scale = np.linalg.norm(want)
        err = np.linalg.norm(got - want) / max(scale, 1e-30)
        check(scale > 0, f"{name}: PyTorch's step left it unchanged")
        check(err <= 1e-3, f"{name}: update differs from PyTorch by {err:.2e} (relative L2)")
        compared += 1
    check(compared > 50, f"only {compared} tensors compared")


def test_resume_equality(tmp):
    root = os.path.join(tmp, "resume-data")
    make_dfew(root, train_per_class=4, test_per_class=2, frames=FRAMES, size=SIZE,
              absent=(5,))
    init = os.path.join(tmp, "resume-init.safetensors")
    write_tiny_model(init, seed=11)
    # 21 training clips after the validation split, batch 4: 5 steps per epoch.
    common = [*data_args(root, init), "--epochs", "2", "--batch", "4", "--val-fraction",
              "0.25", "--train-eval-clips", "6", "--lr", "0.01", "--seed", "11"]
    full = os.path.join(tmp, "full")
    rc, out, err = run("train", *common, "--out", full)
    if not check(rc == 0, f"uninterrupted run: exit {rc}\n{err}"):
        return
    lines = open(os.path.join(full, "metrics.jsonl")).read().splitlines()
    check(len(lines) == 2, f"metrics.jsonl has {len(lines)} lines, expected 2")
    for name in ("config.json", "best.safetensors", "curves.png", "summary.json"):
        check(os.path.isfile(os.path.join(full, name)), f"run folder lacks {name}")

    # Selection: the first epoch with the highest validation UAR, and its test figures.
    records = [json.loads(x) for x in lines]
    summary = json.load(open(os.path.join(full, "summary.json")))
    best = max(records, key=lambda r: r["val_uar"])
    check(summary["selected_epoch"] == best["epoch"],
          f"selected epoch {summary['selected_epoch']}, best validation UAR at {best['epoch']}")
    check(summary["test_uar"] == best["test_uar"], "summary test UAR is not the selected one")

    # Stopped inside epoch 1 (3 steps) and at its end (5 steps), then resumed.
    for steps in (3, 5):
        part = os.path.join(tmp, f"part-{steps}")
        rc, out, err = run("train", *common, "--out", part, "--steps", str(steps))
        if not check(rc == 0, f"--steps {steps}: exit {rc}\n{err}"):
            continue
        check("--resume" in out, f"--steps {steps}: no resume hint in {out!r}")
        rc, out, err = run("train", "--resume", part)
        if not check(rc == 0, f"--resume after {steps} steps: exit {rc}\n{err}"):
            continue
        for name in ("last.safetensors", "best.safetensors"):
            a = tensors(os.path.join(full, name))
            b = tensors(os.path.join(part, name))
            check(sorted(a) == sorted(b), f"{name}: tensor names differ after {steps} steps")
            differing = [k for k in a if k in b and a[k].tobytes() != b[k].tobytes()]
            check(not differing, f"{name} after resume at step {steps}: {len(differing)} "
                                 f"tensors differ, first {differing[:3]}")
        resumed = [json.loads(x) for x in open(os.path.join(part, "metrics.jsonl"))]
        original = [json.loads(x) for x in lines]
        check([r["loss"] for r in resumed] == [r["loss"] for r in original],
              f"epoch losses differ after resume at step {steps}")
        check([r["val_uar"] for r in resumed] == [r["val_uar"] for r in original],
              f"validation UAR differs after resume at step {steps}")


def test_reset_head(tmp):
    root = os.path.join(tmp, "head-data")
    make_dfew(root, train_per_class=2, test_per_class=1, frames=FRAMES, size=SIZE)
    init = os.path.join(tmp, "five-classes.safetensors")
    write_tiny_model(init, seed=4, labels=["a", "b", "c", "d", "e"])

    # Five classes against the dataset's seven: rejected without --reset-head.
    rc, out, err = run("train", *data_args(root, init), "--out", os.path.join(tmp, "h1"),
                       "--steps", "0", "--batch", "2", "--val-fraction", "0")
    check(rc == 1, f"--init with other classes: exit {rc}, expected 1\n{err}")
    check("--reset-head" in err, f"--init with other classes: message {err!r}")

    # With it: every tensor but the head comes from the file, the head is new.
    run_dir = os.path.join(tmp, "h2")
    rc, out, err = run("train", *data_args(root, init), "--out", run_dir, "--reset-head",
                       "--steps", "0", "--batch", "2", "--val-fraction", "0")
    if not check(rc == 0, f"--reset-head: exit {rc}\n{err}"):
        return
    before = tensors(init)
    after, meta = safetensors_io.load(os.path.join(run_dir, "last.safetensors"))
    check(json.loads(meta["nrdfer"])["labels"] == nrdfer_torch.PAPER["labels"],
          "--reset-head: the checkpoint does not have the dataset's classes")
    check(after["head.weight"].shape[0] == 7, f"head shape {after['head.weight'].shape}")
    differing = [k for k in before if not k.startswith("head.") and
                 (k not in after or before[k].tobytes() != after[k].tobytes())]
    check(not differing, f"--reset-head changed {differing[:3]}")


def test_folds_table(tmp):
    root = os.path.join(tmp, "folds-data")
    make_dfew(root, train_per_class=2, test_per_class=1, frames=FRAMES, size=SIZE)
    for split in ("train", "test"):
        folder = os.path.join(root, "EmoLabel_DataSplit", f"{split}(single-labeled)")
        text = open(os.path.join(folder, "set_1.csv")).read()
        open(os.path.join(folder, "set_2.csv"), "w").write(text)
    init = os.path.join(tmp, "folds-init.safetensors")
    write_tiny_model(init, seed=6)
    args = data_args(root, init)
    args.remove("--fold")
    args.remove("1")
    run_dir = os.path.join(tmp, "folds")
    rc, out, err = run("train", *args, "--folds", "1-2", "--out", run_dir, "--epochs", "1",
                       "--batch", "2", "--val-fraction", "0")
    if not check(rc == 0, f"--folds 1-2: exit {rc}\n{err}"):
        return
    uars = []
    for k in (1, 2):
        summary = os.path.join(run_dir, f"fold-{k}", "summary.json")
        if check(os.path.isfile(summary), f"fold-{k} lacks summary.json"):
            uars.append(json.load(open(summary))["test_uar"])
    rows = open(os.path.join(run_dir, "cv.csv")).read().splitlines()
    check(rows[0] == "fold,best_epoch,val_uar,test_uar,test_war", f"cv.csv header {rows[0]}")
    mean = [r for r in rows if r.startswith("mean,")]
    if check(len(mean) == 1 and len(uars) == 2, "cv.csv has no mean row"):
        check(abs(float(mean[0].split(",")[3]) - sum(uars) / 2) < 1e-6,
              f"cv.csv mean {mean[0]} is not the mean of {uars}")
    check("| mean +- std |" in open(os.path.join(run_dir, "cv.md")).read(), "cv.md mean row")


def test_nan_stop(tmp):
    root = os.path.join(tmp, "nan-data")
    make_dfew(root, train_per_class=2, test_per_class=1, frames=FRAMES, size=SIZE)
    init = os.path.join(tmp, "nan-init.safetensors")
    write_tiny_model(init, seed=2)
    run_dir = os.path.join(tmp, "nan")
    rc, out, err = run("train", *data_args(root, init), "--out", run_dir, "--lr", "1e30",
                       "--batch", "2", "--epochs", "3", "--val-fraction", "0")
    check(rc == 1, f"--lr 1e30: exit {rc}, expected 1\n{err}")
    check("at step" in err, f"--lr 1e30: message does not name the step: {err!r}")
    check("Lower --lr" in err, f"--lr 1e30: message lacks the --lr hint: {err!r}")
    last = os.path.join(run_dir, "last.safetensors")
    if os.path.exists(last):
        check(len(tensors(last)) > 0, "last.safetensors after the stop is unreadable")


def main():
    if engine_missing():
        print("test_train_engine: skipped, this build has no engine")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="nrdfer-train-engine-") as tmp:
        test_sgd_step_matches_torch(tmp)
        test_resume_equality(tmp)
        test_reset_head(tmp)
        test_folds_table(tmp)
        test_nan_stop(tmp)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
