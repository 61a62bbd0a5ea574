"""Frame sampling against the NR-DFERNet formulas written out here: test
offsets, training offset ranges and order, the last-frame rule, and each
short-clip policy."""
import json

from frames_common import Failures, run_tool, run_tool_json


def expected_test(n, t):
    """Test sampling: U = T / 2 segments of V = 2 frames."""
    u, v = t // 2, 2
    if n > u + v - 1:
        tick = (n - v + 1) / float(u)
        offsets = [int(tick / 2.0 + tick * k) for k in range(u)]
    else:
        offsets = [0] * u
    return frames_of(offsets, n)


def frames_of(offsets, n):
    """Offset p gives frames p and p + 1, or p twice when p is the last frame."""
    out = []
    for p in offsets:
        out += [p, p + 1 if p + 1 < n else p]
    return out


def policy_list(n, t, policy):
    """Frame list the sampler sees after a short-clip policy (None: dropped)."""
    if n >= t or policy == "sample":
        return list(range(n))
    if policy == "pad-last":
        return list(range(n)) + [n - 1] * (t - n)
    if policy == "loop":
        return [i % n for i in range(t)]
    return None


def check_train(f, n, t, indices):
    """Training indices lie in their segments, in order, with the last-frame rule."""
    u = t // 2
    avg = (n - 1) // u
    offsets = indices[0::2]
    f.check(len(indices) == t, f"train N={n} T={t}: {len(indices)} indices")
    for k, p in enumerate(offsets):
        if avg > 0:
            lo, hi = k * avg, k * avg + avg - 1
        elif n > u:
            lo, hi = 0, n - 2
        else:
            lo, hi = 0, 0
        f.check(lo <= p <= hi, f"train N={n} T={t}: offset {k} = {p} outside [{lo}, {hi}]")
    f.check(offsets == sorted(offsets), f"train N={n} T={t}: offsets {offsets} not sorted")
    f.check(indices == frames_of(offsets, n), f"train N={n} T={t}: frames {indices} do not "
                                              f"follow offsets {offsets}")


def main():
    f = Failures()

    # Test sampling for the clip lengths of the datasets and the edge cases.
    for t in (16, 8):
        for n in (1, 2, 8, 9, 10, 11, 15, 16, 17, 300):
            got = run_tool_json("sample", "test", n, t, 0)["indices"]
            want = expected_test(n, t)
            f.check(got == want, f"test N={n} T={t}: {got} != {want}")

    # Hand-checked values, so a shared misreading of the formula is caught too.
    f.check(expected_test(16, 16) == list(range(16)), "formula: N=16 must give 0..15")
    f.check(expected_test(9, 16) == [0, 1] * 8, "formula: N=9 must repeat frames 0 and 1")
    f.check(expected_test(1, 16) == [0] * 16, "formula: N=1 must repeat frame 0")
    f.check(expected_test(300, 16)[:2] == [18, 19], "formula: N=300 must start at 18")

    # Training sampling: ranges, order, determinism and coverage of each range.
    for n in (1, 8, 9, 11, 15, 16, 17, 40, 300):
        seen = set()
        for seed in range(12):
            got = run_tool_json("sample", "train", n, 16, seed)["indices"]
            check_train(f, n, 16, got)
            seen.add(tuple(got))
            again = run_tool_json("sample", "train", n, 16, seed)["indices"]
            f.check(got == again, f"train N={n} seed {seed}: not deterministic")
        avg = (n - 1) // 8
        if avg >= 2:
            f.check(len(seen) > 1, f"train N={n}: 12 seeds gave one sample")
    firsts = {run_tool_json("sample", "train", 300, 16, s)["indices"][0] for s in range(40)}
    # avg = 37, so the first offset is uniform on 0..36: 40 draws cover well over
    # 20 values unless the draw is stuck.
    f.check(len(firsts) >= 20, f"train N=300: first offset took only {sorted(firsts)}")
    f.check(max(firsts) <= 36 and min(firsts) >= 0, f"train N=300: first offsets {firsts}")

    # Short-clip policies, in test mode, for short and long clips.
    for n in (1, 5, 11, 15, 16, 20):
        for policy in ("sample", "pad-last", "loop", "drop", "error"):
            result = run_tool("sample", "test", n, 16, 0, policy, check=False)
            frames = policy_list(n, 16, policy)
            label = f"policy {policy} N={n}"
            if n < 16 and policy == "error":
                f.check(result.returncode == 1, f"{label}: exit {result.returncode}, "
                                                f"expected 1")
                f.check(f"{n} frames" in result.stderr, f"{label}: message "
                                                        f"{result.stderr.strip()!r}")
                continue
            f.check(result.returncode == 0, f"{label}: exit {result.returncode}")
            if result.returncode != 0:
                continue
            out = json.loads(result.stdout)
            if n < 16 and policy == "drop":
                f.check(out["result"] == "drop", f"{label}: result {out['result']}")
                continue
            f.check(out["result"] == "use", f"{label}: result {out['result']}")
            want = [frames[i] for i in expected_test(len(frames), 16)]
            f.check(out["indices"] == want, f"{label}: {out['indices']} != {want}")

    # Padding and looping in training: 16 listed frames give avg = 1, so
    # offset k is k and the frames are list[k], list[k + 1].
    for policy in ("pad-last", "loop"):
        frames = policy_list(11, 16, policy)
        want = [frames[i] for i in frames_of(list(range(8)), 16)]
        got = run_tool_json("sample", "train", 11, 16, 3, policy)["indices"]
        f.check(got == want, f"train policy {policy} N=11: {got} != {want}")

    result = run_tool("sample", "test", 20, 16, 0, "repeat", check=False)
    f.check(result.returncode == 1, f"unknown policy: exit {result.returncode}, expected 1")
    f.check("repeat" in result.stderr, f"unknown policy: message {result.stderr.strip()!r}")
    f.finish()


if __name__ == "__main__":
    main()
