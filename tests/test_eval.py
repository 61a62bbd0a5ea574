"""nrdfer eval on a tiny DFEW-layout fixture whose test split has no
"disgust" clip.

Checks the JSON and text reports, the per-clip CSV, the confusion PNG and
determinism. The probabilities are compared with PyTorch's model
(tests/nrdfer_torch.py) on the same frames, with the snippet filter on and off.

Exits 77 (skipped) when the build has no engine yet.
"""
import csv
import json
import os
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

import nrdfer_torch
import safetensors_io
from train_fixture import (LABELS, Checks, SKIP, TINY, engine_missing, load_clip, make_dfew,
                           run, write_tiny_model)

checks = Checks("test_eval")
check = checks.check
FRAMES = 8


def torch_probs(model_path, root, ids, snippet_filter):
    """Return (probs [N, L], suppressed [N]) of PyTorch's model in eval mode (float64)."""
    weights, meta = safetensors_io.load(model_path)
    config = nrdfer_torch.config_from_json(json.loads(meta["nrdfer"]))
    config["snippet_filter"] = snippet_filter
    model = nrdfer_torch.NrDferNet(config).double()
    model.load_state_dict({k: torch.from_numpy(v).double() for k, v in weights.items()},
                          strict=False)
    model.eval()
    clips = torch.from_numpy(np.stack([load_clip(root, vid, FRAMES, config["frames"])
                                       for vid in ids])).double()
    with torch.no_grad():
        video, snippets = model(clips)
        probs, suppressed = nrdfer_torch.apply_snippet_filter(video, snippets, config)
    return probs.numpy(), suppressed.numpy()


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def check_json(report, splits, name):
    test = splits["test"]
    check(set(report) >= {"uar", "war", "per_class_recall", "macro_f1", "confusion", "clips"},
          f"{name}: keys {sorted(report)}")
    check(report["clips"] == len(test), f"{name}: clips {report['clips']}")
    matrix = np.array(report["confusion"])
    check(matrix.shape == (7, 7), f"{name}: confusion shape {matrix.shape}")
    check(matrix.sum() == len(test), f"{name}: confusion sums to {matrix.sum()}")
    check(matrix[5].sum() == 0, f"{name}: disgust row {matrix[5]}")
    recall = report["per_class_recall"]
    check(recall.get("disgust", 0) is None, f"{name}: disgust recall {recall.get('disgust')}")
    present = [recall[c] for c in LABELS if recall[c] is not None]
    check(len(present) == 6, f"{name}: {len(present)} classes in UAR")
    check(abs(report["uar"] - sum(present) / 6) < 1e-9, f"{name}: UAR is not the mean recall")
    check(abs(report["war"] - np.trace(matrix) / len(test)) < 1e-9,
          f"{name}: WAR is not the accuracy")


def main():
    if engine_missing():
        print("test_eval: skipped, this build has no engine")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="nrdfer-eval-") as tmp:
        root = os.path.join(tmp, "data")
        splits = make_dfew(root, train_per_class=1, test_per_class=3, frames=FRAMES,
                           size=TINY["image_size"], absent=(5,))
        # A PyTorch-initialised checkpoint of a tiny NR-DFERNet (train_fixture.TINY).
        # Its snippet confidences on this fixture lie between 0.34 and 0.42, so a
        # confidence threshold of 0.4 suppresses neutral in some clips only.
        model = os.path.join(tmp, "tiny.safetensors")
        write_tiny_model(model, seed=3, sf_neutral_max=0.5, sf_confidence_min=0.4)
        base = ["eval", "--model", model, "--dataset", "dfew", "--root", root, "--fold", "1"]

        # JSON: complete, consistent, and the same on a second run and other batching.
        rc, first, err = run(*base, "--json", "--batch", "3", "--loader-threads", "1")
        check(rc == 0, f"eval --json: exit {rc}\n{err}")
        rc, second, err = run(*base, "--json", "--batch", "3", "--loader-threads", "1")
        check(first == second, "two identical eval runs printed different JSON")
        rc, other, err = run(*base, "--json", "--batch", "5", "--loader-threads", "3")
        try:
            report = json.loads(first)
            check_json(report, splits, "eval --json")
            check(json.loads(other)["confusion"] == report["confusion"],
                  "another batch size changed the confusion matrix")
        except ValueError:
            check(False, f"eval --json printed no JSON: {first!r}")

        # Text report, CSV and PNG.
        csv_path = os.path.join(tmp, "pred.csv")
        png_path = os.path.join(tmp, "confusion.png")
        rc, text, err = run(*base, "--predictions", csv_path, "--confusion", png_path)
        check(rc == 0, f"eval with files: exit {rc}\n{err}")
        check("'disgust' has no clips" in text, f"text report: {text!r}")
        check("nan" not in text.lower(), "text report shows NaN")
        rows = read_csv(csv_path)
        check([r["id"] for r in rows] == [vid for vid, _ in splits["test"]],
              "CSV ids are not the test clips in order")
        check(all(r["true_label"] == LABELS[label]
                  for r, (_, label) in zip(rows, splits["test"])), "CSV true labels")
        probs = np.array([[float(r[f"p_{c}"]) for c in LABELS] for r in rows])
        check(np.allclose(probs.sum(axis=1), 1, atol=1e-4), "CSV probabilities do not sum to 1")
        check(all(LABELS[int(np.argmax(p))] == r["predicted_label"]
                  for p, r in zip(probs, rows)), "CSV label is not the argmax")
        try:
            with Image.open(png_path) as img:
                check(img.width > 300 and img.height > 300, f"confusion PNG {img.size}")
        except OSError as e:
            check(False, f"confusion PNG unreadable: {e}")

        # PyTorch on the same frames and weights, filter on and off.
        ids = [vid for vid, _ in splits["test"]]
        for flag in ("on", "off"):
            path = os.path.join(tmp, f"pred-{flag}.csv")
            rc, _, err = run(*base, "--snippet-filter", flag, "--predictions", path)
            if not check(rc == 0, f"--snippet-filter {flag}: exit {rc}\n{err}"):
                continue
            rows = read_csv(path)
            got = np.array([[float(r[f"p_{c}"]) for c in LABELS] for r in rows])
            want, suppressed = torch_probs(model, root, ids, flag == "on")
            diff = np.abs(got - want).max()
            check(diff < 1e-4, f"--snippet-filter {flag}: probabilities differ from PyTorch "
                               f"by {diff:.2e}")
            flags = np.array([int(r["neutral_suppressed"]) for r in rows])
            check((flags == suppressed.astype(int)).all(),
                  f"--snippet-filter {flag}: neutral_suppressed differs from PyTorch")
            if flag == "on":
                check(0 < suppressed.sum() < len(ids),
                      f"the filter suppressed neutral in {suppressed.sum()} of {len(ids)} "
                      "clips: the fixture does not test both outcomes")
            else:
                check(suppressed.sum() == 0, "PyTorch suppressed neutral with the filter off")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
