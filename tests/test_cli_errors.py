"""Bad input to nrdfer predict, eval and train: each case must end with exit
status 1 or 2 and a message naming the file or value, before any work is
done and without leaving files behind. Fixtures: a small-preset checkpoint
from video_tool, PNG frames from PIL, a video from ffmpeg and a synthetic
dataset from nrdfer synth, all in a temporary folder."""
import json
import os
import subprocess

from PIL import Image

import safetensors_io
from predict_common import NRDFER, ffmpeg, run, run_tests

S = 64  # image size of the small preset


def make_model(tmp):
    model = os.path.join(tmp, "small.safetensors")
    run([os.path.join(os.path.dirname(NRDFER), "video_tool"), "make-model", model, "small",
         "7"])
    return model


def make_folder(tmp, count):
    folder = os.path.join(tmp, "frames")
    os.makedirs(folder)
    for i in range(count):
        Image.new("RGB", (S, S), (40 * i % 256, 90, 160)).save(
            os.path.join(folder, f"{i + 1}.png"))
    return folder


def test_predict_output_folder_missing(tmp):
    model = make_model(tmp)
    folder = make_folder(tmp, 4)
    video = os.path.join(tmp, "clip.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=96x96:rate=10", "-t", "1", "-pix_fmt",
           "yuv420p", video)
    missing = os.path.join(tmp, "missing")
    cases = [("--json", "out.json", folder), ("--csv", "out.csv", folder),
             ("--timeline", "out.png", folder), ("--annotate", "out.mp4", video)]
    for option, name, source in cases:
        path = os.path.join(missing, name)
        # --json takes its file after '=' because a bare --json prints to stdout.
        args = [option + "=" + path] if option == "--json" else [option, path]
        rc, out, err = run([NRDFER, "predict", "--model", model, *args, source],
                           check=False)
        assert rc == 1, (option, rc, err)
        assert path in err, (option, err)
        assert "not found" in err, (option, err)
        assert ".tmp" not in err, (option, err)
        assert out == "", (option, "the input was processed before the check", out)
    assert not os.path.exists(missing), "a failed check created the output folder"

    # A bare --json prints the results to standard output.
    rc, out, err = run([NRDFER, "predict", "--model", model, "--json", folder], check=False)
    assert rc == 0, (rc, err)
    doc = json.loads(out)
    assert doc["results"][0]["input"] == folder, doc
    assert len(doc["results"][0]["probs"]) == len(doc["labels"]), doc

    # An output path that is a folder.
    rc, _, err = run([NRDFER, "predict", "--model", model, "--json=" + tmp, folder],
                     check=False)
    assert rc == 1, (rc, err)
    assert "is a folder" in err, err


def test_predict_batch_limit(tmp):
    model = make_model(tmp)
    folder = make_folder(tmp, 1)
    rc, _, err = run([NRDFER, "predict", "--model", model, "--batch", "100000", folder],
                     check=False)
    assert rc == 2, (rc, err)
    assert "100000" in err, err
    assert "256" in err, err

    # The largest batch on a single window.
    rc, out, err = run([NRDFER, "predict", "--model", model, "--threads", "1", "--batch",
                        "256", folder], check=False)
    assert rc == 0, (rc, err)
    assert "expression:" in out, out


