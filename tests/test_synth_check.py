"""nrdfer synth output passes nrdfer data check; a copy with planted problems
fails it, and every planted clip id appears in the report."""
import csv
import os
import shutil
import subprocess
import sys
import tempfile

BIN = os.environ.get("NRDFER_BIN", "build/nrdfer")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def data_check(root, fold):
    p = subprocess.run([BIN, "data", "check", "--dataset", "dfew", "--root", root,
                        "--fold", str(fold)], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout + p.stderr


def split_csv(root, split, fold):
    return os.path.join(root, "EmoLabel_DataSplit", f"{split}(single-labeled)",
                        f"set_{fold}.csv")


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def write_rows(path, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)


def clip_dir(root, clip_id):
    return os.path.join(root, "Clip", "clip_224x224", f"{int(clip_id):05d}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "synth")
        p = subprocess.run([BIN, "synth", "--out", root, "--clips", "60", "--seed", "4",
                            "--noise", "high", "--size", "64"],
                           capture_output=True, text=True, timeout=600)
        check(p.returncode == 0, "synth exits 0: " + p.stderr[-300:])
        for fold in (1, 3):
            rc, out = data_check(root, fold)
            check(rc == 0, f"synth output passes data check on fold {fold} (exit {rc})")

        # Plant one problem per clip in a copy, fold 1.
        bad = os.path.join(tmp, "bad")
        shutil.copytree(root, bad)
        train = read_rows(split_csv(bad, "train", 1))
        test = read_rows(split_csv(bad, "test", 1))
        header, train_rows, test_rows = train[0], train[1:], test[1:]
        missing_id = train_rows[0][0]
        shutil.rmtree(clip_dir(bad, missing_id))
        truncated_id = train_rows[1][0]
        frames = sorted(os.listdir(clip_dir(bad, truncated_id)))
        target = os.path.join(clip_dir(bad, truncated_id), frames[0])
        data = open(target, "rb").read()
        open(target, "wb").write(data[: len(data) // 2])
        empty_id = train_rows[2][0]
        for name in os.listdir(clip_dir(bad, empty_id)):
            os.remove(os.path.join(clip_dir(bad, empty_id), name))
        label_id = train_rows[3][0]
        train_rows[3][1] = "9"
        both_id = test_rows[0][0]
        train_rows.append([both_id, test_rows[0][1]])
        duplicate_id = train_rows[4][0]
        train_rows.append(list(train_rows[4]))
        write_rows(split_csv(bad, "train", 1), [header] + train_rows)

        rc, out = data_check(bad, 1)
        check(rc == 1, f"planted problems make data check exit 1 (exit {rc})")
        planted = {"missing folder": missing_id, "truncated frame": truncated_id,
                   "empty folder": empty_id, "label out of range": label_id,
                   "id in train and test": both_id, "duplicate id": duplicate_id}
        for what, clip_id in planted.items():
            named = f"clip {int(clip_id):05d}" in out
            check(named, f"report names clip {clip_id} ({what})")
        if failures:
            print(out[-3000:])
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
