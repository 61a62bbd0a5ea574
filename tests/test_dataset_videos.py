#!/usr/bin/python3
"""Datasets whose clips are video files (the AFEW layout).

The fixture is `nrdfer synth --videos`: each clip as an MP4 scene with the
synthetic face somewhere in it, and synth.json giving the face's place.
The tests check that data check counts the decoded frames. The loader's
whole-frame clips must equal FFmpeg's decode resized by Pillow (same swscale
flags), and its face crops must centre on the face. Train and eval must run
on such a dataset, and broken videos are errors naming the clip.
"""
import json
import os
import shutil
import subprocess

import numpy as np
from PIL import Image

from predict_common import NRDFER, VIDEO_TOOL, run, sample_test, run_tests

S = 64
T = 16
AFEW_NAMES = {"happy": "Happy", "sad": "Sad", "neutral": "Neutral", "angry": "Angry",
              "surprise": "Surprise", "disgust": "Disgust", "fear": "Fear"}


def make_videos(tmp, clips=24):
    """Make synthetic videos and return (synth folder, synth.json clips)."""
    root = os.path.join(tmp, "synth")
    run([NRDFER, "synth", "--out", root, "--clips", str(clips), "--noise", "none",
         "--size", str(S), "--videos", "--seed", "5", "--threads", "1"])
    with open(os.path.join(root, "synth.json")) as f:
        return root, json.load(f)["clips"]


def make_afew(tmp, synth, clips):
    """AFEW layout: Train/<Emotion>/<id>.mp4 and Val/<Emotion>/<id>.mp4 (fold 1 as Val)."""
    root = os.path.join(tmp, "afew")
    for split in ("Train", "Val"):
        for name in AFEW_NAMES.values():
            os.makedirs(os.path.join(root, split, name))
    for c in clips:
        split = "Val" if c["test_fold"] == 1 else "Train"
        shutil.copy(os.path.join(synth, "videos", f"{c['id']:05d}.mp4"),
                    os.path.join(root, split, AFEW_NAMES[c["class"]], f"{c['id']:05d}.mp4"))
    return root


def decode(path):
    """RGB frames of a video through the ffmpeg command, with the swscale
    flags of nrdfer's decoder (bilinear, accurate rounding)."""
    probe = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                 "stream=width,height", "-of", "json", path])[1]
    stream = json.loads(probe)["streams"][0]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-sws_flags",
                          "bilinear+accurate_rnd", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, stream["height"], stream["width"], 3)


def resize(image, side):
    return np.asarray(Image.fromarray(image).resize((side, side), Image.BILINEAR))


def load_test_split(root, *options):
    """Run the loader over the test split (test sampling and resize) and
    return the float clips [n][T][3][S][S]."""
    dump = os.path.join(os.path.dirname(root), "dump.f32")
    run([NRDFER, "data", "load", "--dataset", "afew", "--root", root, "--split", "test",
         "--batch", "1", "--size", str(S), "--threads", "2", "--dump", dump, *options])
    return np.fromfile(dump, np.float32).reshape(-1, T, 3, S, S)


def val_videos(root):
    """The test split's videos in reader order (class folders, then names)."""
    out = []
    for name in sorted(AFEW_NAMES.values()):
        folder = os.path.join(root, "Val", name)
        out += [os.path.join(folder, f) for f in sorted(os.listdir(folder))]
    return out


