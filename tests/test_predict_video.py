"""predict on real videos from Debian packages: Megamind.avi (opencv-doc:
animated faces, cuts, dark frames) and movie-hello.mp4
(forensics-samples-files: a webcam face in a screen recording). The face
detector is compared with OpenCV's own CascadeClassifier (python3-opencv)
on frames of both videos."""
import json
import os
import sys

import cv2

from predict_common import (CASCADES, MEGAMIND, MOVIE_HELLO, VIDEO_TOOL, check_layout, run,
                            tool_predict, run_tests)


def test_detector_matches_opencv(tmp):
    checked = 0
    for name in ("default", "alt2"):
        path = os.path.join(CASCADES, f"haarcascade_frontalface_{name}.xml")
        reference = cv2.CascadeClassifier(path)
        for video in (MEGAMIND, MOVIE_HELLO):
            cap = cv2.VideoCapture(video)
            for index in range(0, 240, 40):
                cap.set(cv2.CAP_PROP_POS_FRAMES, index)
                ok, frame = cap.read()
                assert ok, (video, index)
                grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
                raw = os.path.join(tmp, "grey.raw")
                grey.tofile(raw)
                h, w = grey.shape
                _, out, _ = run([VIDEO_TOOL, "detect", path, raw, str(w), str(h)])
                ours = sorted(json.loads(out))
                want = sorted(list(map(int, r)) for r in reference.detectMultiScale(grey, 1.1, 3))
                assert ours == want, (name, os.path.basename(video), index, ours, want)
                checked += len(want)
    assert checked >= 20, checked


def test_megamind(tmp):
    _, doc, err = tool_predict([MEGAMIND])
    print(err.strip())
    check_layout(doc)
    r = doc["results"][0]
    assert r["frames"] == 270, r["frames"]
    assert abs(r["duration"] - 11.26) < 0.05, r["duration"]
    windows = r["windows"]
    found = sum(w["face_found"] for w in windows)
    assert found >= 0.8 * len(windows), (found, len(windows))
    for w in windows:
        if w["face_found"]:
            x, y, bw, bh = w["box"]
            assert x >= 0, w["box"]
            assert y >= 0, w["box"]
            assert x + bw <= 720, w["box"]
            assert y + bh <= 528, w["box"]
            assert bw >= 528 / 15, w["box"]


def test_movie_hello(tmp):
    _, doc, err = tool_predict([MOVIE_HELLO])
    print(err.strip())
    check_layout(doc)
    r = doc["results"][0]
    assert r["frames"] == 249, r["frames"]
    windows = r["windows"]

    # The webcam picture sits at x 114..367, y 83..272 of the 1280 x 720
    # recording; every face box must lie inside it.
    found = [w for w in windows if w["face_found"]]
    assert len(found) > len(windows) / 2, [w["face_found"] for w in windows]
    for w in found:
        x, y, bw, bh = w["box"]
        assert 114 <= x, w["box"]
        assert x + bw <= 367, w["box"]
        assert 83 <= y, w["box"]
        assert y + bh <= 272, w["box"]


def main():
    for path in (MEGAMIND, MOVIE_HELLO):
        if not os.path.exists(path):
            print(f"FAIL: {path} is missing; install opencv-doc and forensics-samples-files "
                  "(scripts/install-deps.sh)")
            sys.exit(1)
    run_tests(globals())


if __name__ == "__main__":
    main()
