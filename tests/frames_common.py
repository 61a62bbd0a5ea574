"""Helpers shared by the frame pipeline tests: the frames_tool program and
temporary fixture folders."""
import json
import os
import subprocess
import sys
import tempfile

from PIL import Image

BUILD_DIR = os.environ.get("NRDFER_BUILD_DIR", "build")
TOOL = os.path.join(BUILD_DIR, "frames_tool")


def run_tool(*args, check=True):
    """Run frames_tool; return the CompletedProcess (text output)."""
    result = subprocess.run([TOOL] + [str(a) for a in args], capture_output=True, text=True,
                            timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"frames_tool {args} exited {result.returncode}: {result.stderr}")
    return result


def run_tool_json(*args):
    return json.loads(run_tool(*args).stdout)


def load_rgb(path):
    with Image.open(path) as im:
        return im.convert("RGB")


def max_diff(a, b):
    """Largest absolute per-channel difference of two same-size RGB images."""
    assert a.size == b.size, f"size {a.size} != {b.size}"
    da, db = a.tobytes(), b.tobytes()
    return max((abs(x - y) for x, y in zip(da, db)), default=0)


class Failures:
    """Collects failed checks so a test reports all of them, then exits 1."""

    def __init__(self):
        self.messages = []

    def check(self, ok, message):
        if not ok:
            self.messages.append(message)
            print("FAIL:", message)

    def finish(self):
        if self.messages:
            print(f"{len(self.messages)} check(s) failed")
            sys.exit(1)
        print("all checks passed")


def temp_dir():
    return tempfile.TemporaryDirectory(prefix="nrdfer-frames-")
