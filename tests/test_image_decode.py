"""nd_image_load against Pillow: every colour model a frame folder may hold
decodes to the same 8-bit RGB pixels as Pillow's convert("RGB"), and cut-off
or non-image files fail with a message naming the file."""
import os
import subprocess

from PIL import Image

from frames_common import Failures, load_rgb, max_diff, run_tool, temp_dir


def gradient(mode, size=(61, 37)):
    """A test image with distinct values in every channel and position."""
    w, h = size
    im = Image.new("RGB", size)
    im.putdata([((x * 7 + y) % 256, (y * 11 + 3 * x) % 256, (x * y + 50) % 256)
                for y in range(h) for x in range(w)])
    if mode == "RGB":
        return im
    if mode == "RGBA":
        im = im.copy()
        im.putalpha(Image.linear_gradient("L").resize(size))
        return im
    return im.convert(mode)


def make_fixtures(d):
    """Write the fixtures; return {name: path} for those that must decode."""
    paths = {}

    def save(name, im, **kw):
        path = os.path.join(d, name)
        im.save(path, **kw)
        paths[name] = path

    save("rgb.jpg", gradient("RGB"), quality=92)
    save("progressive.jpg", gradient("RGB"), quality=85, progressive=True)
    save("gray.jpg", gradient("L"), quality=90)
    # Pillow's RGB to CMYK conversion leaves K at 0; merge bands so K varies.
    r, g, b = gradient("RGB").split()
    save("cmyk.jpg", Image.merge("CMYK", (r, g, b, gradient("L"))), quality=95)
    save("rgb.png", gradient("RGB"))
    save("rgba.png", gradient("RGBA"))
    save("gray.png", gradient("L"))
    save("gray_alpha.png", gradient("LA"))
    save("palette.png", gradient("RGB").convert("P", palette=Image.ADAPTIVE, colors=37))
    save("upper.JPEG", gradient("RGB"))

    # ffmpeg writes a 4:2:0 JPEG and a 16-bit-per-channel PNG (rgb48be).
    for name, extra in (("ffmpeg.jpg", ["-pix_fmt", "yuvj420p"]),
                        ("rgb48.png", ["-pix_fmt", "rgb48be"])):
        path = os.path.join(d, name)
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc=size=64x48:rate=1", "-frames:v", "1"] + extra + [path],
                       check=True, timeout=60)
        paths[name] = path
    return paths


def main():
    f = Failures()
    with temp_dir() as d:
        paths = make_fixtures(d)
        out = os.path.join(d, "out.ppm")

        # Every good fixture decodes to Pillow's RGB pixels.
        for name, path in paths.items():
            result = run_tool("decode", path, out, check=False)
            f.check(result.returncode == 0, f"decode {name}: exit {result.returncode} "
                                            f"({result.stderr.strip()})")
            if result.returncode != 0:
                continue
            expected = load_rgb(path)
            got = load_rgb(out)
            f.check(got.size == expected.size, f"decode {name}: size {got.size} != "
                                               f"{expected.size}")
            if got.size == expected.size:
                diff = max_diff(got, expected)
                f.check(diff == 0, f"decode {name}: max |diff| {diff} vs Pillow")

        # The CMYK and 16-bit fixtures really are, so those conversion paths ran.
        with Image.open(paths["cmyk.jpg"]) as im:
            f.check(im.mode == "CMYK", f"cmyk.jpg opens as {im.mode}, expected CMYK")
        with open(paths["rgb48.png"], "rb") as fp:
            bit_depth = fp.read(25)[24]
        f.check(bit_depth == 16, f"rgb48.png has bit depth {bit_depth}, expected 16")

        # Broken files fail with the file named and exit 1, without a crash.
        with open(paths["rgb.jpg"], "rb") as fp:
            jpeg = fp.read()
        with open(paths["rgb.png"], "rb") as fp:
            png = fp.read()
        broken = {
            "cut.jpg": jpeg[: len(jpeg) // 2],
            "cut_header.jpg": jpeg[:100],
            "cut.png": png[: len(png) // 2],
            "cut_signature.png": png[:20],
            "text.jpg": b"this is not an image\n",
            "empty.png": b"",
        }
        for name, data in broken.items():
            path = os.path.join(d, name)
            with open(path, "wb") as fp:
                fp.write(data)
            result = run_tool("decode", path, out, check=False)
            f.check(result.returncode == 1, f"decode {name}: exit {result.returncode}, "
                                            f"expected 1")
            f.check(path in result.stderr, f"decode {name}: message does not name the "
                                           f"file: {result.stderr.strip()!r}")
        missing = os.path.join(d, "missing.jpg")
        result = run_tool("decode", missing, out, check=False)
        f.check(result.returncode == 1, f"decode missing file: exit {result.returncode}")

    # Image names: extension only, any case.
    names = ["a.jpg", "b.JPEG", "c.Png", "d.jpeg.txt", "e.gif", "jpg", ".png", "f.jp"]
    expected = ["1", "1", "1", "0", "0", "0", "1", "0"]
    got = run_tool("is-image", *names).stdout.split()
    f.check(got == expected, f"is-image {names}: {got} != {expected}")
    f.finish()


if __name__ == "__main__":
    main()
