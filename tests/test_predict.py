"""predict on frame folders and on videos the test makes with ffmpeg, through
video_tool's stand-in model (the pipeline up to the model call), plus the
command line's argument checks. Oracles: PIL for resizing, ffmpeg for
decoding and rotation, the sampling formula written out in predict_common."""
import json
import os

import numpy as np
from PIL import Image

from predict_common import (LABELS, MEGAMIND, NRDFER, check_layout, ffmpeg, run, sample_test,
                            stand_in_probs, tool_predict, iou, run_tests)

S = 64  # image size of the small preset that video_tool uses
T = 16


def make_frames(folder, count, size, seed):
    """Writes count random PNG frames named 1.png .. count.png; returns them."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder)
    frames = []
    for i in range(count):
        pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        pixels[:, :, i % 3] //= 2  # make frames differ per channel
        Image.fromarray(pixels).save(os.path.join(folder, f"{i + 1}.png"))
        frames.append(pixels)
    return frames


def expected_window(frames, first, count):
    crops = []
    for i in sample_test(count, T):
        img = Image.fromarray(frames[first + i])
        if img.size != (S, S):
            img = img.resize((S, S), Image.BILINEAR)
        crops.append(np.asarray(img))
    return stand_in_probs(crops)


def test_folder_one_window(tmp):
    folder = os.path.join(tmp, "crops")
    frames = make_frames(folder, 16, (S, S), 1)
    with open(os.path.join(folder, "notes.txt"), "w") as f:
        f.write("not a frame\n")
    _, doc, _ = tool_predict([folder])
    check_layout(doc)
    r = doc["results"][0]
    assert r["frames"] == 16, r["frames"]
    assert abs(r["duration"] - 16 / 25) < 1e-9, r["duration"]
    assert len(r["windows"]) == 1, r["windows"]
    w = r["windows"][0]
    assert w["face_found"] is True, w
    assert w["box"] is None, w
    want = expected_window(frames, 0, 16)
    assert max(abs(a - b) for a, b in zip(w["probs"], want)) < 1e-5, (w["probs"], want)


def test_folder_resized_frames(tmp):
    folder = os.path.join(tmp, "large")
    frames = make_frames(folder, 11, (100, 75), 2)
    _, doc, _ = tool_predict([folder])
    w = doc["results"][0]["windows"][0]
    want = expected_window(frames, 0, 11)
    assert max(abs(a - b) for a, b in zip(w["probs"], want)) < 1e-5, (w["probs"], want)


def test_folder_windows(tmp):
    folder = os.path.join(tmp, "long")
    frames = make_frames(folder, 60, (S, S), 3)
    _, doc, _ = tool_predict([folder], "--fps", "10", "--batch", "3")
    check_layout(doc)
    r = doc["results"][0]
    assert abs(r["duration"] - 6.0) < 1e-9, r["duration"]
    spans = [(w["start_time"], w["end_time"]) for w in r["windows"]]
    assert spans == [(0, 2), (1, 3), (2, 4), (3, 5), (4, 6)], spans
    for k, w in enumerate(r["windows"]):
        first = 10 * k
        want = expected_window(frames, first, 20)
        assert max(abs(a - b) for a, b in zip(w["probs"], want)) < 1e-5, (k, w["probs"])


def test_folder_errors(tmp):
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    good = os.path.join(tmp, "good")
    make_frames(good, 4, (S, S), 4)
    bad = os.path.join(tmp, "bad")
    make_frames(bad, 4, (S, S), 5)
    # With 4 frames the test sampling takes frames 1 and 2 only.
    with open(os.path.join(bad, "2.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n broken")
    rc, doc, _ = tool_predict([empty, good, bad], check=False)
    assert rc == 1, rc
    check_layout(doc)
    errors = {r["input"]: r.get("error") for r in doc["results"]}
    assert errors[empty] and "no PNG or JPEG" in errors[empty], errors[empty]
    assert errors[good] is None, errors[good]
    assert errors[bad] and "2.png" in errors[bad], errors[bad]


def test_video_without_faces(tmp):
    path = os.path.join(tmp, "testsrc.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "4", "-pix_fmt",
           "yuv420p", path)
    _, doc, _ = tool_predict([path])
    check_layout(doc)
    r = doc["results"][0]
    assert r["frames"] == 100, r["frames"]
    assert abs(r["duration"] - 4.0) < 1e-6, r["duration"]
    assert sum(w["face_found"] for w in r["windows"]) == 0, r["windows"]
    assert r["label"] is None, r["label"]


def test_video_no_detect(tmp):
    path = os.path.join(tmp, "testsrc.mkv")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "1.6", "-c:v",
           "libvpx-vp9", "-pix_fmt", "yuv420p", path)
    _, doc, _ = tool_predict([path], "--no-detect")
    check_layout(doc)
    r = doc["results"][0]
    assert r["frames"] == 16, r["frames"]
    assert r["windows"][0]["face_found"] is True, r["windows"]
    assert r["label"] is not None


def test_video_errors(tmp):
    audio = os.path.join(tmp, "tone.m4a")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", audio)
    text = os.path.join(tmp, "notes.mp4")
    with open(text, "w") as f:
        f.write("this is not a video\n")
    one = os.path.join(tmp, "one.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=128x96:rate=25", "-frames:v", "1", "-pix_fmt",
           "yuv420p", one)
    rc, doc, _ = tool_predict([audio, text, os.path.join(tmp, "missing.avi"), one],
                              check=False)
    assert rc == 1, rc
    check_layout(doc)
    results = doc["results"]
    assert "no decodable video stream" in results[0]["error"], results[0]
    assert results[1]["error"].startswith(text), results[1]
    assert results[2]["error"].startswith(os.path.join(tmp, "missing.avi")), results[2]
    assert "error" not in results[3], results[3]
    assert results[3]["frames"] == 1, results[3]
    assert len(results[3]["windows"]) == 1, results[3]


def test_video_truncated(tmp):
    full = os.path.join(tmp, "full.avi")
    ffmpeg("-t", "4", "-i", MEGAMIND, "-an", "-vf", "scale=360:-2", "-c:v", "mpeg4", "-q:v",
           "4", full)
    data = open(full, "rb").read()
    cut = os.path.join(tmp, "cut.avi")
    with open(cut, "wb") as f:
        f.write(data[: len(data) // 2])
    _, whole, _ = tool_predict([full], "--no-detect")
    rc, doc, err = tool_predict([cut], "--no-detect", check=False)
    assert rc == 0, err
    check_layout(doc)
    n_full = whole["results"][0]["frames"]
    n_cut = doc["results"][0]["frames"]
    assert 0 < n_cut < n_full, (n_cut, n_full)


def test_video_rotated(tmp):
    # A stretch with one face in view at a time (a cut from the woman to the
    # man). Where a second, smaller face is in view (around 3 s), which face
    # a window takes can change between two encodings of the same frames.
    plain = os.path.join(tmp, "plain.mp4")
    ffmpeg("-ss", "7", "-t", "3", "-i", MEGAMIND, "-an", "-vf", "scale=360:-2", "-c:v",
           "libx264", "-pix_fmt", "yuv420p", plain)
    # Pixels turned clockwise, with rotation metadata that turns them back.
    turned = os.path.join(tmp, "turned.mp4")
    ffmpeg("-i", plain, "-vf", "transpose=clock", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           turned)
    rotated = os.path.join(tmp, "rotated.mp4")
    ffmpeg("-i", turned, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated)

    # Decoded frames: same size and pixels as ffmpeg's own rotated output.
    first = os.path.join(tmp, "first.png")
    ffmpeg("-i", rotated, "-frames:v", "1", first)
    want = np.asarray(Image.open(first).convert("RGB"))
    _, out, _ = run([os.path.join(os.path.dirname(NRDFER), "video_tool"), "decode", rotated])
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["rotation"] in (90, 270), lines[0]
    assert (lines[1]["height"], lines[1]["width"]) == want.shape[:2], (lines[1], want.shape)
    assert abs(lines[1]["mean"] - want.mean()) < 1.0, (lines[1]["mean"], want.mean())

    assert lines[1]["width"] == 360, lines[1]
    assert lines[1]["height"] == 264, lines[1]

    # Upright faces again, so the boxes are the plain video's boxes.
    _, a, _ = tool_predict([plain])
    _, b, _ = tool_predict([rotated])
    for wa, wb in zip(a["results"][0]["windows"], b["results"][0]["windows"]):
        assert wa["face_found"] == wb["face_found"], (wa, wb)
        if wa["face_found"]:
            assert iou(wa["box"], wb["box"]) > 0.7, (wa["box"], wb["box"])
    assert sum(w["face_found"] for w in a["results"][0]["windows"]) >= 1


def test_video_corrupt_stretch(tmp):
    full = os.path.join(tmp, "full.avi")
    ffmpeg("-t", "4", "-i", MEGAMIND, "-an", "-vf", "scale=360:-2", "-c:v", "mpeg4", "-q:v",
           "4", full)
    data = bytearray(open(full, "rb").read())
    rng = np.random.default_rng(1)
    middle = len(data) // 2
    data[middle : middle + 20000] = rng.integers(0, 256, 20000, dtype=np.uint8).tobytes()
    corrupt = os.path.join(tmp, "corrupt.avi")
    open(corrupt, "wb").write(bytes(data))

    _, whole, _ = tool_predict([full], "--no-detect")
    rc, doc, err = tool_predict([corrupt], "--no-detect", check=False)
    assert rc == 0, err
    check_layout(doc)
    n_full = whole["results"][0]["frames"]
    r = doc["results"][0]
    # Frames after the damaged stretch are still read.
    assert n_full // 2 + 10 < r["frames"] <= n_full, (r["frames"], n_full)
    assert r["duration"] > 3.5, r["duration"]
    assert "corrupt" in err, err


def test_video_variable_rate(tmp):
    path = os.path.join(tmp, "vfr.mkv")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-t", "3", "-vf",
           "setpts='if(lt(N,25),N*0.04,1+(N-25)*0.2)/TB'", "-fps_mode", "passthrough",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", path)
    _, out, _ = run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                     "frame=pts_time", "-of", "csv=p=0", path])
    want = [float(line.strip(",")) for line in out.split()]
    _, out, _ = run([os.path.join(os.path.dirname(NRDFER), "video_tool"), "decode", path])
    got = [json.loads(line)["time"] for line in out.splitlines()[1:]]
    assert len(got) == len(want), (len(got), len(want))
    for a, b in zip(got, want):
        assert abs(a - (b - want[0])) < 1e-3, (got, want)
    assert abs(got[26] - got[25] - 0.2) < 1e-3, got

    _, doc, _ = tool_predict([path], "--no-detect", "--window", "1", "--stride", "1")
    r = doc["results"][0]
    check_layout(doc)
    first = r["windows"][0]
    assert (first["start_time"], first["end_time"]) == (0, 1), first
    assert r["frames"] == len(want), r["frames"]


def test_cli_model(tmp):
    model = os.path.join(tmp, "small.safetensors")
    run([os.path.join(os.path.dirname(NRDFER), "video_tool"), "make-model", model, "small",
         "7"])
    folder = os.path.join(tmp, "crops")
    make_frames(folder, 16, (S, S), 6)
    clip = os.path.join(tmp, "clip.mp4")
    ffmpeg("-ss", "2", "-t", "3.5", "-i", MEGAMIND, "-an", "-vf", "scale=360:-2", "-c:v",
           "libx264", "-pix_fmt", "yuv420p", clip)
    empty = os.path.join(tmp, "testsrc.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-t", "2.5", "-pix_fmt",
           "yuv420p", empty)
    inputs = [folder, clip, empty]

    def predict(name, *options):
        out_json = os.path.join(tmp, name + ".json")
        out_csv = os.path.join(tmp, name + ".csv")
        run([NRDFER, "predict", "--model", model, "--threads", "1", "--json=" + out_json,
             "--csv", out_csv, *options, *inputs])
        return json.load(open(out_json)), open(out_csv).read().splitlines()

    doc, rows = predict("on", "--batch", "2")
    check_layout(doc)
    folder_r, clip_r, empty_r = doc["results"]
    assert len(folder_r["windows"]) == 1, folder_r["windows"]
    assert folder_r["label"] is not None
    assert sum(w["face_found"] for w in clip_r["windows"]) >= 1, clip_r["windows"]
    assert empty_r["label"] is None, empty_r

    # CSV: one row per window, the same numbers as the JSON.
    windows = [w for r in doc["results"] for w in r["windows"]]
    header = rows[0].split(",")
    assert header[-7:] == ["p_" + name for name in LABELS], header
    assert len(rows) == 1 + len(windows), (len(rows), len(windows))
    for row, w in zip(rows[1:], windows):
        cells = row.split(",")
        assert cells[header.index("face_found")] == str(int(w["face_found"])), (row, w)
        if w["probs"] is None:
            assert cells[-7:] == [""] * 7, row
        else:
            assert max(abs(float(a) - b) for a, b in zip(cells[-7:], w["probs"])) < 1e-5, row

    # The batch size does not change results; the same run gives the same output.
    again, _ = predict("batch1", "--batch", "1")
    for a, b in zip(windows, [w for r in again["results"] for w in r["windows"]]):
        assert a["label"] == b["label"], (a, b)
        if a["probs"] is not None:
            assert max(abs(x - y) for x, y in zip(a["probs"], b["probs"])) < 1e-5, (a, b)
    same, _ = predict("same", "--batch", "2")
    assert same == doc

    # Without the snippet filter nothing is suppressed; windows where the
    # filter did not act keep their probabilities.
    off, _ = predict("off", "--snippet-filter", "off", "--batch", "2")
    for a, b in zip(windows, [w for r in off["results"] for w in r["windows"]]):
        assert b["neutral_suppressed"] is False, b
        if a["probs"] is not None and not a["neutral_suppressed"]:
            assert max(abs(x - y) for x, y in zip(a["probs"], b["probs"])) < 1e-6, (a, b)


def test_track_drops_short_faces(tmp):
    # A face shown for 0.3 s of a 4 s video gets at most 2 detections (one
    # every 0.2 s), fewer than a track needs. Shown for 2 s, it is kept.
    # Windows of 0.5 s would count the short track if it were kept.
    def video(name, start, end):
        path = os.path.join(tmp, name)
        ffmpeg("-ss", "5", "-t", "4", "-i", MEGAMIND, "-an", "-filter_complex",
               "[0:v]scale=360:-2[face];color=black:size=360x264:rate=25[bg];"
               f"[bg][face]overlay=0:0:shortest=1:enable='between(t,{start},{end})'",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", path)
        _, doc, _ = tool_predict([path], "--window", "0.5", "--stride", "0.5")
        return doc["results"][0]["windows"]

    brief = video("brief.mp4", 2.05, 2.35)
    assert not any(w["face_found"] for w in brief), brief
    long = video("long.mp4", 1.0, 3.0)
    assert any(w["face_found"] for w in long), long


def test_face_choice(tmp):
    # Two copies of one clip side by side: a large one at the left edge and a
    # small one around the frame centre (x 400..700 of 1100).
    path = os.path.join(tmp, "two.mp4")
    ffmpeg("-ss", "5", "-t", "3", "-i", MEGAMIND, "-an", "-filter_complex",
           "[0:v]split[a][b];[a]scale=480:-2[big];[b]scale=300:-2[small];"
           "color=black:size=1100x400:rate=25[bg];[bg][big]overlay=0:0:shortest=1[t];"
           "[t][small]overlay=400:50", "-c:v", "libx264", "-pix_fmt", "yuv420p", path)
    _, largest, _ = tool_predict([path])
    _, center, _ = tool_predict([path], "--center")
    for w in largest["results"][0]["windows"]:
        assert w["face_found"], w
        assert w["box"][0] + w["box"][2] / 2 < 480, w["box"]
    for w in center["results"][0]["windows"]:
        assert w["face_found"], w
        assert 400 < w["box"][0] + w["box"][2] / 2 < 700, w["box"]


def test_annotate_timeline(tmp):
    # An odd frame size (PNG frames in Matroska) loses a column and a row.
    clip = os.path.join(tmp, "clip.mkv")
    ffmpeg("-ss", "2", "-t", "2.5", "-i", MEGAMIND, "-an", "-vf", "scale=361:265", "-c:v",
           "png", "-pix_fmt", "rgb24", clip)
    out = os.path.join(tmp, "annotated.mp4")
    plot = os.path.join(tmp, "timeline.png")
    _, doc, _ = tool_predict([clip], "--annotate", out, "--timeline", plot)
    _, probe, _ = run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v",
                       "-show_entries", "stream=width,height,nb_read_frames", "-of", "json", out])
    stream = json.loads(probe)["streams"][0]
    assert stream["nb_read_frames"] == str(doc["results"][0]["frames"]), stream
    assert (stream["width"], stream["height"]) == (360, 264), stream
    assert sum(w["face_found"] for w in doc["results"][0]["windows"]) >= 1
    image = Image.open(plot)
    assert image.size == (960, 400), image.size
    assert len(set(np.asarray(image.convert("RGB")).reshape(-1, 3)[:, 0].tolist())) > 10


def test_cli_arguments(tmp):
    rc, out, _ = run([NRDFER, "predict", "--help"], check=False)
    assert rc == 0, rc
    assert "--snippet-filter" in out, out
    cases = [
        ["predict", "in.mp4"],
        ["predict", "--model", "m.safetensors"],
        ["predict", "--model", "m.safetensors", "--window", "-1", "in.mp4"],
        ["predict", "--model", "m.safetensors", "--face", "left", "in.mp4"],
        ["predict", "--model", "m.safetensors", "--snippet-filter", "maybe", "in.mp4"],
        ["predict", "--model", "m.safetensors", "--batch", "0", "in.mp4"],
        ["predict", "--model", "m.safetensors", "--window", "1", "--stride", "2", "in.mp4"],
        ["predict", "--model", "m.safetensors", "--annotate", "o.mp4", "a.mp4", "b.mp4"],
        ["predict", "--model", "m.safetensors", "--unknown", "in.mp4"],
        ["predict", "--model", "m.safetensors", "--fps", "1e300", "in.mp4"],
        ["predict", "--model", "m.safetensors", "--window", "nan", "in.mp4"],
    ]
    for args in cases:
        rc, _, err = run([NRDFER, *args], check=False)
        assert rc == 2, (args, rc, err)
    rc, _, err = run([NRDFER, "predict", "--model", os.path.join(tmp, "none.safetensors"),
                      "in.mp4"], check=False)
    assert rc == 1, (rc, err)
    assert "none.safetensors" in err, err

    # A run folder given as the model is named as a folder.
    rc, _, err = run([NRDFER, "predict", "--model", tmp, "in.mp4"], check=False)
    assert rc == 1, (rc, err)
    assert f"{tmp} is a folder, not a file" in err, err


def main():
    run_tests(globals())


if __name__ == "__main__":
    main()
