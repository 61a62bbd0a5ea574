"""nrdfer data check on small datasets of every layout, made here with PIL.

Each reader gets a clean dataset (exit 0, counts checked against what the
test wrote) and broken copies (exit 1, every bad clip id in the output).
"""
import json
import os
import subprocess
import sys
import tempfile

from PIL import Image

BIN = os.environ.get("NRDFER_BIN", "build/nrdfer")
DFER = ["happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"]
AFEW = {"Happy": 0, "Sad": 1, "Neutral": 2, "Angry": 3, "Surprise": 4, "Disgust": 5,
        "Fear": 6}
MAFW = ["anger", "disgust", "fear", "happiness", "neutral", "sadness", "surprise",
        "contempt", "anxiety", "helplessness", "disappointment"]

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def frames(folder, n, size=16, ext="jpg", name="{i}"):
    """Write n frames (1-based names) of one colour each into folder."""
    os.makedirs(folder, exist_ok=True)
    for i in range(1, n + 1):
        img = Image.new("RGB", (size, size), ((i * 13) % 256, 80, 160))
        img.save(os.path.join(folder, name.format(i=i) + "." + ext))


def truncate(path):
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])


def run(*args):
    p = subprocess.run([BIN, "data", "check", *args], capture_output=True, text=True,
                       timeout=120)
    return p.returncode, p.stdout + p.stderr


def run_json(*args):
    p = subprocess.run([BIN, "data", "check", "--json", *args], capture_output=True,
                       text=True, timeout=120)
    try:
        report = json.loads(p.stdout)
    except ValueError:
        report = None
    return p.returncode, report, p.stdout + p.stderr


def expect_bad(name, args, ids, code=1):
    rc, out = run(*args)
    check(rc == code, f"{name}: exit {rc}, expected {code}\n{out}")
    for clip in ids:
        check(clip in out, f"{name}: clip id {clip} missing from the output\n{out}")
    return out


# ---- DFEW ----

def dfew(root, train, test, clip_frames, frames_dir="Clip/clip_224x224"):
    """train/test: lists of (csv id, label 1..7); clip_frames: folder -> n."""
    for split, rows in (("train", train), ("test", test)):
        d = os.path.join(root, "EmoLabel_DataSplit", f"{split}(single-labeled)")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "set_1.csv"), "w") as f:
            f.write("video_name,label\n")
            for vid, label in rows:
                f.write(f"{vid},{label}\n")
    for folder, n in clip_frames.items():
        frames(os.path.join(root, frames_dir, folder), n, name=folder + "_{i}")


