"""The threaded loader through `nrdfer data load`: batch contents against
frames written here with PIL, and the same batches whatever the thread count.

Every frame is one uniform colour that encodes its clip and frame number, so
the expected test-mode clip follows from model.md's test sampling alone
(a resize keeps a uniform colour).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

BIN = os.environ.get("NRDFER_BIN", "build/nrdfer")
T, S = 16, 8
LENGTHS = [5, 9, 16, 17, 23, 30, 11, 40, 12, 21]  # frames per clip

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def colour(clip, frame):
    return (20 + clip * 20, (frame * 7) % 256, 200 - clip * 10)


def noise_frame(i):
    """A 20 x 12 frame of seeded noise: resizing it shows layout and filter."""
    rng = np.random.default_rng(i)
    return Image.fromarray(rng.integers(0, 256, (12, 20, 3), dtype=np.uint8), "RGB")


def make_dataset(root, bad_clip=None):
    split = os.path.join(root, "EmoLabel_DataSplit")
    for name in ("train(single-labeled)", "test(single-labeled)"):
        os.makedirs(os.path.join(split, name))
    with open(os.path.join(split, "train(single-labeled)", "set_1.csv"), "w") as f:
        f.write("video_name,label\n")
        for c, n in enumerate(LENGTHS):
            f.write(f"{c + 1},{c % 7 + 1}\n")
    with open(os.path.join(split, "test(single-labeled)", "set_1.csv"), "w") as f:
        f.write("video_name,label\n100,1\n")
    for c, n in enumerate(LENGTHS + [16]):
        vid = f"{c + 1:05d}" if c < len(LENGTHS) else "00100"
        folder = os.path.join(root, "Clip", "clip_224x224", vid)
        os.makedirs(folder)
        # Names without zero padding: only natural order keeps time order.
        for i in range(n):
            path = os.path.join(folder, f"{vid}_{i + 1}.png")
            if vid == "00100":
                noise_frame(i).save(path)
            else:
                Image.new("RGB", (16, 16), colour(c, i)).save(path)
            if c == bad_clip:
                data = open(path, "rb").read()
                open(path, "wb").write(data[:40])


def sampled_indices(n, t):
    """model.md test sampling: U = T / 2 segments of V = 2 frames."""
    u = t // 2
    out = []
    for k in range(u):
        p = 0
        if n > u + 1:
            tick = (n - 1) / u
            p = int(tick / 2 + tick * k)
        out += [p, p + 1 if p + 1 < n else p]
    return out


def expected_clip(c):
    clip = np.zeros((T, 3, S, S), np.float32)
    for f, i in enumerate(sampled_indices(LENGTHS[c], T)):
        for ch, v in enumerate(colour(c, i)):
            clip[f, ch] = np.float32(v) / np.float32(255)
    return clip


def load(root, *args, dump=None):
    cmd = [BIN, "data", "load", "--dataset", "dfew", "--root", root, "--size", str(S),
           "--print-batches", *args]
    if dump:
        cmd += ["--dump", dump]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    batches = [line for line in p.stdout.splitlines() if line.startswith("epoch ")]
    return p.returncode, batches, p.stdout + p.stderr


def parse(line):
    """Return (epoch, indices, labels) of one --print-batches line."""
    words = line.split()
    i, l, h = words.index("indices"), words.index("labels"), words.index("hash")
    return int(words[1]), [int(x) for x in words[i + 1:l]], [int(x) for x in words[l + 1:h]]


def main():
    if not os.path.exists(BIN):
        print("nrdfer binary not found at", BIN)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "dfew")
        make_dataset(root)
        n = len(LENGTHS)

        # Test mode, no shuffle: clips in split order with the expected pixels.
        dump = os.path.join(tmp, "plain.f32")
        rc, batches, out = load(root, "--batch", "4", "--threads", "2", dump=dump)
        check(rc == 0, f"plain load: exit {rc}\n{out}")
        order = [i for b in batches for i in parse(b)[1]]
        check(order == list(range(n)), f"unshuffled order {order}")
        labels = [x for b in batches for x in parse(b)[2]]
        check(labels == [c % 7 for c in range(n)], f"labels {labels}")
        check([len(parse(b)[1]) for b in batches] == [4, 4, 2], "batch sizes 4, 4, 2")
        if os.path.exists(dump):
            data = np.fromfile(dump, np.float32)
            check(data.size == n * T * 3 * S * S, f"dump size {data.size}")
            if data.size == n * T * 3 * S * S:
                data = data.reshape(n, T, 3, S, S)
                for c in range(n):
                    diff = float(np.abs(data[c] - expected_clip(c)).max())
                    check(diff <= 1e-6, f"clip {c} ({LENGTHS[c]} frames): max diff {diff}")

        # The test clip: noise frames against PIL's bilinear resize.
        dump = os.path.join(tmp, "test.f32")
        rc, batches, out = load(root, "--split", "test", "--threads", "1", dump=dump)
        check(rc == 0, f"test split load: exit {rc}\n{out}")
        if rc == 0:
            data = np.fromfile(dump, np.float32).reshape(T, 3, S, S)
            for f, i in enumerate(sampled_indices(16, T)):
                ref = np.asarray(noise_frame(i).resize((S, S), Image.BILINEAR), np.float32)
                ref = ref.transpose(2, 0, 1) / np.float32(255)
                diff = float(np.abs(data[f] - ref).max())
                check(diff <= 1e-6, f"test clip frame {f} (file {i + 1}): max diff {diff}")

        # Training mode changes the pixels (augmentation) but not the clips.
        dump_train = os.path.join(tmp, "train_mode.f32")
        rc, batches, out = load(root, "--batch", "4", "--train-mode", dump=dump_train)
        check(rc == 0, f"train-mode load: exit {rc}\n{out}")
        if rc == 0:
            order = [i for b in batches for i in parse(b)[1]]
            check(order == list(range(n)), f"train-mode order {order}")
            check(open(dump_train, "rb").read() != open(os.path.join(tmp, "plain.f32"),
                                                        "rb").read(),
                  "train mode gives the same pixels as test mode")

        # Random sampling without augmentation: every frame is an unchanged
        # clip frame, in segment order, from model.md's training ranges.
        dump = os.path.join(tmp, "random_sampling.f32")
        rc, batches, out = load(root, "--batch", "4", "--train-mode", "--augment", "off",
                                "--seed", "3", dump=dump)
        check(rc == 0, f"random sampling load: exit {rc}\n{out}")
        if rc == 0:
            data = np.fromfile(dump, np.float32).reshape(n, T, 3, S, S)
            differs = False
            for c in range(n):
                got = []
                for f in range(T):
                    g = int(round(float(data[c, f, 1, 0, 0]) * 255))
                    frame = [i for i in range(LENGTHS[c]) if (i * 7) % 256 == g]
                    check(len(frame) == 1, f"clip {c} frame {f}: green {g} is no frame")
                    if len(frame) != 1:
                        break
                    want = np.float32(colour(c, frame[0])[0]) / np.float32(255)
                    check(float(np.abs(data[c, f] - data[c, f, :, :1, :1]).max()) == 0,
                          f"clip {c} frame {f} is not uniform")
                    check(data[c, f, 0, 0, 0] == want, f"clip {c} frame {f}: red changed")
                    got.append(frame[0])
                if len(got) != T:
                    continue
                u, nf = T // 2, LENGTHS[c]
                avg = (nf - 1) // u
                for k in range(u):
                    p, q = got[2 * k], got[2 * k + 1]
                    check(q == min(p + 1, nf - 1), f"clip {c} segment {k}: frames {p}, {q}")
                    if avg > 0:
                        check(k * avg <= p < (k + 1) * avg,
                              f"clip {c} segment {k}: offset {p} outside its range")
                differs |= got != sampled_indices(nf, T)
            check(differs, "random sampling gave the test indices for every clip")

        # Test sampling with augmentation: same batches for 1 and 2 threads,
        # pixels unlike the plain test clips.
        mixed = []
        for threads in (1, 2):
            dump = os.path.join(tmp, f"augment_only{threads}.f32")
            rc, batches, out = load(root, "--batch", "4", "--train-mode", "--sampling",
                                    "test", "--threads", str(threads), dump=dump)
            check(rc == 0, f"augment-only load: exit {rc}\n{out}")
            mixed.append(open(dump, "rb").read() if rc == 0 else b"")
        check(mixed[0] == mixed[1], "augment-only clips differ between 1 and 2 threads")
        check(mixed[0] != open(os.path.join(tmp, "plain.f32"), "rb").read(),
              "augment-only clips equal the plain test clips")

        # Shuffled, 2 epochs: identical batches for 0 to 3 threads.
        runs = {}
        for threads in (0, 1, 2, 3):
            dump = os.path.join(tmp, f"shuffle{threads}.f32")
            rc, batches, out = load(root, "--batch", "3", "--threads", str(threads),
                                    "--shuffle", "--seed", "5", "--epochs", "2",
                                    "--train-mode", dump=dump)
            check(rc == 0, f"shuffled load, {threads} threads: exit {rc}\n{out}")
            runs[threads] = (batches, open(dump, "rb").read() if rc == 0 else b"")
        for threads in (1, 2, 3):
            check(runs[threads][0] == runs[0][0],
                  f"batches with {threads} threads differ from 0 threads")
            check(runs[threads][1] == runs[0][1],
                  f"clip data with {threads} threads differs from 0 threads")
        epochs = {}
        for line in runs[2][0]:
            e, idx, _ = parse(line)
            epochs.setdefault(e, []).extend(idx)
        check(sorted(epochs.get(0, [])) == list(range(n)), f"epoch 0 order {epochs.get(0)}")
        check(sorted(epochs.get(1, [])) == list(range(n)), f"epoch 1 order {epochs.get(1)}")
        check(epochs.get(0) != epochs.get(1), "epochs 0 and 1 have the same order")
        check(epochs.get(0) != list(range(n)), "shuffled order equals the split order")

        # Another seed gives another order; the same seed the same one.
        rc, other, _ = load(root, "--batch", "3", "--shuffle", "--seed", "6")
        check([parse(b)[1] for b in other] != [parse(b)[1] for b in runs[0][0][:4]],
              "seeds 5 and 6 give the same order")
        rc, again, _ = load(root, "--batch", "3", "--shuffle", "--seed", "5", "--train-mode")
        check(again == runs[0][0][:4], "seed 5 run twice gives different batches")

        # drop-last removes the partial batch.
        rc, batches, out = load(root, "--batch", "3", "--drop-last")
        check([len(parse(b)[1]) for b in batches] == [3, 3, 3], f"drop-last\n{out}")

        # A clip whose frames do not decode: error stops, skip leaves it out.
        bad = os.path.join(tmp, "bad")
        make_dataset(bad, bad_clip=3)
        rc, batches, out = load(bad, "--batch", "4")
        check(rc == 1, f"bad clip with policy error: exit {rc}")
        check("00004" in out, f"bad clip id missing from the error\n{out}")
        rc, batches, out = load(bad, "--batch", "4", "--bad-clips", "skip")
        check(rc == 0, f"bad clip with policy skip: exit {rc}\n{out}")
        order = [i for b in batches for i in parse(b)[1]]
        check(order == [i for i in range(n) if i != 3], f"skip order {order}")
        check("1 skipped" in out, f"skipped count missing\n{out}")
        check("00004" in out, f"skipped clip not logged\n{out}")

    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