def test_data_check_counts_decoded_frames(tmp):
    synth, clips = make_videos(tmp)
    root = make_afew(tmp, synth, clips)
    rc, out, err = run([NRDFER, "data", "check", "--dataset", "afew", "--root", root,
                        "--json"], check=False)
    assert rc == 0, (rc, err, out)
    report = json.loads(out)
    for split, fold_test in (("train", False), ("test", True)):
        counts = sorted(c["frames"] for c in clips if (c["test_fold"] == 1) == fold_test)
        got = report["splits"][split]["frames_per_clip"]
        assert got["min"] == counts[0], (split, got, counts)
        assert got["max"] == counts[-1], (split, got, counts)
        assert got["median"] == counts[len(counts) // 2], (split, got, counts)
        assert report["splits"][split]["video_clips"] == len(counts), report["splits"][split]
        short = sum(n < T for n in counts)
        assert report["splits"][split]["short_clips"] == short, (split, short)

        # The loader, which cannot count them when the dataset opens, logs
        # the same count after its first full epoch.
        err = run([NRDFER, "data", "load", "--dataset", "afew", "--root", root, "--split",
                   split, "--size", str(S), "--threads", "2"])[2]
        line = f"{split} split: {short} video clips shorter than {T} frames"
        assert (line in err) == (short > 0), (line, err)


def test_whole_frames_equal_ffmpeg_and_pillow(tmp):
    synth, clips = make_videos(tmp)
    root = make_afew(tmp, synth, clips)
    loaded = load_test_split(root, "--face-detect", "off")
    paths = val_videos(root)
    assert len(loaded) == len(paths), (len(loaded), len(paths))
    for clip, path in zip(loaded, paths):
        frames = decode(path)
        # The loader cuts crops at 2 S, then the test transform resizes to S.
        want = np.stack([resize(resize(frames[i], 2 * S), S)
                         for i in sample_test(len(frames), T)])
        want = want.transpose(0, 3, 1, 2).astype(np.float32) / 255
        diff = np.abs(clip - want).max()
        assert diff < 1e-6, (path, diff)


def test_short_video_samples_go_back(tmp):
    # A clip of at most T / 2 frames samples 0 1 0 1 ..., and the loop policy
    # restarts at frame 0, so the loader must not expect increasing indices.
    synth, clips = make_videos(tmp, clips=12)
    root = make_afew(tmp, synth, clips)
    victim = val_videos(root)[0]
    short = os.path.join(tmp, "short.mp4")
    run(["ffmpeg", "-v", "error", "-i", victim, "-frames:v", "5", "-c:v", "mpeg4", "-q:v",
         "2", short])
    shutil.move(short, victim)
    frames = decode(victim)
    assert len(frames) == 5, len(frames)

    loop = [i % len(frames) for i in range(T)]
    cases = ((("--face-detect", "off"), sample_test(len(frames), T)),
             (("--face-detect", "off", "--short-clips", "loop"),
              [loop[p] for p in sample_test(T, T)]))
    for options, indices in cases:
        loaded = load_test_split(root, *options)
        assert len(loaded) == len(val_videos(root)), (options, len(loaded))
        want = np.stack([resize(resize(frames[i], 2 * S), S) for i in indices])
        want = want.transpose(0, 3, 1, 2).astype(np.float32) / 255
        diff = np.abs(loaded[0] - want).max()
        assert diff < 1e-6, (options, diff)


def crop_square(frame, x, y, side):
    """The side x side square at (x, y) of frame, black outside it."""
    out = np.zeros((side, side, 3), np.uint8)
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + side, w), min(y + side, h)
    if x1 > x0 and y1 > y0:
        out[y0 - y:y1 - y, x0 - x:x1 - x] = frame[y0:y1, x0:x1]
    return out


def test_face_crops_centre_on_face(tmp):
    synth, clips = make_videos(tmp)
    root = make_afew(tmp, synth, clips)
    cropped = load_test_split(root)
    by_id = {c["id"]: c for c in clips}
    faces = 0
    for clip, path in zip(cropped, val_videos(root)):
        frames = decode(path)
        scan = json.loads(run([VIDEO_TOOL, "face-scan", path])[1])
        assert scan["frames"] == len(frames), (path, scan["frames"], len(frames))
        indices = sample_test(len(frames), T)
        if scan["squares"] is None:
            want = [resize(resize(frames[j], 2 * S), S) for j in indices]
        else:
            faces += 1
            # The square is centred on the synthetic face (synth.json gives its
            # centre and its unit; the face is about 2 units tall).
            cx, cy, unit = by_id[int(os.path.basename(path)[:5])]["video_face"]
            for x, y, side in scan["squares"]:
                assert abs(x + side / 2 - cx) < 0.5 * unit, (path, x, side, cx, unit)
                assert abs(y + side / 2 - cy) < 0.5 * unit, (path, y, side, cy, unit)
                assert 1.5 * unit < side < 4 * unit, (path, side, unit)
            want = [resize(resize(crop_square(frames[j], *scan["squares"][j]), 2 * S), S)
                    for j in indices]
        want = np.stack(want).transpose(0, 3, 1, 2).astype(np.float32) / 255
        diff = np.abs(clip - want).max()
        assert diff < 1e-6, (path, diff)
    assert faces >= 2, f"the cascade found a face in only {faces} test videos"


def test_cached_scans_repeat_epoch(tmp):
    """The loader keeps each video's face scan after the first epoch; the
    second epoch's test-mode clips must equal the first's."""
    synth, clips = make_videos(tmp, clips=12)
    root = make_afew(tmp, synth, clips)
    err = run([NRDFER, "data", "load", "--dataset", "afew", "--root", root, "--split",
               "train", "--batch", "1", "--size", str(S), "--threads", "2", "--epochs", "2",
               "--print-batches"])[1]
    hashes = {}
    for line in err.splitlines():
        words = line.split()
        if words and words[0] == "epoch":
            hashes.setdefault(int(words[1]), []).append(words[-1])
    assert len(hashes[0]) == len([c for c in clips if c["test_fold"] != 1]), hashes
    assert hashes[0] == hashes[1], hashes