def test_dfew(tmp):
    root = os.path.join(tmp, "dfew")
    train = [(str(i), i % 7 + 1) for i in range(1, 15)]
    test = [(f"{i:05d}", i % 7 + 1) for i in range(15, 22)]
    sizes = {f"{i:05d}": 20 + i for i in range(1, 22)}
    sizes["00003"] = 11  # a short clip, as DFEW has
    dfew(root, train, test, sizes)
    rc, rep, out = run_json("--dataset", "dfew", "--root", root, "--fold", "1")
    check(rc == 0, f"dfew clean: exit {rc}\n{out}")
    if rep:
        tr = rep["splits"]["train"]
        check(tr["clips"] == 14, f"dfew train clips {tr['clips']}")
        check(rep["splits"]["test"]["clips"] == 7, "dfew test clips")
        check(tr["per_class"]["happy"] == 2, f"dfew happy {tr['per_class']}")
        check(tr["per_class"]["fear"] == 2, f"dfew fear {tr['per_class']}")
        check(tr["frames_per_clip"]["min"] == 11, f"dfew min {tr['frames_per_clip']}")
        check(tr["frames_per_clip"]["max"] == 34, f"dfew max {tr['frames_per_clip']}")
        check(tr["short_clips"] == 1, "dfew short clip count")
        check(tr["frame_sizes"] == [{"width": 16, "height": 16, "clips": 14}],
              f"dfew sizes {tr['frame_sizes']}")
        check(rep["classes"] == DFER, "dfew class order")
        short = [p for p in rep["problems"] if p["clip"] == "00003"]
        check(len(short) == 1 and short[0]["severity"] == "warning", f"dfew short {short}")

    # Short-clip policies: error fails, drop removes and counts.
    expect_bad("dfew short error", ["--dataset", "dfew", "--root", root,
                                    "--short-clips", "error"], ["00003"])
    rc, rep, out = run_json("--dataset", "dfew", "--root", root, "--short-clips", "drop")
    check(rc == 0, f"dfew short drop: exit {rc}\n{out}")
    if rep:
        check(rep["splits"]["train"]["clips"] == 13, "dfew drop leaves 13 clips")
        check(rep["splits"]["train"]["dropped_short_clips"] == 1, "dfew dropped count")

    # Frames-dir: a second copy with 16 frames per clip is flagged.
    for i in range(1, 22):
        frames(os.path.join(root, "Clip/clip_224x224_16f", f"{i:05d}"), 16)
    rc, out = run("--dataset", "dfew", "--root", root, "--frames-dir",
                  "Clip/clip_224x224_16f")
    check(rc == 0, f"dfew 16f: exit {rc}\n{out}")
    check("16-frame resampled copy" in out, f"dfew 16f warning missing\n{out}")

    # Broken copy: every kind of bad clip.
    bad = os.path.join(tmp, "dfew_bad")
    train = [("1", 1), ("2", 2), ("3", 9), ("4", 0), ("5", 1), ("5", 1), ("6", 3),
             ("7", 4), ("8", 5), ("9", 6), ("10", 7)]
    test = [("6", 3), ("11", 1), ("12", 2)]
    sizes = {f"{i:05d}": 20 for i in (1, 3, 4, 5, 6, 8, 9, 10, 11, 12)}
    dfew(bad, train, test, sizes)
    os.makedirs(os.path.join(bad, "Clip/clip_224x224/00007"))  # empty folder
    truncate(os.path.join(bad, "Clip/clip_224x224/00008/00008_5.jpg"))
    with open(os.path.join(bad, "Clip/clip_224x224/00009/00009_21.jpg"), "w") as f:
        f.write("not a jpeg\n")
    with open(os.path.join(bad, "Clip/clip_224x224/00010/Thumbs.db"), "w") as f:
        f.write("stray\n")
    with open(os.path.join(bad, "EmoLabel_DataSplit/test(single-labeled)/set_1.csv"),
              "a") as f:
        f.write("garbage line without comma\n")
    out = expect_bad("dfew broken", ["--dataset", "dfew", "--root", bad],
                     ["00002", "00003", "00004", "00005", "00006", "00007", "00008",
                      "00009"])
    check("set_1.csv:5" in out, f"dfew broken: unreadable line not named by file:line\n{out}")
    check("Thumbs.db" in out, "dfew broken: stray file not reported")
    rc, rep, out = run_json("--dataset", "dfew", "--root", bad)
    if rep:
        stray = [p for p in rep["problems"] if p["clip"] == "00010"]
        check(stray and all(p["severity"] == "warning" for p in stray),
              f"dfew stray file must be a warning: {stray}")

    # Training reads the same dataset: error policy fails naming clips,
    # skip leaves out every bad clip, including the ones that fail to decode.
    load = [BIN, "data", "load", "--dataset", "dfew", "--root", bad, "--size", "8",
            "--print-batches"]
    p = subprocess.run(load, capture_output=True, text=True, timeout=120)
    check(p.returncode == 1 and "00002" in p.stderr, f"dfew load, policy error: {p.stderr}")
    p = subprocess.run(load + ["--bad-clips", "skip"], capture_output=True, text=True,
                       timeout=120)
    check(p.returncode == 0, f"dfew load, policy skip: exit {p.returncode}\n{p.stderr}")
    # Training decodes only the sampled frames: 00009's bad file (frame 21 of
    # 21) is never sampled, which is why data check decodes every frame.
    check("1 skipped" in p.stdout, f"dfew load skips the undecodable clip\n{p.stdout}")
    for clip in ("00002", "00003", "00005", "00008"):
        check(clip in p.stderr, f"dfew load, policy skip: {clip} not logged\n{p.stderr}")

    # Missing split file, bad fold, usage errors.
    rc, out = run("--dataset", "dfew", "--root", bad, "--fold", "3")
    check(rc == 1 and "set_3.csv" in out, f"dfew missing fold file: {rc}\n{out}")
    rc, out = run("--dataset", "dfew", "--root", bad, "--fold", "6")
    check(rc == 1 and "fold 6" in out, f"dfew fold 6: {rc}\n{out}")
    rc, out = run("--dataset", "dfew")
    check(rc == 2, f"missing --root: exit {rc}")
    rc, out = run("--dataset", "nosuch", "--root", bad)
    check(rc == 2, f"unknown dataset: exit {rc}")
    rc, out = run("--root", os.path.join(tmp, "nowhere"), "--dataset", "dfew")
    check(rc == 1 and "nowhere" in out, f"missing root: exit {rc}\n{out}")
    rc, out = run("--help")
    check(rc == 0 and "--short-clips" in out, "data check --help")

    # An empty split file is named as such.
    empty = os.path.join(tmp, "dfew_empty")
    dfew(empty, [("1", 1)], [("2", 2)], {"00001": 20, "00002": 20})
    open(os.path.join(empty, "EmoLabel_DataSplit/test(single-labeled)/set_1.csv"),
         "w").close()
    rc, out = run("--dataset", "dfew", "--root", empty)
    check(rc == 1, f"dfew empty csv: exit {rc}\n{out}")
    check("test(single-labeled)/set_1.csv is empty" in out,
          f"dfew empty csv not named\n{out}")


