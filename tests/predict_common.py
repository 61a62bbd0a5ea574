"""Shared helpers of the predict tests: running the tools, the stand-in
model of video_tool in Python, and a check of the predict JSON layout."""
import json
import math
import os
import subprocess
import sys
import tempfile

BUILD = os.environ.get("NRDFER_BUILD_DIR", "build")
VIDEO_TOOL = os.path.join(BUILD, "video_tool")
NRDFER = os.environ.get("NRDFER_BIN", os.path.join(BUILD, "nrdfer"))
LABELS = ["happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"]
MEGAMIND = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi"
MOVIE_HELLO = "/usr/share/forensics-samples/original-files/movie2/movie-hello.mp4"
CASCADES = "/usr/share/opencv4/haarcascades"


def run(args, check=True):
    """Runs a command; returns (exit status, stdout, stderr)."""
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.returncode, proc.stdout, proc.stderr


def tool_predict(inputs, *options, check=True):
    """Runs the predict pipeline with the stand-in model; returns (status, JSON, stderr)."""
    rc, out, err = run([VIDEO_TOOL, "predict", *options, *inputs], check=check)
    return rc, json.loads(out), err


def ffmpeg(*args):
    run(["ffmpeg", "-v", "error", "-y", *args])


def sample_test(n, t):
    """Test sampling of NR-DFERNet, written from its formula: U = t / 2
    segments of 2 frames; tick = (n - 1) / U when n > U + 1."""
    u = t // 2
    if n > u + 1:
        tick = (n - 1) / u
        offsets = [int(math.floor(tick / 2 + tick * k)) for k in range(u)]
    else:
        offsets = [0] * u
    frames = []
    for p in offsets:
        frames += [p, p + 1 if p + 1 < n else p]
    return frames


def stand_in_probs(crops):
    """Return the probabilities of video_tool's stand-in model for a clip.

    crops is a list of S x S x 3 uint8 numpy arrays. Class c scores the
    clip's mean of channel c % 3 (bytes / 255) times (c + 1), then softmax."""
    import numpy as np

    clip = np.stack(crops).astype(np.float64) / 255.0
    means = clip.mean(axis=(0, 1, 2))
    scores = [math.exp(means[c % 3] * (c + 1)) for c in range(len(LABELS))]
    z = sum(scores)
    return [s / z for s in scores]


def check_layout(doc):
    """Asserts that doc has the layout of predict's JSON output."""
    assert doc["labels"] == LABELS, doc["labels"]
    for r in doc["results"]:
        assert isinstance(r["input"], str)
        if "error" in r:
            assert isinstance(r["error"], str) and r["error"], r
            continue
        for key in ("duration", "fps"):
            assert isinstance(r[key], (int, float)) and r[key] > 0, (key, r[key])
        assert isinstance(r["frames"], int) and r["frames"] > 0, r["frames"]
        assert isinstance(r["neutral_suppressed"], bool)
        check_prediction(r)
        assert len(r["windows"]) >= 1
        with_face = []
        for w in r["windows"]:
            assert 0 <= w["start_time"] < w["end_time"] <= r["duration"] + 1e-6, w
            assert isinstance(w["face_found"], bool)
            assert isinstance(w["neutral_suppressed"], bool)
            if w["face_found"]:
                with_face.append(w)
                assert w["box"] is None or len(w["box"]) == 4, w["box"]
            else:
                assert w["box"] is None, w
                assert w["label"] is None, w
                assert w["probs"] is None, w
            check_prediction(w)
        if with_face:
            for c in range(len(LABELS)):
                mean = sum(w["probs"][c] for w in with_face) / len(with_face)
                assert abs(r["probs"][c] - mean) < 1e-5, (c, r["probs"][c], mean)
        else:
            assert r["label"] is None, r
            assert r["probs"] is None, r
        if len(r["windows"]) == 1:
            w = r["windows"][0]
            assert r["label"] == w["label"], (r["label"], w["label"])
            assert r["probs"] == w["probs"]
            assert r["neutral_suppressed"] == w["neutral_suppressed"]


def check_prediction(item):
    """label is the argmax of probs, which sum to 1; or both are null."""
    if item["label"] is None:
        assert item["probs"] is None, item
        return
    probs = item["probs"]
    assert len(probs) == len(LABELS), probs
    assert abs(sum(probs) - 1) < 1e-4, sum(probs)
    assert item["label"] == LABELS[max(range(len(probs)), key=lambda c: probs[c])], item


def iou(a, b):
    """Return the intersection over union of two [x, y, w, h] boxes."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def run_tests(namespace):
    """Runs every function named test_* in namespace (a module's globals()),
    each with a new temporary folder, or only those named on the command
    line. Prints ok or FAIL per test and exits 1 when any failed."""
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    only = sys.argv[1:]
    failed = 0
    for name, fn in tests:
        if only and name not in only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            try:
                fn(tmp)
                print(f"ok   {name}")
            except Exception as e:  # report every failing test, then exit non-zero
                failed += 1
                print(f"FAIL {name}: {type(e).__name__}: {e}")
    sys.exit(1 if failed else 0)
