"""Training augmentation and clip loading against torchvision 0.14's
functional ops on PIL images: given the draws the C code reports,
resized_crop, hflip, adjust_brightness and rotate (nearest, fill 0) must give
the same pixels, and the clip loader the same floats as to_tensor."""
import os
import random
import struct

import torch
import torchvision.transforms.functional as F
from PIL import Image
from torchvision.transforms import InterpolationMode

from frames_common import Failures, load_rgb, max_diff, run_tool, run_tool_json, temp_dir


def noise_image(width, height, seed):
    rng = random.Random(seed)
    im = Image.new("RGB", (width, height))
    im.putdata([(rng.randrange(256), (x * 255) // max(width - 1, 1),
                 ((y * 255) // max(height - 1, 1)) ^ rng.randrange(32))
                for y in range(height) for x in range(width)])
    return im


def torchvision_augment(im, p, size):
    """The training transform of one frame with the given draws."""
    out = F.resized_crop(im, p["top"], p["left"], p["height"], p["width"], [size, size],
                         InterpolationMode.BILINEAR)
    if p["flip"]:
        out = F.hflip(out)
    out = F.adjust_brightness(out, p["brightness"])
    return F.rotate(out, p["angle"], InterpolationMode.NEAREST, expand=False, center=None,
                    fill=0)


def check_draws(f, p, width, height, label):
    """Draws lie in the ranges of the augmentation."""
    f.check(0 <= p["top"] and p["top"] + p["height"] <= height, f"{label}: crop rows {p}")
    f.check(0 <= p["left"] and p["left"] + p["width"] <= width, f"{label}: crop columns {p}")
    f.check(0.4 <= p["brightness"] < 1.6, f"{label}: brightness {p['brightness']}")
    f.check(-4.0 <= p["angle"] < 4.0, f"{label}: angle {p['angle']}")
    f.check(p["flip"] in (0, 1), f"{label}: flip {p['flip']}")


def crop_fallback(width, height):
    """RandomResizedCrop's fallback crop (top, left, h, w) for ratio (5/7, 7/5)."""
    in_ratio = width / height
    w, h = width, height
    if in_ratio < 5 / 7:
        h = int(round(w / (5 / 7)))
    elif in_ratio > 7 / 5:
        w = int(round(h * (7 / 5)))
    return (height - h) // 2, (width - w) // 2, h, w


def read_floats(path, count):
    with open(path, "rb") as fp:
        data = fp.read()
    assert len(data) == 4 * count, f"{path}: {len(data)} bytes, expected {4 * count}"
    return torch.tensor(struct.unpack(f"<{count}f", data), dtype=torch.float32)


def main():
    f = Failures()
    with temp_dir() as d:
        out = os.path.join(d, "out.ppm")

        # Single steps over many parameters, on square and non-square images.
        for size in ((112, 112), (61, 40)):
            src = noise_image(*size, seed=size[0])
            src_path = os.path.join(d, f"step{size[0]}.png")
            src.save(src_path)
            for angle in (-4.0, -3.999, -2.5, -1e-3, 0.0, 0.7, 1.234567891, 3.9999, 45.0,
                          90.0, 180.0, 270.0, -90.0, 400.0):
                run_tool("rotate", src_path, repr(angle), out)
                want = F.rotate(src, angle, InterpolationMode.NEAREST, fill=0)
                diff = max_diff(load_rgb(out), want)
                f.check(diff == 0, f"rotate {size} by {angle}: max |diff| {diff}")
            for factor in (0.0, 0.4, 0.77777777, 1.0, 1.0000001, 1.3, 1.6):
                run_tool("brightness", src_path, repr(factor), out)
                diff = max_diff(load_rgb(out), F.adjust_brightness(src, factor))
                f.check(diff == 0, f"brightness {size} by {factor}: max |diff| {diff}")
            run_tool("hflip", src_path, out)
            diff = max_diff(load_rgb(out), F.hflip(src))
            f.check(diff == 0, f"hflip {size}: max |diff| {diff}")

        # The whole augmentation with the draws it reports.
        sizes = [(256, 256), (200, 150), (150, 210), (300, 100)]
        for number, (width, height) in enumerate(sizes):
            src = noise_image(width, height, seed=100 + number)
            src_path = os.path.join(d, f"frame{number}.png")
            src.save(src_path)
            flips = set()
            for seed in range(6):
                label = f"augment {width}x{height} seed {seed}"
                p = run_tool_json("augment", src_path, 112, seed, out)
                check_draws(f, p, width, height, label)
                flips.add(p["flip"])
                diff = max_diff(load_rgb(out), torchvision_augment(src, p, 112))
                f.check(diff == 0, f"{label}: max |diff| {diff} vs torchvision ({p})")
                if (width, height) == (300, 100):
                    # No try can fit scale >= 0.9 with ratio <= 7/5, so the fallback runs.
                    crop = (p["top"], p["left"], p["height"], p["width"])
                    f.check(crop == crop_fallback(width, height),
                            f"{label}: crop {crop} != fallback {crop_fallback(width, height)}")
                else:
                    area = p["height"] * p["width"] / (width * height)
                    ratio = p["width"] / p["height"]
                    f.check(0.88 <= area <= 1.0, f"{label}: crop area fraction {area}")
                    f.check(5 / 7 - 0.02 <= ratio <= 7 / 5 + 0.02, f"{label}: ratio {ratio}")
            if number == 0:
                f.check(flips == {0, 1}, f"augment: 6 seeds gave flips {flips}")

        # Clip loading: frames of different content, test and train mode.
        frames = []
        for i in range(11):
            path = os.path.join(d, f"clip_{i:03d}.jpg")
            noise_image(96, 80, seed=200 + i).save(path, quality=90)
            frames.append(path)
        t, s = 8, 48
        floats = os.path.join(d, "clip.f32")
        for mode in ("test", "train"):
            for seed in (1, 2):
                label = f"clip {mode} seed {seed}"
                info = run_tool_json("clip", mode, t, s, "sample", seed, floats, *frames)
                got = read_floats(floats, t * 3 * s * s).reshape(t, 3, s, s)
                want = []
                for index in info["indices"]:
                    im = load_rgb(frames[index])
                    if mode == "train":
                        im = torchvision_augment(im, info["augment"], s)
                    else:
                        im = F.resize(im, [s, s], InterpolationMode.BILINEAR)
                    want.append(F.to_tensor(im))
                want = torch.stack(want)
                diff = (got - want).abs().max().item()
                f.check(diff == 0.0, f"{label}: max |diff| {diff} vs torchvision to_tensor")
                if mode == "test":
                    tick = 10 / 4
                    offsets = [int(tick / 2 + tick * k) for k in range(4)]
                    want_indices = [i for p in offsets for i in (p, min(p + 1, 10))]
                    f.check(info["indices"] == want_indices,
                            f"{label}: indices {info['indices']} != {want_indices}")

        # A cut-off sampled frame (frame 1 is sampled, see above) fails the clip
        # and the message names it.
        with open(frames[1], "rb") as fp:
            data = fp.read()
        broken = os.path.join(d, "clip_broken.jpg")
        with open(broken, "wb") as fp:
            fp.write(data[: len(data) // 3])
        result = run_tool("clip", "test", t, s, "sample", 0, floats, frames[0], broken,
                          *frames[2:], check=False)
        f.check(result.returncode == 1, f"clip with cut-off frame: exit {result.returncode}")
        f.check(broken in result.stderr, f"clip with cut-off frame: {result.stderr.strip()!r}")

        # A short clip under the drop policy is reported, not loaded.
        info = run_tool_json("clip", "test", 16, s, "drop", 0, floats, *frames)
        f.check(info["result"] == "drop", f"clip drop policy: {info}")
    f.finish()


if __name__ == "__main__":
    main()
