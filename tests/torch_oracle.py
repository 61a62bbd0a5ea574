#!/usr/bin/python3
"""Write a parity case for the C model: initial weights, input and PyTorch results.

Usage:
  /usr/bin/python3 tests/torch_oracle.py --preset small --batch 2 --seed 1 \
      --steps 3 --lr 1e-3 --momentum 0.9 --weight-decay 0.1 --out DIR

Writes DIR/model.safetensors, DIR/input.safetensors and
DIR/expected.safetensors; the tensor names are listed in write_case().

With --masks FILE (masks.safetensors of nrdfer_parity --masks), training
step k uses the ReLU masks "mask.<k>.<site>" and the max pool choices
"argmax.<k>.<site>" from FILE instead of its own, and DIR/mask_check.json
counts, per step and site, the elements where the forced choice differs
from the oracle's own (ReLU input > 0, the window's maximum).
"""

import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import nrdfer_torch  # noqa: E402
import safetensors_io  # noqa: E402


def perturb_norms(model, generator):
    """Draw BN and LayerNorm affine parameters and BN running stats at random.

    The initialisation makes every norm an identity in eval mode (weight 1,
    bias 0, mean 0, var 1). Random values let a test see swapped or ignored
    norm tensors.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.BatchNorm2d, torch.nn.LayerNorm)):
                shape = module.weight.shape
                module.weight.copy_(1 + 0.2 * torch.randn(shape, generator=generator))
                module.bias.copy_(0.2 * torch.randn(shape, generator=generator))
            if isinstance(module, torch.nn.BatchNorm2d):
                shape = module.running_mean.shape
                module.running_mean.copy_(0.1 * torch.randn(shape, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(shape, generator=generator))


def bias_head_to_first_label(model, config):
    """Raise the first label's head bias by 4 and lower neutral's by 6.

    Every snippet then becomes confidently non-neutral, so eval mode
    exercises the suppression branch of the snippet filter.
    """
    neutral = config["labels"].index("neutral")
    with torch.no_grad():
        model.head.bias[0] += 4.0
        model.head.bias[neutral] -= 6.0


def load_masks(path, sites, steps):
    """Return {step: {site: float tensor}} for steps 1..steps read from path.

    A ReLU site's tensor is "mask.<step>.<site>", a max pool's
    "argmax.<step>.<site>". Raises ValueError naming the file and the first
    missing tensor.
    """
    tensors, _ = safetensors_io.load(path)
    masks = {}
    for step in range(1, steps + 1):
        masks[step] = {}
        for site, module in sites.items():
            name = f"{module.kind}.{step}.{site}"
            if name not in tensors:
                raise ValueError(f"{path} has no tensor {name}; write it with "
                                 f"nrdfer_parity --masks --steps {steps}")
            masks[step][site] = torch.from_numpy(tensors.pop(name))
    return masks


def force_masks(sites, step_masks):
    """Set each site's forced choices (None: its own) and have it count differences."""
    for site, module in sites.items():
        module.forced = None if step_masks is None else step_masks[site]
        module.record = step_masks is not None


def count_mask_differences(sites):
    """Return {site: [differing elements, elements]} of the last forward."""
    return {site: [m.differences, m.elements] for site, m in sites.items()}


def f32(tensor):
    """Return a float32 copy that later in-place updates of tensor leave alone."""
    return tensor.detach().to(torch.float32, copy=True).contiguous()