def test_train_and_eval_on_videos(tmp):
    synth, clips = make_videos(tmp)
    root = make_afew(tmp, synth, clips)
    run_dir = os.path.join(tmp, "run")
    rc, _, err = run([NRDFER, "train", "--dataset", "afew", "--root", root, "--preset",
                      "small", "--steps", "2", "--batch", "4", "--val-fraction", "0",
                      "--threads", "1", "--out", run_dir], check=False)
    assert rc == 0, (rc, err)
    assert "no face found" in err, "a video without a face must be reported"
    rc, out, err = run([NRDFER, "eval", "--model", os.path.join(run_dir, "last.safetensors"),
                        "--dataset", "afew", "--root", root, "--json", "--threads", "1"],
                       check=False)
    assert rc == 0, (rc, err)
    assert json.loads(out)["clips"] == sum(c["test_fold"] == 1 for c in clips), out
    assert "face-detect" not in err, err

    # A run trained on whole frames is evaluated on face crops only with a warning.
    whole_dir = os.path.join(tmp, "whole")
    run([NRDFER, "train", "--dataset", "afew", "--root", root, "--preset", "small", "--steps",
         "1", "--batch", "4", "--val-fraction", "0", "--threads", "1", "--face-detect", "off",
         "--out", whole_dir])
    model = os.path.join(whole_dir, "last.safetensors")
    base = [NRDFER, "eval", "--model", model, "--dataset", "afew", "--root", root, "--json",
            "--threads", "1"]
    err = run(base)[2]
    assert "add --face-detect off" in err, err
    err = run(base + ["--face-detect", "off"])[2]
    assert "face-detect" not in err, err


def test_broken_video_named(tmp):
    synth, clips = make_videos(tmp, clips=12)
    root = make_afew(tmp, synth, clips)
    # A truncated video and a text file with a video name.
    victim = val_videos(root)[0]
    with open(victim, "rb") as f:
        data = f.read()
    with open(victim, "wb") as f:
        f.write(data[: len(data) // 3])
    fake = os.path.join(root, "Train", "Sad", "99999.avi")
    with open(fake, "w") as f:
        f.write("not a video\n")
    # A video with its index first (faststart), cut inside a packet in its
    # middle: it opens, and its frames after the cut are lost.
    cut = os.path.join(root, "Train", "Happy", "99997.mp4")
    source = os.path.join(synth, "videos", f"{clips[0]['id']:05d}.mp4")
    run(["ffmpeg", "-v", "error", "-i", source, "-c", "copy", "-movflags", "+faststart", cut])
    packets = json.loads(run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                              "-show_entries", "packet=pos,size", "-of", "json", cut])[1])
    middle = packets["packets"][len(packets["packets"]) // 2]
    pos, size = int(middle["pos"]), int(middle["size"])
    with open(cut, "rb") as f:
        data = f.read()
    with open(cut, "wb") as f:
        f.write(data[: pos + size // 2])
    # A symbolic link loop and a FIFO, which would block the reader if opened.
    happy = os.path.join(root, "Train", "Happy")
    os.symlink("99995.mp4", os.path.join(happy, "99996.mp4"))
    os.symlink("99996.mp4", os.path.join(happy, "99995.mp4"))
    os.mkfifo(os.path.join(happy, "99994.mp4"))
    # Two MPEG-2 program streams of different sizes, joined into one file.
    parts = []
    for size in ("64x48", "96x72"):
        parts.append(os.path.join(tmp, f"{size}.mpg"))
        run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25",
             "-frames:v", "5", "-c:v", "mpeg2video", parts[-1]])
    with open(os.path.join(root, "Train", "Neutral", "99993.mpg"), "wb") as out_file:
        for part in parts:
            with open(part, "rb") as f:
                out_file.write(f.read())
    # FFmpeg opens a JPEG named .mp4 as a one-frame stream, so the reader
    # must reject it by its container.
    photo = os.path.join(root, "Train", "Happy", "99998.mp4")
    Image.new("RGB", (64, 48), (200, 30, 30)).save(photo, format="JPEG")
    rc, out, err = run([NRDFER, "data", "check", "--dataset", "afew", "--root", root],
                       check=False)
    assert rc == 1, (rc, out, err)
    assert "99999.avi" in out, out
    assert "99998.mp4 is a still image" in out, out
    assert "99997.mp4 has 1 corrupt packets or frames" in out, out
    assert "99996.mp4 cannot be read: Too many levels of symbolic links" in out, out
    assert "99994.mp4 is not a regular file" in out, out
    assert "clip 99993: frames of the clip differ in size" in out, out
    # The MP4 index is at the end of these files, so the cut-off one cannot
    # be opened at all.
    assert os.path.basename(victim) + ": cannot open video" in out, out
    # Training stops before its first step, naming a broken clip.
    rc, _, err = run([NRDFER, "train", "--dataset", "afew", "--root", root, "--preset",
                      "small", "--steps", "1", "--batch", "2", "--val-fraction", "0",
                      "--threads", "1", "--out", os.path.join(tmp, "run")], check=False)
    assert rc == 1, (rc, err)
    assert "99999" in err, err
    assert "epoch 1/" not in err, err

    # A missing cascade is named before any work.
    rc, _, err = run([NRDFER, "data", "check", "--dataset", "afew", "--root", root,
                      "--cascade", os.path.join(tmp, "none.xml")], check=False)
    assert rc == 1, (rc, err)
    assert "none.xml" in err, err

    # A cascade that no clip uses is reported as ignored: the synth root's
    # DFEW layout has frame folders only.
    rc, _, err = run([NRDFER, "data", "check", "--dataset", "dfew", "--root", synth,
                      "--cascade", os.path.join(tmp, "none.xml")], check=False)
    assert rc == 0, (rc, err)
    assert "none.xml is ignored, because the dataset has no video clips" in err, err


def main():
    run_tests(globals())


if __name__ == "__main__":
    main()
