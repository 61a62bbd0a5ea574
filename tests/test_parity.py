#!/usr/bin/python3
"""Parity of the C model with the PyTorch oracle: eval, training step, three SGD steps.

For each case, tests/torch_oracle.py writes the weights, input and expected
tensors into a temporary folder, $NRDFER_BUILD_DIR/nrdfer_parity writes
actual.safetensors there with the same names, and tests/parity_compare.py
compares them tensor by tensor.

Rounding can flip a ReLU whose input is within ~1e-6 of 0, and one flipped
mask element can move the gradients below it by about 1 %. With PyTorch 1.13,
float32 against float64, a third to a half of the small-preset seeds tried and six
of seven paper-preset seeds had such a flip within the three steps. The C
code rounds differently and flips ReLUs of its own: paper seed 1 had one in
dsf.dynamic.0's ReLU after bn1.
So the C runner also writes, at each training step, the mask of every ReLU
and the input each output of the stem's max pool took (a near-tie there
moves the stem gradients by about 2e-4), and the reference it is compared
with is a second oracle run in float64 that forces those choices
(torch_oracle.py --masks). That forcing could hide a wrong choice, so the
elements where C's choice differs from the float64 oracle's own (ReLU
input > 0, the window's maximum) are counted and must stay below
MAX_MASK_DIFFERENCE of all of them: a rounding flip changes a handful, a
wrong ReLU or a wrong layer input changes a large share.
Each case is also checked first: the oracle's float32 results must match
its own float64 results within a fraction of every limit, so the seeds
below are ones where the plain oracle is well conditioned by itself.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import parity_compare  # noqa: E402
import safetensors_io  # noqa: E402

# Share of ReLU and max pool outputs (all sites, all steps) where the C model's
# choice may differ from the float64 oracle's own.
MAX_MASK_DIFFERENCE = 1e-5

TRAINING = ["--steps", "3", "--lr", "1e-3", "--momentum", "0.9", "--weight-decay", "0.1"]

# Name, fraction of the limits for the float64 check, oracle options. The
# small cases draw norm parameters and running stats at random, so eval mode
# depends on every BN tensor. The case with --confident-head has every clip's
# neutral suppressed by the snippet filter.
CASES = [
    ("small_full", 0.5, ["--preset", "small", "--seed", "2", "--perturb-norms"]),
    ("small_static_off", 0.5, ["--preset", "small", "--seed", "3", "--perturb-norms",
                               "--static-branch", "off"]),
    ("small_dynamic_off", 0.5, ["--preset", "small", "--seed", "8", "--perturb-norms",
                                "--dynamic-branch", "off", "--confident-head"]),
    ("small_learned_cls", 0.5, ["--preset", "small", "--seed", "3", "--perturb-norms",
                                "--learned-cls-token"]),
    ("small_single_frame", 0.5, ["--preset", "small", "--seed", "4", "--perturb-norms",
                                 "--single-frame"]),
    # NOTE: seed 1 was the only one of seeds 1-7 without a large flip, and its
    # float32 update.stem.bn1.bias still differs from float64 by 0.56 x the limit.
    ("paper_full", 1.0, ["--preset", "paper", "--seed", "1"]),
]


def run(cmd, timeout):
    """Run cmd, echoing its output; return its exit status (-1 when it timed out)."""
    print("+ " + " ".join(cmd), flush=True)
    try:
        result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        sys.stdout.write(err.stdout.decode(errors="replace") if err.stdout else "")
        print(f"timed out after {timeout} s: {cmd[0]}")
        return -1
    sys.stdout.write(result.stdout)
    return result.returncode


def run_case(name, scale, options, runner, tmp):
    """Return a list of failure lines for one case (empty when it passes)."""
    folder = os.path.join(tmp, name)
    oracle = [sys.executable, os.path.join(HERE, "torch_oracle.py"), "--batch", "2"]
    oracle += options + TRAINING

    # Expected results, and the float64 run that shows the case is well conditioned.
    if run(oracle + ["--out", folder], 600):
        return [f"{name}: torch_oracle.py failed"]
    if run(oracle + ["--float64", "--out", folder + "_f64"], 600):
        return [f"{name}: torch_oracle.py --float64 failed"]
    expected = os.path.join(folder, "expected.safetensors")
    flags = safetensors_io.load(expected)[0]["eval.suppressed"]
    if "--confident-head" in options and not flags.all():
        return [f"{name}: --confident-head left eval.suppressed = {flags.tolist()}, "
                "want all 1"]
    print(f"{name}: oracle float32 against float64, limits x {scale}")
    reference = os.path.join(folder + "_f64", "expected.safetensors")
    if parity_compare.compare(reference, expected, scale=scale):
        return [f"{name}: the oracle's float32 and float64 results differ by more than "
                f"{scale} x the limits, so this case is too sensitive to rounding; "
                "choose another seed"]

    # The C runner with its ReLU masks and max pool choices, then the float64
    # oracle forced to make the same choices.
    if run([runner, folder] + TRAINING + ["--masks"], 1200):
        return [f"{name}: {runner} exited with an error"]
    actual = os.path.join(folder, "actual.safetensors")
    masks = os.path.join(folder, "masks.safetensors")
    for path in (actual, masks):
        if not os.path.exists(path):
            return [f"{name}: {runner} wrote no {path}"]
    masked = folder + "_masked"
    if run(oracle + ["--float64", "--masks", masks, "--out", masked], 600):
        return [f"{name}: torch_oracle.py --float64 --masks failed"]
    failures = check_masks(name, os.path.join(masked, "mask_check.json"))

    print(f"{name}: C against the float64 oracle on C's ReLU and max pool choices")
    reference = os.path.join(masked, "expected.safetensors")
    if parity_compare.compare(reference, actual):
        failures.append(f"{name}: C results differ from the oracle (see the list above)")
    return failures


def check_masks(name, path):
    """Print the choice differences counted by the oracle; return failure lines."""
    with open(path) as f:
        counts = json.load(f)
    differ = total = 0
    for step, sites in sorted(counts.items()):
        step_differ = sum(d for d, _ in sites.values())
        differ += step_differ
        total += sum(n for _, n in sites.values())
        where = ", ".join(f"{site} {d}" for site, (d, _) in sites.items() if d)
        print(f"{name}: step {step}: {step_differ} ReLU or max pool choices of C differ "
              f"from the float64 oracle's" + (f" ({where})" if where else ""))
    print(f"{name}: {differ} of {total} choices differ in all "
          f"({differ / max(total, 1):.2g}, limit {MAX_MASK_DIFFERENCE:g})")
    if total == 0:
        return [f"{name}: {path} counts no ReLU or max pool outputs"]
    if differ > MAX_MASK_DIFFERENCE * total:
        return [f"{name}: {differ} of {total} ReLU or max pool choices of C differ from "
                "the float64 oracle's own, more than rounding explains"]
    return []


def main():
    build = os.environ.get("NRDFER_BUILD_DIR", os.path.join(HERE, "..", "build"))
    runner = os.path.join(build, "nrdfer_parity")
    if not os.access(runner, os.X_OK):
        print(f"FAIL: parity runner {runner} not found or not executable; build the "
              "nrdfer_parity target (cmake --build build) or set NRDFER_BUILD_DIR")
        return 1
    failures = []
    with tempfile.TemporaryDirectory(prefix="nrdfer_parity_") as tmp:
        for name, scale, options in CASES:
            failures += run_case(name, scale, options, runner, tmp)
    for line in failures:
        print("FAIL " + line)
    print(f"{len(failures)} of {len(CASES)} cases failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
