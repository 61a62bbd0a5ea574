#!/usr/bin/python3
"""Checks of the PyTorch oracle itself: names, shapes, formulas, file format, SF rule.

Needs no C code. Each check is a function named check_*; the script runs
them all, prints one line per check and exits 1 if any failed.
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import traceback

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import nrdfer_torch as nt  # noqa: E402
import parity_compare  # noqa: E402
import safetensors_io  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BN_NAMES = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def expected_names(config):
    """Return {name: shape} from the checkpoint naming rules, apart from the model."""
    c1 = config["stem_channels"]
    c2 = config["layer2_channels"]
    c3 = config["layer3_channels"]
    g = nt.grid_size(config["image_size"])
    hd = config["head_dim"]
    names = {}

    def bn(prefix, channels):
        for leaf in BN_NAMES:
            scalar = leaf == "num_batches_tracked"
            names[f"{prefix}.{leaf}"] = [] if scalar else [channels]

    def basic(prefix, cin, cout, down):
        names[f"{prefix}.conv1.weight"] = [cout, cin, 3, 3]
        bn(f"{prefix}.bn1", cout)
        names[f"{prefix}.conv2.weight"] = [cout, cout, 3, 3]
        bn(f"{prefix}.bn2", cout)
        if down:
            names[f"{prefix}.down.conv.weight"] = [cout, cin, 1, 1]
            bn(f"{prefix}.down.bn", cout)

    def block(prefix, dim, heads, hidden):
        names[f"{prefix}.ln1.weight"] = [dim]
        names[f"{prefix}.ln1.bias"] = [dim]
        names[f"{prefix}.attn.qkv.weight"] = [3 * heads * hd, dim]
        names[f"{prefix}.attn.proj.weight"] = [dim, heads * hd]
        names[f"{prefix}.attn.proj.bias"] = [dim]
        names[f"{prefix}.ln2.weight"] = [dim]
        names[f"{prefix}.ln2.bias"] = [dim]
        names[f"{prefix}.mlp.fc1.weight"] = [hidden, dim]
        names[f"{prefix}.mlp.fc1.bias"] = [hidden]
        names[f"{prefix}.mlp.fc2.weight"] = [dim, hidden]
        names[f"{prefix}.mlp.fc2.bias"] = [dim]

    names["stem.conv1.weight"] = [c1, 3, 3, 3]
    bn("stem.bn1", c1)
    names["stem.conv2.weight"] = [c1, c1, 3, 3]
    bn("stem.bn2", c1)
    basic("layer1", c1, c1, False)
    basic("layer2", c1, c2, True)
    basic("layer3", c2, c3, True)
    if config["dynamic_branch"]:
        for k in range(3):
            basic(f"dsf.dynamic.{k}", c3, c3, k == 0)
    if config["static_branch"]:
        names["dsf.static.conv.weight"] = [c3, c3, 3, 3]
        bn("dsf.static.bn", c3)
        names["dsf.static.pos_embed"] = [g * g, c3]
        for k in range(config["static_blocks"]):
            block(f"dsf.static.blocks.{k}", c3, config["static_heads"],
                  config["static_mlp"])
    dim = c3 * g * g
    names["temporal.pos_embed"] = [config["frames"], dim]
    if config["learned_cls_token"]:
        names["temporal.cls_token"] = [dim]
    for k in range(config["temporal_blocks"]):
        block(f"temporal.blocks.{k}", dim, config["temporal_heads"],
              config["temporal_mlp"])
    names["head.weight"] = [len(config["labels"]), dim]
    names["head.bias"] = [len(config["labels"])]
    return names


VARIANTS = {
    "full": {},
    "static_off": {"static_branch": False},
    "dynamic_off": {"dynamic_branch": False},
    "learned_cls": {"learned_cls_token": True},
}


def check_param_count_paper():
    model = nt.NrDferNet(nt.make_config("paper"))
    count = sum(p.numel() for p in model.parameters())
    print(f"    paper parameters: {count}")
    assert round(count / 1e5) == 187, f"{count} parameters, NR-DFERNet reports 18.7 M"


def check_state_dict_names():
    for preset in ("small", "paper"):
        for variant, overrides in VARIANTS.items():
            config = nt.make_config(preset, **overrides)
            got = {k: list(v.shape) for k, v in nt.NrDferNet(config).state_dict().items()}
            want = expected_names(config)
            where = f"{preset}/{variant}"
            assert set(got) == set(want), (
                f"{where}: extra {sorted(set(got) - set(want))}, "
                f"missing {sorted(set(want) - set(got))}"
            )
            for name in want:
                assert got[name] == want[name], (
                    f"{where}: {name} is {got[name]}, want {want[name]}"
                )


def check_paper_shapes_literal():
    # Paper-preset shapes of the checkpoint format, written out literally.
    sd = nt.NrDferNet(nt.make_config("paper")).state_dict()
    literal = {
        "stem.conv1.weight": [64, 3, 3, 3],
        "dsf.static.conv.weight": [256, 256, 3, 3],
        "dsf.static.pos_embed": [16, 256],
        "dsf.static.blocks.0.attn.qkv.weight": [384, 256],
        "temporal.blocks.1.attn.qkv.weight": [384, 4096],
        "temporal.blocks.0.attn.proj.weight": [4096, 128],
        "temporal.pos_embed": [16, 4096],
        "head.weight": [7, 4096],
    }
    for name, shape in literal.items():
        got = list(sd[name].shape)
        assert got == shape, f"{name} is {got}, want {shape}"


def check_snippet_count():
    assert len(nt.snippet_starts(15)) == 7, nt.snippet_starts(15)
    assert nt.snippet_starts(15)[-1] == 12, "last snippet must be tokens 12..14"
    assert len(nt.snippet_starts(7)) == 3, nt.snippet_starts(7)
    torch.manual_seed(0)
    model = nt.NrDferNet(nt.make_config("small")).eval()
    with torch.no_grad():
        video, snippets = model(torch.rand(1, 16, 3, 64, 64))
    assert list(video.shape) == [1, 7], list(video.shape)
    assert list(snippets.shape) == [1, 7, 7], list(snippets.shape)


def check_config_json():
    small = nt.make_config("small", learned_cls_token=True)
    assert nt.config_from_json(json.loads(json.dumps(small))) == small
    partial = nt.config_from_json({"image_size": 64, "static_branch": 0})
    assert partial["image_size"] == 64
    assert partial["static_branch"] is False
    assert partial["stem_channels"] == 64, "absent keys keep the paper value"


def check_grid_sizes():
    assert nt.grid_size(112) == 4
    assert nt.grid_size(64) == 2


def reference_block(x, sd, prefix, heads, hd):
    """Apply a pre-norm transformer block written out per head: [L, dim] -> [L, dim]."""
    shape = x.shape[-1:]
    y = F.layer_norm(x, shape, sd[prefix + "ln1.weight"], sd[prefix + "ln1.bias"], 1e-5)
    wqkv = sd[prefix + "attn.qkv.weight"]
    inner = heads * hd
    outs = []
    for h in range(heads):
        q = y @ wqkv[h * hd : (h + 1) * hd].T
        k = y @ wqkv[inner + h * hd : inner + (h + 1) * hd].T
        v = y @ wqkv[2 * inner + h * hd : 2 * inner + (h + 1) * hd].T
        outs.append(torch.softmax(q @ k.T / math.sqrt(hd), dim=-1) @ v)
    attn = torch.cat(outs, dim=-1) @ sd[prefix + "attn.proj.weight"].T
    x = x + attn + sd[prefix + "attn.proj.bias"]
    y = F.layer_norm(x, shape, sd[prefix + "ln2.weight"], sd[prefix + "ln2.bias"], 1e-5)
    u = y @ sd[prefix + "mlp.fc1.weight"].T + sd[prefix + "mlp.fc1.bias"]
    gelu = 0.5 * u * (1 + torch.tanh(math.sqrt(2 / math.pi) * (u + 0.044715 * u**3)))
    return x + gelu @ sd[prefix + "mlp.fc2.weight"].T + sd[prefix + "mlp.fc2.bias"]


def check_temporal_formula():
    # DCT, position embedding, blocks and head against a hand-written version.
    for learned in (False, True):
        config = nt.make_config("small", learned_cls_token=learned)
        torch.manual_seed(3)
        model = nt.NrDferNet(config).double().eval()
        sd = {k: v for k, v in model.state_dict().items()}
        tokens = torch.randn(2, 15, 256, dtype=torch.float64)
        with torch.no_grad():
            got = model.head(model.temporal(tokens))
            for b in range(2):
                for start, length in ((0, 15), (4, 3)):
                    x = tokens[b, start : start + length]
                    cls = sd["temporal.cls_token"] if learned else x.mean(dim=0)
                    z = torch.cat([cls[None], x]) + sd["temporal.pos_embed"][: length + 1]
                    for k in range(2):
                        z = reference_block(z, sd, f"temporal.blocks.{k}.", 4, 32)
                    want = z[0] @ sd["head.weight"].T + sd["head.bias"]
                    if length == 15:
                        err = (got[b] - want).abs().max().item()
                        assert err < 1e-10, f"learned={learned} clip {b}: error {err}"
                    else:
                        snip = model.head(model.temporal(x[None]))[0]
                        err = (snip - want).abs().max().item()
                        assert err < 1e-10, f"learned={learned} snippet: error {err}"


def check_dsf_layout():
    # Static branch: token p = row * g + col; fusion: sum, flattened channel-major.
    config = nt.make_config("paper", image_size=112)
    torch.manual_seed(4)
    model = nt.NrDferNet(config).double().eval()
    feats = torch.randn(1, 4, 256, 7, 7, dtype=torch.float64)
    with torch.no_grad():
        tokens = model.dsf(feats)
        assert list(tokens.shape) == [1, 3, 4096], list(tokens.shape)
        st = model.dsf.static
        sd = model.state_dict()
        for t in range(3):
            x = F.relu(st.bn(st.conv(feats[:, t])))[0]
            seq = torch.stack([x[:, p // 4, p % 4] for p in range(16)])
            seq = seq + sd["dsf.static.pos_embed"]
            for k in range(2):
                seq = reference_block(seq, sd, f"dsf.static.blocks.{k}.", 4, 32)
            dyn = model.dsf.dynamic((feats[:, t + 1] - feats[:, t]))[0]
            for c in (0, 17, 255):
                for p in (0, 5, 15):
                    want = seq[p, c] + dyn[c, p // 4, p % 4]
                    got = tokens[0, t, c * 16 + p]
                    assert abs(got - want) < 1e-10, f"t={t} c={c} p={p}: {got} vs {want}"


def check_bn_running_var_unbiased():
    model = nt.NrDferNet(nt.make_config("small")).train()
    x = torch.rand(2, 4, 3, 64, 64)
    conv_out = model.stem.conv1(x.reshape(8, 3, 64, 64)).detach()
    model(x)
    n = conv_out.numel() / conv_out.shape[1]
    var = conv_out.var(dim=(0, 2, 3), unbiased=False) * n / (n - 1)
    want = 0.9 * torch.ones_like(var) + 0.1 * var
    err = (model.stem.bn1.running_var - want).abs().max().item()
    assert err < 1e-5, f"running_var error {err}"


def check_init():
    torch.manual_seed(5)
    model = nt.NrDferNet(nt.make_config("paper", learned_cls_token=True))
    sd = model.state_dict()
    w = sd["layer3.conv1.weight"]
    std = math.sqrt(2 / (w.shape[0] * 9))
    assert abs(w.std().item() / std - 1) < 0.02, f"conv std {w.std().item()}, want {std}"
    head = sd["head.weight"]
    bound = 1 / math.sqrt(4096)
    assert head.abs().max().item() <= bound, "head weight outside 1/sqrt(fan_in)"
    for name in ("temporal.pos_embed", "temporal.cls_token", "dsf.static.pos_embed"):
        assert abs(sd[name].std().item() - 1) < 0.1, f"{name} std {sd[name].std().item()}"
    assert (sd["stem.bn1.weight"] == 1).all()
    assert (sd["stem.bn1.bias"] == 0).all()
    assert (sd["temporal.blocks.0.ln1.weight"] == 1).all()


def check_safetensors_roundtrip():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "a.safetensors")
        tensors = {
            "f": np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32),
            "i": np.array([-3, 2**40], dtype=np.int64),
            "scalar": torch.tensor(7),
            "odd": np.arange(3, dtype=np.float32),
        }
        safetensors_io.save(path, tensors, metadata={"nrdfer": '{"frames": 16}'})
        got, meta = safetensors_io.load(path)
        assert meta == {"nrdfer": '{"frames": 16}'}, meta
        assert got["f"].dtype == np.float32, got["f"].dtype
        assert np.array_equal(got["f"], tensors["f"])
        assert got["i"].dtype == np.int64, got["i"].dtype
        assert np.array_equal(got["i"], tensors["i"])
        assert got["scalar"].shape == (), got["scalar"].shape
        assert int(got["scalar"]) == 7
        assert np.array_equal(got["odd"], tensors["odd"])

        # Layout: u64 header size, header a multiple of 8, data follows it.
        raw = open(path, "rb").read()
        size = int.from_bytes(raw[:8], "little")
        assert size % 8 == 0, size
        assert len(raw) == 8 + size + 15 * 4 + 2 * 8 + 8 + 3 * 4

        # A truncated file raises with the file name in the message.
        with open(path, "wb") as f:
            f.write(raw[:-4])
        try:
            safetensors_io.load(path)
        except ValueError as err:
            assert path in str(err), str(err)
        else:
            raise AssertionError("truncated file loaded without error")


def check_sf_rule():
    config = nt.make_config("small")
    neutral = config["labels"].index("neutral")
    assert neutral == 2

    # One confident happy snippet suppresses neutral although neutral wins the clip.
    video = torch.tensor([[1.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0]] * 2)
    snippets = torch.zeros(2, 7, 7)
    snippets[0, 3, 0] = 10.0
    probs, suppressed = nt.apply_snippet_filter(video, snippets, config)
    assert suppressed.tolist() == [True, False], suppressed
    assert probs[0, neutral].item() == 0.0
    assert probs[0].argmax().item() == 0
    assert abs(probs[0].sum().item() - 1) < 1e-6
    assert torch.allclose(probs[1], video[1].softmax(-1))

    # Filter off or no neutral label: nothing suppressed.
    _, off = nt.apply_snippet_filter(video, snippets, dict(config, snippet_filter=False))
    assert not off.any()
    renamed = dict(config, labels=["a", "b", "c", "d", "e", "f", "g"])
    _, none = nt.apply_snippet_filter(video, snippets, renamed)
    assert not none.any()

    # Neutral found by name: MAFW puts it at index 4.
    mafw_labels = ["anger", "disgust", "fear", "happiness", "neutral", "sadness",
                   "surprise"]
    mafw = dict(config, labels=mafw_labels)
    v = torch.zeros(1, 7)
    v[0, 4] = 5.0
    s = torch.zeros(1, 7, 7)
    s[0, 0, 0] = 10.0
    probs, sup = nt.apply_snippet_filter(v, s, mafw)
    assert sup.item()
    assert probs[0, 4].item() == 0.0

    # Thresholds at the boundary, on float32 probabilities.
    def flags(rows):
        p = torch.tensor([rows], dtype=torch.float32)
        return nt.snippet_filter_flags(p, 1, 0.03, 0.75).item()

    assert flags([[0.76, 0.03, 0.21]]), "p_neutral == 0.03 must count as low"
    assert not flags([[0.76, 0.031, 0.209]]), "p_neutral 0.031 is above 0.03"
    assert not flags([[0.75, 0.03, 0.22]]), "max p == 0.75 must not count as confident"
    assert flags([[0.7501, 0.03, 0.2199]])
    assert flags([[0.1, 0.0, 0.1], [0.8, 0.01, 0.19]]), "any snippet suffices"


def check_case_and_tolerances():
    # A float64 oracle run passes against float32, so the limits are reachable.
    # A changed gradient, a flipped flag, a missing name and a changed running
    # variance each fail.
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        for name, extra in (("f32", []), ("f64", ["--float64"])):
            out = os.path.join(tmp, name)
            cmd = [sys.executable, os.path.join(HERE, "torch_oracle.py"),
                   "--preset", "small", "--batch", "2", "--seed", "1", "--steps", "3",
                   "--perturb-norms", "--out", out]
            subprocess.run(cmd + extra, check=True)
            runs[name] = os.path.join(out, "expected.safetensors")
        assert parity_compare.compare(runs["f64"], runs["f32"]) == 0

        # Case files: names, metadata and shapes that the C runner reads.
        folder = os.path.dirname(runs["f32"])
        model, meta = safetensors_io.load(os.path.join(folder, "model.safetensors"))
        config = json.loads(meta["nrdfer"])
        assert config == nt.make_config("small")
        assert {k: list(v.shape) for k, v in model.items()} == expected_names(config)
        assert model["stem.bn1.num_batches_tracked"].dtype == np.int64
        inputs, _ = safetensors_io.load(os.path.join(folder, "input.safetensors"))
        assert list(inputs["clips"].shape) == [2, 16, 3, 64, 64]
        assert inputs["clips"].min() >= 0
        assert inputs["clips"].max() <= 1
        assert inputs["labels"].dtype == np.int64
        assert list(inputs["labels"].shape) == [2]
        names = set(safetensors_io.load(runs["f32"])[0])
        buffers = ("running_mean", "running_var", "num_batches_tracked")
        params = [n for n in model if n.split(".")[-1] not in buffers]
        for n in params:
            assert "grad." + n in names, f"grad.{n} missing"
            assert "update." + n in names, f"update.{n} missing"
        bn_count = sum(n.endswith(".running_mean") for n in model)
        assert sum(n.startswith("running.") for n in names) == 2 * bn_count
        for n in ("eval.video_logits", "eval.snippet_logits", "eval.probs",
                  "eval.suppressed", "train.video_logits", "train.snippet_logits",
                  "train.loss"):
            assert n in names, f"{n} missing"

        tensors, _ = safetensors_io.load(runs["f32"])
        bad = os.path.join(tmp, "bad.safetensors")
        cases = {
            "grad": lambda t: t.__setitem__("grad.layer2.conv1.weight",
                                            t["grad.layer2.conv1.weight"] * 1.01),
            "flag": lambda t: t.__setitem__("eval.suppressed", 1 - t["eval.suppressed"]),
            "missing": lambda t: t.pop("update.head.bias"),
            "running": lambda t: t.__setitem__("running.stem.bn1.running_var",
                                               t["running.stem.bn1.running_var"] * 1.001),
        }
        with open(os.devnull, "w") as quiet:
            for case, change in cases.items():
                copy = {k: v.copy() for k, v in tensors.items()}
                change(copy)
                safetensors_io.save(bad, copy)
                failures = parity_compare.compare(runs["f32"], bad, out=quiet)
                assert failures > 0, f"{case} not caught"


def main():
    checks = [(n, f) for n, f in globals().items() if n.startswith("check_")]
    torch.set_num_threads(2)
    failed = 0
    for name, check in checks:
        try:
            check()
            print(f"ok   {name}")
        except Exception:
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
    print(f"{failed} of {len(checks)} checks failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
