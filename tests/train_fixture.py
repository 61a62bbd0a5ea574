"""Tiny DFEW-layout datasets for the train and eval tests, made with PIL.

Frames are PNG files of the model's image size, so decoding is exact and the
test transform (a resize to the same size) leaves the pixels as they are.
The tests can therefore rebuild the exact model input in PyTorch.
"""
import json
import os
import subprocess

import numpy as np
from PIL import Image

BIN = os.environ.get("NRDFER_BIN", "build/nrdfer")
LABELS = ["happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"]
ENGINE_MISSING = "engine is not part of this build"
SKIP = 77  # ctest SKIP_RETURN_CODE of these tests


def clip_pixels(label, clip, frame, size):
    """Return one frame [size, size, 3] uint8: a class colour and a bar that moves."""
    rng = np.random.default_rng(1000 * clip + frame)
    img = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    colour = np.array([(label * 37) % 256, (label * 91 + 40) % 256, (label * 53 + 90) % 256],
                      dtype=np.uint8)
    img[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = colour
    row = (frame * (label + 1)) % size
    img[row, :, :] = 255
    return img


def make_dfew(root, train_per_class, test_per_class, frames=20, size=64, absent=()):
    """Write a fold-1 DFEW layout; classes in `absent` get no test clips.

    Returns {"train": [(id, label)], "test": [(id, label)]} with 0-based labels.
    """
    splits = {"train": [], "test": []}
    clip = 0
    for split, per_class in (("train", train_per_class), ("test", test_per_class)):
        for label in range(len(LABELS)):
            if split == "test" and label in absent:
                continue
            for _ in range(per_class):
                clip += 1
                vid = f"{clip:05d}"
                folder = os.path.join(root, "Clip", "clip_224x224", vid)
                os.makedirs(folder, exist_ok=True)
                for f in range(frames):
                    Image.fromarray(clip_pixels(label, clip, f, size)).save(
                        os.path.join(folder, f"{vid}_{f + 1}.png"))
                splits[split].append((vid, label))
    for split, rows in splits.items():
        d = os.path.join(root, "EmoLabel_DataSplit", f"{split}(single-labeled)")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "set_1.csv"), "w") as f:
            f.write("video_name,label\n")
            for vid, label in rows:
                f.write(f"{vid},{label + 1}\n")
    return splits


# A model small enough for tests to train quickly on CPU: every part of
# NR-DFERNet at widths of 4 to 16, 4 frames of 32 x 32 (a 1 x 1 static grid).
TINY = dict(frames=4, image_size=32, stem_channels=4, layer2_channels=8, layer3_channels=8,
            head_dim=8, static_blocks=1, static_heads=1, static_mlp=16, temporal_blocks=1,
            temporal_heads=1, temporal_mlp=16)


def write_tiny_model(path, seed, **overrides):
    """Write a PyTorch-initialised TINY model as a checkpoint; return its config."""
    import torch

    import nrdfer_torch
    import safetensors_io

    config = nrdfer_torch.make_config("small", **dict(TINY, **overrides))
    torch.manual_seed(seed)
    model = nrdfer_torch.NrDferNet(config)
    tensors = {k: v for k, v in model.state_dict().items()
               if not k.endswith("num_batches_tracked")}
    safetensors_io.save(path, tensors, {"nrdfer": json.dumps(config)})
    return config


def sampled_indices(n, t=16):
    """Frame indices of the deterministic test sampling for a clip of n frames."""
    u = t // 2
    out = []
    for k in range(u):
        p = 0
        if n > u + 1:
            tick = (n - 1) / u
            p = int(tick / 2 + tick * k)
        out += [p, p + 1 if p + 1 < n else p]
    return out


def load_clip(root, vid, frames, t):
    """Return the test-transformed clip [T, 3, S, S] float32 of one fixture clip."""
    folder = os.path.join(root, "Clip", "clip_224x224", vid)
    imgs = []
    for i in sampled_indices(frames, t):
        arr = np.asarray(Image.open(os.path.join(folder, f"{vid}_{i + 1}.png")).convert("RGB"))
        imgs.append(arr.transpose(2, 0, 1).astype(np.float32) / 255.0)
    return np.stack(imgs)


def run(*args, timeout=900):
    """Run nrdfer; return (exit status, stdout, stderr)."""
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def engine_missing():
    """True when this build has the placeholder engine."""
    probe = subprocess.run([BIN, "eval", "--model", "/nonexistent.safetensors", "--dataset",
                            "dfew", "--root", "/nonexistent"], capture_output=True, text=True)
    return ENGINE_MISSING in probe.stderr


class Checks:
    """Collects failed checks so one run reports all of them."""

    def __init__(self, name):
        self.name = name
        self.failures = 0

    def check(self, ok, message):
        if not ok:
            self.failures += 1
            print(f"FAIL: {message}")
        return ok

    def finish(self):
        if self.failures:
            print(f"{self.name}: {self.failures} check(s) failed")
            return 1
        return 0