def test_predict_window_count_limit(tmp):
    # One frame at 1e-300 fps lasts 1e300 s, far too many windows to make.
    model = make_model(tmp)
    folder = make_folder(tmp, 1)
    proc = subprocess.run([NRDFER, "predict", "--model", model, "--fps", "1e-300", folder],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "--stride" in proc.stderr, proc.stderr
    assert "--fps" in proc.stderr, proc.stderr


def test_predict_infinite_values(tmp):
    for option in ("--window", "--stride", "--fps"):
        rc, _, err = run([NRDFER, "predict", "--model", "m.safetensors", option, "inf",
                          "in.mp4"], check=False)
        assert rc == 2, (option, rc, err)
        assert "inf" in err, (option, err)


def test_thread_and_batch_limits(tmp):
    # The trailing argument makes bench stop with a usage error even if a
    # limit is missing, so a failing case never starts the benchmark.
    cases = [
        (["predict", "--model", "m.safetensors", "--threads", "100000", "in.mp4"], "1024"),
        (["bench", "--threads", "100000", "extra"], "1024"),
        (["bench", "--batch", "100000", "extra"], "4096"),
        (["bench", "--iters", "1x", "extra"], "--iters"),
    ]
    for args, word in cases:
        rc, _, err = run([NRDFER, *args], check=False)
        assert rc == 2, (args, rc, err)
        assert word in err, (args, err)


def make_synth(tmp, clips):
    root = os.path.join(tmp, "synth")
    run([NRDFER, "synth", "--out", root, "--clips", str(clips), "--size", "32",
         "--noise", "none", "--threads", "1"])
    return root


def test_eval_output_folder_missing(tmp):
    model = make_model(tmp)
    root = make_synth(tmp, 5)
    for option, name in (("--predictions", "p.csv"), ("--confusion", "c.png")):
        path = os.path.join(tmp, "missing", name)
        rc, out, err = run([NRDFER, "eval", "--model", model, "--dataset", "dfew", "--root",
                            root, "--fold", "1", option, path], check=False)
        assert rc == 1, (option, rc, err)
        assert path in err, (option, err)
        assert "not found" in err, (option, err)
        assert "UAR" not in out, (option, "the evaluation ran before the check", out)


def test_eval_empty_test_split(tmp):
    model = make_model(tmp)
    root = make_synth(tmp, 5)
    csv = os.path.join(root, "EmoLabel_DataSplit", "test(single-labeled)", "set_1.csv")
    with open(csv, "w") as f:
        f.write("video_name,label\n")
    rc, out, err = run([NRDFER, "eval", "--model", model, "--dataset", "dfew", "--root", root,
                        "--fold", "1"], check=False)
    assert rc == 1, (rc, err)
    assert "test split" in err, err
    assert "no clips" in err, err
    assert out == "", out


def test_train_batch_too_large(tmp):
    root = make_synth(tmp, 10)
    out_dir = os.path.join(tmp, "run")
    base = [NRDFER, "train", "--preset", "small", "--steps", "0", "--threads", "1",
            "--dataset", "dfew", "--root", root, "--fold", "1", "--out", out_dir]
    rc, _, err = run(base + ["--batch", "32"], check=False)
    assert rc == 1, (rc, err)
    assert "--batch 32" in err, err
    assert not os.path.exists(os.path.join(out_dir, "config.json")), os.listdir(out_dir)

    # The same folder takes a corrected run without --force.
    rc, _, err = run(base + ["--batch", "2"], check=False)
    assert rc == 0, (rc, err)
    assert os.path.exists(os.path.join(out_dir, "last.safetensors")), os.listdir(out_dir)

    # The same holds for --folds.
    folds_dir = os.path.join(tmp, "folds")
    folds = [a if a != out_dir else folds_dir for a in base]
    folds[folds.index("--fold"):folds.index("--fold") + 2] = ["--folds", "1-2"]
    rc, _, err = run(folds + ["--batch", "32"], check=False)
    assert rc == 1, (rc, err)
    assert not os.path.exists(os.path.join(folds_dir, "config.json")), os.listdir(folds_dir)
    rc, _, err = run(folds + ["--batch", "2"], check=False)
    assert rc == 0, (rc, err)


def test_train_schedule_keeps_run(tmp):
    # An invalid schedule is a usage error found before --force clears the
    # run files of RUNDIR, or a new RUNDIR is made.
    root = make_synth(tmp, 10)
    out_dir = os.path.join(tmp, "run")
    base = [NRDFER, "train", "--preset", "small", "--steps", "0", "--batch", "2",
            "--threads", "1", "--dataset", "dfew", "--root", root, "--fold", "1"]
    run(base + ["--out", out_dir])
    before = sorted(os.listdir(out_dir))
    cases = [(["--schedule", "cosine", "--epochs", "1", "--warmup", "1"], "--warmup 1"),
             (["--lr-gamma", "0"], "--lr-gamma 0")]
    for options, named in cases:
        rc, _, err = run(base + options + ["--out", out_dir, "--force"], check=False)
        assert rc == 2, (options, rc, err)
        assert named in err, (options, err)
        assert sorted(os.listdir(out_dir)) == before, (options, os.listdir(out_dir))

        fresh = os.path.join(tmp, "fresh")
        rc, _, err = run(base + options + ["--out", fresh], check=False)
        assert rc == 2, (options, rc, err)
        assert not os.path.exists(fresh), (options, os.listdir(fresh))


def test_train_init_preset_mismatch(tmp):
    model = make_model(tmp)
    root = make_synth(tmp, 10)
    base = [NRDFER, "train", "--steps", "0", "--batch", "2", "--threads", "1",
            "--dataset", "dfew", "--root", root, "--fold", "1", "--init", model]
    out_dir = os.path.join(tmp, "paper")
    rc, _, err = run(base + ["--preset", "paper", "--out", out_dir], check=False)
    assert rc == 1, (rc, err)
    assert "--preset paper" in err, err
    assert "image_size" in err, err
    assert not os.path.exists(os.path.join(out_dir, "config.json")), os.listdir(out_dir)

    # The matching preset, and no preset at all, train the checkpoint.
    for name, preset in (("small", ["--preset", "small"]), ("none", [])):
        rc, _, err = run(base + preset + ["--out", os.path.join(tmp, name)], check=False)
        assert rc == 0, (name, rc, err)


def test_train_ablation_switches(tmp):
    """Each ablation switch trains its architecture and records it in the
    checkpoint; combinations without a model exit 2 naming the options."""
    root = make_synth(tmp, 10)
    base = [NRDFER, "train", "--preset", "small", "--steps", "1", "--batch", "2",
            "--threads", "1", "--dataset", "dfew", "--root", root, "--fold", "1"]
    bad = [(["--static-branch", "off", "--dynamic-branch", "off"], "--dynamic-branch off"),
           (["--single-frame", "--learned-cls-token"], "--single-frame"),
           (["--single-frame", "--static-branch", "off"], "--single-frame"),
           (["--static-branch", "of"], "--static-branch")]
    for i, (options, named) in enumerate(bad):
        out_dir = os.path.join(tmp, f"bad{i}")
        rc, _, err = run(base + options + ["--out", out_dir], check=False)
        assert rc == 2, (options, rc, err)
        assert named in err, (options, err)
        assert not os.path.exists(os.path.join(out_dir, "config.json")), options

    want = {
        "full": ([], {"static_branch": True, "dynamic_branch": True,
                      "learned_cls_token": False, "single_frame": False}),
        "nostatic": (["--static-branch", "off"], {"static_branch": False}),
        "nodynamic": (["--dynamic-branch", "off"], {"dynamic_branch": False}),
        "learned": (["--learned-cls-token"], {"learned_cls_token": True}),
        "single": (["--single-frame"], {"single_frame": True, "static_branch": False,
                                        "dynamic_branch": False}),
    }
    names = {}
    for name, (options, settings) in want.items():
        out_dir = os.path.join(tmp, name)
        rc, _, err = run(base + options + ["--out", out_dir], check=False)
        assert rc == 0, (name, rc, err)
        tensors, meta = safetensors_io.load(os.path.join(out_dir, "last.safetensors"))
        config = json.loads(meta["nrdfer"])
        for key, value in settings.items():
            assert bool(config[key]) == value, (name, key, config[key])
        names[name] = set(tensors)
    assert "temporal.cls_token" in names["learned"] - names["full"], names["learned"]
    assert not any(n.startswith("dsf.static") for n in names["nostatic"])
    assert not any(n.startswith("dsf.dynamic") for n in names["nodynamic"])
    assert not any(n.startswith(("dsf.", "temporal.")) for n in names["single"])
    assert "head.weight" in names["single"]

    # --init alone trains the checkpoint's architecture, and config.json
    # records it as the run that wrote the checkpoint did.
    keys = ("preset", "static_branch", "dynamic_branch", "learned_cls_token", "single_frame")
    for name in want:
        out_dir = os.path.join(tmp, f"init-{name}")
        rc, _, err = run([NRDFER, "train", "--steps", "0", "--batch", "2", "--threads", "1",
                          "--dataset", "dfew", "--root", root, "--fold", "1", "--init",
                          os.path.join(tmp, name, "last.safetensors"), "--out", out_dir],
                         check=False)
        assert rc == 0, (name, rc, err)
        with open(os.path.join(tmp, name, "config.json")) as f:
            source = json.load(f)
        with open(os.path.join(out_dir, "config.json")) as f:
            recorded = json.load(f)
        for key in keys:
            assert recorded[key] == source[key], (name, key, recorded[key], source[key])

    # A preset that lacks the baseline's switch names single_frame.
    rc, _, err = run(base + ["--init", os.path.join(tmp, "single", "last.safetensors"),
                             "--out", os.path.join(tmp, "init-mismatch")], check=False)
    assert rc == 1, (rc, err)
    assert "'single_frame' is 1" in err, err

    # --resume rebuilds the ablation from config.json.
    rc, _, err = run([NRDFER, "train", "--resume", os.path.join(tmp, "single"), "--steps", "2"],
                     check=False)
    assert rc == 0, (rc, err)
    assert "single-frame baseline" in err, err


def main():
    run_tests(globals())


if __name__ == "__main__":
    main()
