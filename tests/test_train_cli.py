"""nrdfer train and eval command lines: help, usage errors (exit 2), and
run-folder protection (exit 1 without --force). None of this needs the
engine or a readable dataset."""
import os
import sys
import tempfile

from train_fixture import Checks, run

checks = Checks("test_train_cli")
check = checks.check


def test_help():
    for command in ("train", "eval"):
        rc, out, err = run(command, "--help")
        check(rc == 0, f"{command} --help: exit {rc}")
        check(out.startswith("usage: nrdfer " + command), f"{command} --help: {out[:80]!r}")
        check("--dataset" in out, f"{command} --help lacks the data options")


def test_usage_errors(tmp):
    out_dir = os.path.join(tmp, "unused")
    base = ["train", "--dataset", "dfew", "--root", tmp, "--out", out_dir]
    cases = [
        (base + ["--lr", "fast"], "--lr"),
        (base + ["--optimizer", "adam"], "--optimizer"),
        (base + ["--schedule", "linear"], "schedule"),
        (base + ["--folds", "5-1"], "--folds"),
        (base + ["--fold", "1", "--folds", "1-5"], "--folds"),
        (base + ["--val-fraction", "1"], "--val-fraction"),
        (base + ["--label-smoothing", "-0.1"], "--label-smoothing"),
        (base + ["--augment", "maybe"], "--augment"),
        (base + ["--train-sampling", "middle"], "--train-sampling"),
        (base + ["--preset", "huge"], "--preset"),
        (base + ["--reset-head"], "--init"),
        (base + ["--batch", "0"], "--batch"),
        (["train", "--dataset", "dfew", "--root", tmp], "--out"),
        (["train", "--resume", out_dir, "--lr", "0.1"], "--resume"),
        (["eval", "--dataset", "dfew", "--root", tmp], "--model"),
        (["eval", "--model", "m.safetensors", "--dataset", "dfew", "--root", tmp,
          "--snippet-filter", "maybe"], "--snippet-filter"),
    ]
    for args, word in cases:
        rc, out, err = run(*args)
        check(rc == 2, f"{' '.join(args[1:])}: exit {rc}, expected 2\n{err}")
        check(word in err, f"{' '.join(args[1:])}: message lacks {word!r}: {err!r}")
    check(not os.path.exists(out_dir), "a usage error created the run folder")


def test_rundir_protection(tmp):
    run_dir = os.path.join(tmp, "run")
    os.makedirs(run_dir)
    with open(os.path.join(run_dir, "metrics.jsonl"), "w") as f:
        f.write('{"epoch": 1}\n')
    with open(os.path.join(run_dir, "notes.txt"), "w") as f:
        f.write("mine\n")
    args = ["train", "--dataset", "dfew", "--root", os.path.join(tmp, "missing"), "--fold",
            "1", "--out", run_dir, "--preset", "small"]

    # Without --force: exit 1 naming the folder and the ways out; nothing changed.
    rc, out, err = run(*args)
    check(rc == 1, f"non-empty RUNDIR: exit {rc}, expected 1\n{err}")
    check(run_dir in err and "--force" in err and "--resume" in err,
          f"non-empty RUNDIR: message {err!r}")
    check(open(os.path.join(run_dir, "metrics.jsonl")).read() == '{"epoch": 1}\n',
          "metrics.jsonl changed without --force")

    # With --force: run files go, other files stay; the missing root fails next.
    rc, out, err = run(*args, "--force")
    check(rc == 1, f"--force with a missing root: exit {rc}, expected 1\n{err}")
    check("already exists" not in err, f"--force still rejected: {err!r}")
    check(not os.path.exists(os.path.join(run_dir, "metrics.jsonl")),
          "--force left metrics.jsonl")
    check(os.path.exists(os.path.join(run_dir, "notes.txt")), "--force removed notes.txt")

    # A file in place of RUNDIR, and --resume of a folder without a run.
    path = os.path.join(tmp, "file")
    open(path, "w").close()
    rc, out, err = run(*args[:-4], "--out", path, "--preset", "small")
    check(rc == 1 and "is a file" in err, f"RUNDIR is a file: exit {rc}, {err!r}")
    rc, out, err = run("train", "--resume", os.path.join(tmp, "empty"))
    check(rc == 1 and "config.json" in err, f"--resume without a run: exit {rc}, {err!r}")


def main():
    with tempfile.TemporaryDirectory(prefix="nrdfer-train-cli-") as tmp:
        test_help()
        test_usage_errors(tmp)
        test_rundir_protection(tmp)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
