"""nd_resize_bilinear against Pillow's Image.resize(size, BILINEAR, box):
shrinking (antialiased), enlarging, non-square sizes, a copy at the same
size and source boxes must give identical pixels (max |diff| == 0)."""
import os
import random

from PIL import Image

from frames_common import Failures, load_rgb, max_diff, run_tool, temp_dir


def noise_image(width, height, seed):
    """Random pixels with some smooth structure, so both rounding and edges count."""
    rng = random.Random(seed)
    im = Image.new("RGB", (width, height))
    im.putdata([(rng.randrange(256), (x * 255) // max(width - 1, 1),
                 (y * 255) // max(height - 1, 1) ^ rng.randrange(16))
                for y in range(height) for x in range(width)])
    return im


# (source size, output size, box or None)
CASES = [
    ((256, 256), (112, 112), None),  # DFEW crop to model input
    ((224, 224), (112, 112), None),  # exact factor 2
    ((50, 40), (112, 112), None),    # enlarge
    ((61, 37), (20, 90), None),      # shrink one axis, enlarge the other
    ((300, 7), (13, 1), None),       # strong shrink, one output row
    ((1, 1), (5, 3), None),          # single pixel
    ((97, 113), (97, 113), None),    # same size: a copy
    ((97, 113), (97, 50), None),     # vertical pass only
    ((97, 113), (40, 113), None),    # horizontal pass only
    ((256, 256), (112, 112), (10, 20, 240, 250)),        # integer box, shrink
    ((120, 90), (112, 112), (3.25, 7.5, 80.75, 66.0)),   # fractional box, enlarge
    ((120, 90), (57, 33), (0, 0, 120, 45)),              # box on the top half
    ((64, 64), (64, 64), (0, 0, 32, 64)),                # box, horizontal stretch only
]


def main():
    f = Failures()
    with temp_dir() as d:
        out = os.path.join(d, "out.ppm")
        for number, (src_size, dst_size, box) in enumerate(CASES):
            src = noise_image(*src_size, seed=number)
            src_path = os.path.join(d, f"src{number}.png")
            src.save(src_path)
            args = ["resize", src_path, dst_size[0], dst_size[1], out]
            if box is not None:
                args += list(box)
            run_tool(*args)
            expected = src.resize(dst_size, Image.BILINEAR, box=box)
            got = load_rgb(out)
            label = f"resize {src_size} -> {dst_size} box {box}"
            f.check(got.size == expected.size, f"{label}: size {got.size}")
            if got.size == expected.size:
                diff = max_diff(got, expected)
                f.check(diff == 0, f"{label}: max |diff| {diff} vs Pillow")

        # Crop then resize, as torchvision's resized_crop does on PIL images.
        src = noise_image(200, 180, seed=99)
        src_path = os.path.join(d, "crop_src.png")
        src.save(src_path)
        crop_path = os.path.join(d, "crop.ppm")
        run_tool("crop", src_path, 17, 9, 150, 163, crop_path)
        expected_crop = src.crop((17, 9, 17 + 150, 9 + 163))
        diff = max_diff(load_rgb(crop_path), expected_crop)
        f.check(diff == 0, f"crop: max |diff| {diff} vs Pillow")
        crop_png = os.path.join(d, "crop.png")
        load_rgb(crop_path).save(crop_png)
        run_tool("resize", crop_png, 112, 112, out)
        diff = max_diff(load_rgb(out), expected_crop.resize((112, 112), Image.BILINEAR))
        f.check(diff == 0, f"crop then resize: max |diff| {diff} vs Pillow")
    f.finish()


if __name__ == "__main__":
    main()