def write_case(args):
    """Write the model, input and expected files of one case into args.out.

    Returns the expected tensors.
    """
    torch.set_num_threads(2)
    dtype = torch.float64 if args.float64 else torch.float32
    config = nrdfer_torch.make_config(
        args.preset,
        static_branch=args.static_branch == "on",
        dynamic_branch=args.dynamic_branch == "on",
        learned_cls_token=args.learned_cls_token,
        single_frame=args.single_frame,
    )
    if args.single_frame:
        config.update(static_branch=False, dynamic_branch=False)
    os.makedirs(args.out, exist_ok=True)

    # Initial weights and input, both from the seed.
    torch.manual_seed(args.seed)
    model = nrdfer_torch.NrDferNet(config)
    generator = torch.Generator().manual_seed(args.seed + 1)
    if args.perturb_norms:
        perturb_norms(model, generator)
    if args.confident_head:
        bias_head_to_first_label(model, config)
    frames, size = config["frames"], config["image_size"]
    clips = torch.rand((args.batch, frames, 3, size, size), generator=generator)
    labels = torch.randint(len(config["labels"]), (args.batch,), generator=generator)
    initial = {name: t.clone() for name, t in model.state_dict().items()}
    safetensors_io.save(
        os.path.join(args.out, "model.safetensors"),
        initial,
        metadata={"nrdfer": json.dumps(config)},
    )
    safetensors_io.save(
        os.path.join(args.out, "input.safetensors"), {"clips": clips, "labels": labels}
    )
    model = model.to(dtype)
    clips = clips.to(dtype)
    expected = {}
    sites = nrdfer_torch.forced_sites(model)
    masks = load_masks(args.masks, sites, args.steps) if args.masks else None
    mask_check = {}

    # Eval mode: logits from the running stats, then the snippet filter.
    model.eval()
    with torch.no_grad():
        video, snippets = model(clips)
        probs, suppressed = nrdfer_torch.apply_snippet_filter(video, snippets, config)
    expected["eval.video_logits"] = f32(video)
    expected["eval.snippet_logits"] = f32(snippets)
    expected["eval.probs"] = f32(probs)
    expected["eval.suppressed"] = f32(suppressed)

    # Training: the first step's forward, loss, gradients and running stats.
    model.train()
    params = dict(model.named_parameters())
    optimizer = torch.optim.SGD(
        params.values(),
        lr=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
    )
    for step in range(args.steps):
        optimizer.zero_grad()
        if masks:
            force_masks(sites, masks[step + 1])
        video, snippets = model(clips)
        if masks:
            mask_check[str(step + 1)] = count_mask_differences(sites)
        loss = F.cross_entropy(video, labels)
        loss.backward()
        if step == 0:
            expected["train.video_logits"] = f32(video)
            expected["train.snippet_logits"] = f32(snippets)
            expected["train.loss"] = f32(loss.reshape(1))
            for name, param in params.items():
                expected["grad." + name] = f32(param.grad)
            for prefix in nrdfer_torch.bn_prefixes(model):
                bn = model.get_submodule(prefix)
                expected[f"running.{prefix}.running_mean"] = f32(bn.running_mean)
                expected[f"running.{prefix}.running_var"] = f32(bn.running_var)
        optimizer.step()
    force_masks(sites, None)
    if masks:
        with open(os.path.join(args.out, "mask_check.json"), "w") as f:
            json.dump(mask_check, f, indent=1)

    # Parameter change over all steps, subtracted in float64 to keep small updates exact.
    for name, param in params.items():
        expected["update." + name] = f32(param.detach().double() - initial[name].double())
    safetensors_io.save(os.path.join(args.out, "expected.safetensors"), expected)
    return expected


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--preset", choices=["small", "paper"], default="small")
    parser.add_argument("--static-branch", choices=["on", "off"], default="on")
    parser.add_argument("--dynamic-branch", choices=["on", "off"], default="on")
    parser.add_argument("--learned-cls-token", action="store_true")
    parser.add_argument("--single-frame", action="store_true",
                        help="the single-frame baseline instead of NR-DFERNet")
    parser.add_argument("--batch", type=int, default=2, help="clips per batch")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3, help="SGD steps in total")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=0.1)

    # Options that make a case stronger or diagnose one.
    parser.add_argument(
        "--perturb-norms",
        action="store_true",
        help="draw norm weights, biases and BN running stats at random",
    )
    parser.add_argument(
        "--confident-head",
        action="store_true",
        help="bias the head so the snippet filter suppresses neutral",
    )
    parser.add_argument(
        "--float64",
        action="store_true",
        help="compute in float64 (results are still written as F32)",
    )
    parser.add_argument(
        "--masks",
        metavar="FILE",
        help="force the ReLU masks and max pool choices of each training step from FILE "
        "(masks.safetensors of nrdfer_parity --masks)",
    )
    parser.add_argument("--out", required=True, help="output folder")

    args = parser.parse_args(argv)
    if args.single_frame and args.learned_cls_token:
        parser.error("--single-frame has no class token: drop --learned-cls-token")
    if not args.single_frame and args.static_branch == "off" and args.dynamic_branch == "off":
        parser.error("--static-branch off and --dynamic-branch off: DSF needs one branch")
    if args.batch < 1 or args.steps < 1:
        parser.error("--batch and --steps must be at least 1")
    return args


if __name__ == "__main__":
    write_case(parse_args(sys.argv[1:]))
