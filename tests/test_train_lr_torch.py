"""Learning-rate schedules of nrdfer train against PyTorch's schedulers.

The C side prints one rate per optimizer step (test_train_units --lr-table);
PyTorch gives the same steps with StepLR and CosineAnnealingLR stepped after
each epoch, and LinearLR stepped after each warmup step.
"""
import os
import subprocess
import sys

import warnings

import torch

BUILD = os.environ.get("NRDFER_BUILD_DIR", "build")
UNITS = os.path.join(BUILD, "test_train_units")


def c_rates(kind, base, step, gamma, warmup, epochs, steps_per_epoch):
    out = subprocess.run(
        [UNITS, "--lr-table", kind, repr(base), str(step), repr(gamma), str(warmup),
         str(epochs), str(steps_per_epoch)],
        check=True, capture_output=True, text=True).stdout
    return [float(x) for x in out.split()]


def torch_rates(kind, base, step, gamma, warmup, epochs, steps_per_epoch):
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base)
    warm_steps = warmup * steps_per_epoch
    if warm_steps:
        warm = torch.optim.lr_scheduler.LinearLR(
            opt, start_factor=1 / warm_steps, end_factor=1.0, total_iters=warm_steps - 1)
    rates = []
    for epoch in range(warmup):
        for _ in range(steps_per_epoch):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            warm.step()
    if kind == "step":
        main = torch.optim.lr_scheduler.StepLR(opt, step_size=step, gamma=gamma)
        # StepLR counts epochs from the start of the run, warmup included.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # stepping before optimizer.step() is intended
            for _ in range(warmup):
                main.step()
    else:
        for group in opt.param_groups:
            group["lr"] = base
        main = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs - warmup)
    for epoch in range(warmup, epochs):
        for _ in range(steps_per_epoch):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
        main.step()
    return rates


def main():
    cases = [
        ("step", 1e-3, 7, 0.5, 0, 30, 3),
        ("step", 0.01, 40, 0.1, 0, 100, 1),
        ("cosine", 1e-3, 7, 0.5, 0, 20, 4),
        ("cosine", 3e-4, 7, 0.5, 2, 12, 5),
        ("step", 1e-3, 7, 0.5, 2, 30, 3),
    ]
    failures = 0
    for case in cases:
        got = c_rates(*case)
        want = torch_rates(*case)
        if len(got) != len(want):
            print(f"{case}: {len(got)} rates from nrdfer, {len(want)} from torch")
            failures += 1
            continue
        for i, (g, w) in enumerate(zip(got, want)):
            if abs(g - w) > 1e-9 * abs(w) + 1e-15:
                print(f"{case}: step {i}: nrdfer lr {g!r}, torch lr {w!r}")
                failures += 1
                break
    if failures:
        print(f"test_train_lr_torch: {failures} case(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