# ---- list ----

def test_list(tmp):
    root = os.path.join(tmp, "list")
    for i in range(6):
        frames(os.path.join(root, "clips", f"c{i}"), 18, ext="png")
    with open(os.path.join(tmp, "train.txt"), "w") as f:
        for i in range(4):
            f.write(f"/old/home/data/clips/c{i} 18 {i}\n")
    with open(os.path.join(tmp, "test.txt"), "w") as f:
        f.write("clips/c4 18 4\nclips/c5 18 6\n")
    args = ["--dataset", "list", "--root", root, "--train", os.path.join(tmp, "train.txt"),
            "--test", os.path.join(tmp, "test.txt")]
    rc, rep, out = run_json(*args, "--strip-prefix", "/old/home/data")
    check(rc == 0, f"list clean: exit {rc}\n{out}")
    if rep:
        check(rep["splits"]["train"]["clips"] == 4, "list train clips")
        check(rep["splits"]["test"]["per_class"]["fear"] == 1, "list label 6 is fear")
    rc, rep, out = run_json(*args, "--strip-prefix", "/old/home/data=" + root)
    check(rc == 0, f"list OLD=NEW: exit {rc}\n{out}")
    rc, out = run(*args)
    check(rc == 1 and "/old/home/data/clips/c0" in out, f"list without prefix: {rc}\n{out}")

    # Broken lines: more frames annotated than on disk, fewer (a warning),
    # label out of range, unreadable, missing folder.
    with open(os.path.join(tmp, "bad.txt"), "w") as f:
        f.write("clips/c0 30 0\nclips/c1 10 1\nclips/c2 18 7\nclips/c3 eighteen 1\n"
                "clips/missing 18 2\n")
    out = expect_bad("list broken", ["--dataset", "list", "--root", root, "--train",
                                     os.path.join(tmp, "bad.txt")],
                     ["clips/c0", "clips/c2", "clips/missing", "bad.txt:4"])
    check("'clips/c3 eighteen 1'" in out, f"list broken: unreadable line not quoted\n{out}")
    rc, rep, out = run_json("--dataset", "list", "--root", root, "--train",
                            os.path.join(tmp, "bad.txt"))
    if rep:
        c1 = [p for p in rep["problems"] if p["clip"] == "clips/c1"]
        check(c1 and c1[0]["severity"] == "warning", f"list stale count is a warning: {c1}")


# ---- FERV39k ----

def test_ferv39k(tmp):
    root = os.path.join(tmp, "ferv")
    setups = os.path.join(root, "4_setups", "All_scenes")
    os.makedirs(setups)
    names = ["Happy", "Sad", "Neutral", "Angry", "Surprise", "Disgust", "Fear"]
    with open(os.path.join(setups, "train_All.csv"), "w") as f:
        for i, e in enumerate(names):
            path = f"Daily/{e}/{i:04d}"
            frames(os.path.join(root, "2_ClipsforFaceCrop", path), 8)
            f.write(f"{path} {e}\n")
    with open(os.path.join(setups, "test_All.csv"), "w") as f:
        frames(os.path.join(root, "2_ClipsforFaceCrop", "Crime/Fear/0100"), 30)
        f.write("Crime/Fear/0100 Fear\n")
    rc, rep, out = run_json("--dataset", "ferv39k", "--root", root)
    check(rc == 0, f"ferv39k clean: exit {rc}\n{out}")
    if rep:
        check(rep["splits"]["train"]["per_class"] == {n: 1 for n in DFER},
              f"ferv39k per class {rep['splits']['train']['per_class']}")
        check(rep["splits"]["train"]["short_clips"] == 7, "ferv39k 8-frame clips are short")
    with open(os.path.join(setups, "test_All.csv"), "a") as f:
        f.write("Crime/Happy/0101 Contempt\n")
    expect_bad("ferv39k unknown class", ["--dataset", "ferv39k", "--root", root],
               ["Crime/Happy/0101", "test_All.csv:2"])


