#!/usr/bin/python3
"""PyTorch speed peer: the same NR-DFERNet, timed for inference and training.

Usage: /usr/bin/python3 bench/torch_peer.py --preset paper --batch 8 --threads 4 \
           --iters 5 --json

Inference is model.eval() under torch.no_grad(). A training step is forward,
cross-entropy on the video logits, backward and an SGD step (lr 1e-3,
momentum 0.9, weight decay 0.1). Both run on random clips after warm-up
iterations that are not timed. Prints one JSON object (or a text line
without --json) with clips per second and the peak resident set size.
"""

import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import nrdfer_torch  # noqa: E402


def clips_per_second(step, batch, warmup, iters):
    """Run step warmup times untimed, then iters times; return clips per second."""
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(iters):
        step()
    return batch * iters / (time.perf_counter() - start)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--preset", choices=["paper", "small"], default="paper")
    parser.add_argument("--batch", type=int, default=8, help="clips per batch")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads value")
    parser.add_argument("--iters", type=int, default=5,
                        help="timed iterations of each kind")
    parser.add_argument("--warmup", type=int, default=1, help="untimed iterations first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.batch < 1 or args.threads < 1 or args.iters < 1 or args.warmup < 0:
        parser.error("--batch, --threads and --iters must be at least 1, "
                     "--warmup at least 0")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config = nrdfer_torch.make_config(args.preset)
    model = nrdfer_torch.NrDferNet(config)
    size = config["image_size"]
    clips = torch.rand(args.batch, config["frames"], 3, size, size)
    labels = torch.randint(len(config["labels"]), (args.batch,))

    # Inference: eval mode, no autograd.
    model.eval()

    def infer():
        with torch.no_grad():
            model(clips)

    infer_rate = clips_per_second(infer, args.batch, args.warmup, args.iters)

    # Training: forward, loss, backward, SGD step.
    model.train()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=1e-3, momentum=0.9, weight_decay=0.1
    )

    def train():
        optimizer.zero_grad()
        video, _ = model(clips)
        F.cross_entropy(video, labels).backward()
        optimizer.step()

    train_rate = clips_per_second(train, args.batch, args.warmup, args.iters)

    # ru_maxrss is in KiB on Linux.
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "impl": "pytorch",
        "batch": args.batch,
        "threads": args.threads,
        "infer_clips_per_s": round(infer_rate, 4),
        "train_clips_per_s": round(train_rate, 4),
        "peak_rss_mb": round(peak_rss_mb, 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"pytorch {torch.__version__}: batch {args.batch}, threads {args.threads}: "
            f"infer {infer_rate:.2f} clips/s, train {train_rate:.2f} clips/s, "
            f"peak RSS {peak_rss_mb:.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
