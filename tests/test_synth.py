"""Tests of `nrdfer synth`: DFEW layout, determinism, noise levels, videos,
argument errors and output-folder safety. Fixtures are generated here in a
temporary folder; PIL, ffprobe and OpenCV (when installed) are the oracles."""

import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

from PIL import Image

NRDFER = os.environ.get("NRDFER_BIN", "build/nrdfer")
CLASSES = ["happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"]
CLIPS = 60
SPLITS = ("train(single-labeled)", "test(single-labeled)")


def run_synth(*args):
    return subprocess.run([NRDFER, "synth", *args], capture_output=True, text=True)


def generate(out, *args):
    result = run_synth("--out", out, "--clips", str(CLIPS), *args)
    if result.returncode != 0:
        raise AssertionError("nrdfer synth failed: " + result.stderr)
    return out


def tree_hashes(root):
    """Maps each file path under root (relative) to the SHA-256 of its bytes."""
    hashes = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                hashes[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return hashes


def read_split(root, kind, fold):
    path = os.path.join(root, "EmoLabel_DataSplit", kind, "set_%d.csv" % fold)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [(int(r[0]), int(r[1])) for r in rows[1:]]


def clip_dir(root, clip_id):
    return os.path.join(root, "Clip", "clip_224x224", "%05d" % clip_id)


class SynthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="nrdfer-synth-")
        base = cls.tmp.name
        cls.high = generate(os.path.join(base, "high"), "--seed", "7", "--noise", "high",
                            "--size", "64", "--videos", "--threads", "2")
        cls.high_one_thread = generate(os.path.join(base, "high1"), "--seed", "7", "--noise",
                                       "high", "--size", "64", "--videos", "--threads", "1")
        cls.none = generate(os.path.join(base, "none"), "--seed", "7", "--noise", "none",
                            "--threads", "2")
        cls.low = generate(os.path.join(base, "low"), "--seed", "7", "--noise", "low",
                           "--size", "64", "--threads", "2")
        cls.meta = {}
        for root in (cls.high, cls.none, cls.low):
            with open(os.path.join(root, "synth.json")) as f:
                cls.meta[root] = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_same_seed_identical_files(self):
        again = generate(os.path.join(self.tmp.name, "high-again"), "--seed", "7", "--noise",
                         "high", "--size", "64", "--videos", "--threads", "2")
        first, second = tree_hashes(self.high), tree_hashes(again)
        self.assertEqual(sorted(first), sorted(second))
        changed = [p for p in first if first[p] != second[p]]
        self.assertEqual(changed, [])

    def test_thread_count_identical_files(self):
        two_threads = tree_hashes(self.high)
        one_thread = tree_hashes(self.high_one_thread)
        self.assertEqual(sorted(two_threads), sorted(one_thread))
        changed = [p for p in two_threads if two_threads[p] != one_thread[p]]
        self.assertEqual(changed, [])

    def test_other_seed_differs(self):
        other = generate(os.path.join(self.tmp.name, "seed8"), "--seed", "8", "--noise",
                         "high", "--size", "64")
        a, b = tree_hashes(self.high), tree_hashes(other)
        frames = [p for p in a if p.endswith(".jpg") and p in b]
        same = [p for p in frames if a[p] == b[p]]
        self.assertGreater(len(frames), 0)
        self.assertLess(len(same), len(frames) // 10)

    def check_layout(self, root, size):
        meta = self.meta[root]
        clips = {c["id"]: c for c in meta["clips"]}
        self.assertEqual(meta["clip_count"], CLIPS)
        self.assertEqual(sorted(clips), list(range(1, CLIPS + 1)))
        self.assertEqual(meta["classes"], CLASSES)

        # Splits: header, labels 1..7, test folds partition the clips,
        # train = all clips minus the test fold, labels agree with synth.json.
        all_ids = set(clips)
        test_union = []
        for fold in range(1, 6):
            header, test_rows = read_split(root, SPLITS[1], fold)
            self.assertEqual(header, ["video_name", "label"])
            train_header, train_rows = read_split(root, SPLITS[0], fold)
            self.assertEqual(train_header, ["video_name", "label"])
            test_ids = {i for i, _ in test_rows}
            self.assertEqual({i for i, _ in train_rows}, all_ids - test_ids)
            self.assertEqual(len(train_rows) + len(test_rows), CLIPS)
            for clip_id, label in test_rows + train_rows:
                self.assertIn(label, range(1, 8))
                self.assertEqual(label, clips[clip_id]["label"])
                self.assertEqual(CLASSES[label - 1], clips[clip_id]["class"])
            for clip_id in test_ids:
                self.assertEqual(clips[clip_id]["test_fold"], fold)
            self.assertIn(len(test_rows), (CLIPS // 5, CLIPS // 5 + 1))
            test_union += list(test_ids)
        self.assertEqual(sorted(test_union), sorted(all_ids))

        # Stratified: each class's clips spread over the folds within one.
        for label in range(1, 8):
            per_fold = [sum(1 for c in clips.values()
                            if c["label"] == label and c["test_fold"] == fold)
                        for fold in range(1, 6)]
            self.assertLessEqual(max(per_fold) - min(per_fold), 1, CLASSES[label - 1])

        # Frames: one folder per id, numbered 1..n, 12..60 frames, all decode.
        for clip_id, clip in clips.items():
            names = os.listdir(clip_dir(root, clip_id))
            n = clip["frames"]
            self.assertIn(n, range(12, 61))
            expected = {"%05d_%d.jpg" % (clip_id, f) for f in range(1, n + 1)}
            self.assertEqual(set(names), expected)
            self.assertTrue(1 <= clip["apex"][0] <= clip["apex"][1] <= n)
            for event in clip["events"]:
                self.assertTrue(1 <= event["first"] <= event["last"] <= n)
            for name in names:
                with Image.open(os.path.join(clip_dir(root, clip_id), name)) as im:
                    im.load()
                    self.assertEqual(im.size, (size, size))
                    self.assertEqual(im.mode, "RGB")

    def test_layout_high(self):
        self.check_layout(self.high, 64)

    def test_layout_none(self):
        self.check_layout(self.none, 128)

    def test_layout_low(self):
        self.check_layout(self.low, 64)

    def test_class_skew(self):
        counts = [0] * 7
        for clip in self.meta[self.none]["clips"]:
            counts[clip["label"] - 1] += 1
        self.assertEqual(counts, self.meta[self.none]["class_counts"])
        self.assertTrue(all(c > 0 for c in counts), counts)
        self.assertEqual(min(counts), counts[CLASSES.index("disgust")], counts)
        self.assertEqual(max(counts), counts[CLASSES.index("neutral")], counts)
        self.assertGreaterEqual(counts[CLASSES.index("neutral")], 5 * counts[5], counts)

    def test_noise_levels(self):
        def kinds(root):
            return [e["kind"] for c in self.meta[root]["clips"] for e in c["events"]]

        self.assertEqual(kinds(self.none), [])
        low = kinds(self.low)
        self.assertGreater(len(low), 0)
        self.assertTrue(set(low) <= {"motion_blur", "flicker", "jpeg", "shake"}, set(low))
        high = kinds(self.high)
        self.assertGreater(len(high), len(low))
        for kind in ("long_neutral", "hand", "block", "black", "cut", "other_face"):
            self.assertIn(kind, high)

    def test_black_frames_are_dark(self):
        found = 0
        for clip in self.meta[self.high]["clips"]:
            for event in clip["events"]:
                if event["kind"] != "black":
                    continue
                path = os.path.join(clip_dir(self.high, clip["id"]),
                                    "%05d_%d.jpg" % (clip["id"], event["first"]))
                with Image.open(path) as im:
                    self.assertLess(max(im.convert("L").getextrema()), 40, path)
                found += 1
        self.assertGreater(found, 0)

    def test_videos_decode(self):
        meta = self.meta[self.high]
        self.assertTrue(meta["videos"])
        for clip in meta["clips"]:
            path = os.path.join(self.high, "videos", "%05d.mp4" % clip["id"])
            probe = subprocess.run(
                ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                 "-show_entries", "stream=nb_read_frames,width,height,codec_name",
                 "-of", "json", path], capture_output=True, text=True)
            self.assertEqual(probe.returncode, 0, probe.stderr)
            stream = json.loads(probe.stdout)["streams"][0]
            self.assertEqual(int(stream["nb_read_frames"]), clip["frames"], path)
            self.assertEqual((stream["width"], stream["height"]), tuple(meta["video_size"]))
            self.assertEqual(stream["codec_name"],
                             "h264" if meta["video_codec"] == "libx264" else "mpeg4")

    def test_haar_cascade_finds_faces(self):
        try:
            import cv2
        except ImportError:
            self.skipTest("python3-opencv is not installed")
        cascade = cv2.CascadeClassifier(
            "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml")
        self.assertFalse(cascade.empty())
        found = 0
        clips = self.meta[self.none]["clips"]
        for clip in clips:
            path = os.path.join(clip_dir(self.none, clip["id"]), "%05d_1.jpg" % clip["id"])
            gray = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2GRAY)
            faces = cascade.detectMultiScale(gray, 1.1, 3, minSize=(30, 30))
            found += len(faces) > 0
        self.assertGreaterEqual(found / len(clips), 0.8, "%d of %d" % (found, len(clips)))

    def test_bad_arguments_exit_2(self):
        out = os.path.join(self.tmp.name, "bad")
        cases = [
            ["--clips", "0", "--out", out],
            ["--clips", "ten", "--out", out],
            ["--clips", "100000", "--out", out],
            ["--noise", "medium", "--out", out],
            ["--size", "8", "--out", out],
            ["--threads", "0", "--out", out],
            ["--seed", "-1", "--out", out],
            ["--bogus", "--out", out],
            ["--clips", "10"],
            ["--out", out, "extra"],
        ]
        for args in cases:
            result = run_synth(*args)
            self.assertEqual(result.returncode, 2, (args, result.stderr))
            self.assertNotEqual(result.stderr.strip(), "", args)
        self.assertFalse(os.path.exists(out))

    def test_help_exit_0(self):
        result = run_synth("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("256 x 256", result.stdout)
        self.assertIn("clip_224x224", result.stdout)

    def test_foreign_folder_needs_force(self):
        out = os.path.join(self.tmp.name, "foreign")
        os.makedirs(out)
        with open(os.path.join(out, "notes.txt"), "w") as f:
            f.write("keep me\n")
        result = run_synth("--out", out, "--clips", "10", "--size", "32")
        self.assertEqual(result.returncode, 1)
        self.assertIn("notes.txt", result.stderr)
        self.assertIn("--force", result.stderr)
        self.assertEqual(os.listdir(out), ["notes.txt"])

        result = run_synth("--out", out, "--clips", "10", "--size", "32", "--force")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(os.path.isfile(os.path.join(out, "synth.json")))
        self.assertTrue(os.path.isfile(os.path.join(out, "notes.txt")))

    def test_rerun_removes_stale_clips(self):
        out = os.path.join(self.tmp.name, "rerun")
        first = run_synth("--out", out, "--clips", "20", "--size", "32", "--seed", "1")
        self.assertEqual(first.returncode, 0, first.stderr)
        second = run_synth("--out", out, "--clips", "10", "--size", "32", "--seed", "2")
        self.assertEqual(second.returncode, 0, second.stderr)
        folders = sorted(os.listdir(os.path.join(out, "Clip", "clip_224x224")))
        self.assertEqual(folders, ["%05d" % i for i in range(1, 11)])
        with open(os.path.join(out, "synth.json")) as f:
            meta = json.load(f)
        for clip in meta["clips"]:
            self.assertEqual(len(os.listdir(clip_dir(out, clip["id"]))), clip["frames"])

        # A fresh run with the same seed into a new folder gives the same files.
        fresh = run_synth("--out", out + "-fresh", "--clips", "10", "--size", "32",
                          "--seed", "2")
        self.assertEqual(fresh.returncode, 0, fresh.stderr)
        self.assertEqual(tree_hashes(out), tree_hashes(out + "-fresh"))


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