# ---- AFEW ----

def test_afew(tmp):
    root = os.path.join(tmp, "afew")
    for split in ("Train", "Val"):
        for e in AFEW:
            frames(os.path.join(root, split, e, f"{split}_{e}_001"), 17)
    rc, rep, out = run_json("--dataset", "afew", "--root", root)
    check(rc == 0, f"afew clean: exit {rc}\n{out}")
    if rep:
        check(rep["splits"]["test"]["per_class"] == {n: 1 for n in DFER},
              f"afew Val per class {rep['splits']['test']['per_class']}")
    # A file with a video name that is not a video, and an unknown class
    # folder, are errors naming the clip.
    with open(os.path.join(root, "Train", "Angry", "010924040.avi"), "wb") as f:
        f.write(b"RIFF0000AVI ")
    os.makedirs(os.path.join(root, "Val", "Contempt", "x1"))
    out = expect_bad("afew video", ["--dataset", "afew", "--root", root], ["010924040"])
    check("010924040.avi: cannot open video" in out, f"afew video message\n{out}")
    check("Contempt" in out, f"afew unknown class folder\n{out}")


# ---- MAFW ----

def test_mafw(tmp):
    root = os.path.join(tmp, "mafw")
    split = os.path.join(root, "split", "single", "no_caption", "set_2")
    os.makedirs(split)
    with open(os.path.join(split, "train.txt"), "w") as f:
        for i, c in enumerate(MAFW):
            frames(os.path.join(root, "data", "faces", f"{i:05d}"), 16)
            f.write(f"{i:05d}.mp4 {c}\n")
    with open(os.path.join(split, "test.txt"), "w") as f:
        frames(os.path.join(root, "data", "faces", "00100"), 16)
        f.write("00100.mp4 contempt\n")
    rc, rep, out = run_json("--dataset", "mafw", "--root", root, "--fold", "2")
    check(rc == 0, f"mafw clean: exit {rc}\n{out}")
    if rep:
        check(rep["classes"] == MAFW, f"mafw classes {rep['classes']}")
        check(rep["splits"]["train"]["per_class"] == {n: 1 for n in MAFW}, "mafw per class")
        check(rep["splits"]["test"]["per_class"]["contempt"] == 1, "mafw contempt")
    with open(os.path.join(split, "test.txt"), "a") as f:
        f.write("00101.mp4 boredom\n00102.mp4 anger\n")
    expect_bad("mafw broken", ["--dataset", "mafw", "--root", root, "--fold", "2"],
               ["00101", "00102"])


# ---- folder ----

def test_folder(tmp):
    root = os.path.join(tmp, "folder")
    for split in ("train", "test"):
        for cls in ("dog", "cat", "bird"):
            frames(os.path.join(root, split, cls, f"{split}_{cls}_a"), 16, ext="png")
    rc, rep, out = run_json("--dataset", "folder", "--root", root)
    check(rc == 0, f"folder clean: exit {rc}\n{out}")
    if rep:
        check(rep["classes"] == ["bird", "cat", "dog"], f"folder classes {rep['classes']}")
    expr = os.path.join(tmp, "folder_expr")
    for split in ("train", "test"):
        for cls in ("Fear", "happy"):
            frames(os.path.join(expr, split, cls, f"{split}_{cls}"), 16)
    rc, rep, out = run_json("--dataset", "folder", "--root", expr)
    check(rc == 0, f"folder expressions: exit {rc}\n{out}")
    if rep:
        check(rep["classes"] == DFER, f"folder expression classes {rep['classes']}")
        check(rep["splits"]["train"]["per_class"]["fear"] == 1, "folder fear")
    # Same clip in train and test, empty clip folder.
    frames(os.path.join(root, "test", "dog", "train_dog_a"), 16)
    os.makedirs(os.path.join(root, "train", "cat", "empty_clip"))
    expect_bad("folder broken", ["--dataset", "folder", "--root", root],
               ["train_dog_a", "empty_clip"])


def main():
    if not os.path.exists(BIN):
        print("nrdfer binary not found at", BIN)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        for test in (test_dfew, test_list, test_ferv39k, test_afew, test_mafw, test_folder):
            sub = os.path.join(tmp, test.__name__)
            os.makedirs(sub)
            test(sub)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
