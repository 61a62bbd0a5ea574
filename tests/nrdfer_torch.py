"""NR-DFERNet in PyTorch: the reference that the C model is tested against.

Follows NR-DFERNet (Li, Sui, Zhu, Zhao, arXiv 2206.04975): a ResNet-style
spatial stage, DSF (dynamic-static fusion), DCT (the class token is the mean
of the clip's tokens) and SF (the snippet-based filter).
Parameter and buffer names match the checkpoint names of the C library, so
`state_dict()` can be written to safetensors and loaded there unchanged.

Shapes: B clips, T frames, C channels, S image size, g the static grid size
(spatial size after DSF's stride-2 stage), D = layer3_channels * g * g the
temporal token width, K snippets, L labels.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

PAPER = {
    "frames": 16,
    "image_size": 112,
    "labels": ["happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"],
    "stem_channels": 64,
    "layer2_channels": 128,
    "layer3_channels": 256,
    "head_dim": 32,
    "static_blocks": 2,
    "static_heads": 4,
    "static_mlp": 256,
    "temporal_blocks": 2,
    "temporal_heads": 4,
    "temporal_mlp": 512,
    "static_branch": True,
    "dynamic_branch": True,
    "learned_cls_token": False,
    "single_frame": False,
    "snippet_filter": True,
    "sf_neutral_max": 0.03,
    "sf_confidence_min": 0.75,
}

SMALL = dict(
    PAPER,
    image_size=64,
    stem_channels=16,
    layer2_channels=32,
    layer3_channels=64,
    static_heads=2,
    static_mlp=128,
    temporal_mlp=256,
)

PRESETS = {"paper": PAPER, "small": SMALL}


def make_config(preset="paper", **overrides):
    """Return a config dict: the preset's settings with overrides applied."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset '{preset}': use 'paper' or 'small'")
    config = dict(PRESETS[preset])
    for key, value in overrides.items():
        if key not in config:
            raise KeyError(f"unknown config setting '{key}'")
        config[key] = value
    return config


def config_from_json(obj):
    """Return a full config from a JSON dict; absent keys keep the paper value."""
    config = dict(PAPER)
    for key, value in obj.items():
        if key in config:
            config[key] = value
    for key in ("static_branch", "dynamic_branch", "learned_cls_token", "single_frame",
                "snippet_filter"):
        config[key] = bool(config[key])
    return config


def grid_size(image_size):
    """Return the spatial size after five stride-2 stages (3x3 pad 1 or pool pad 1)."""
    size = image_size
    for _ in range(5):
        size = (size - 1) // 2 + 1
    return size


def snippet_starts(tokens):
    """Return the first token index of each 3-token snippet, stride 2."""
    return list(range(0, tokens - 2, 2))


def conv3x3(cin, cout, stride):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class Relu(nn.Module):
    """ReLU whose mask can be forced: with forced set, y = x * forced (gradient dy * forced).

    relu(x) is x * (x > 0), so a mask equal to (x > 0) gives the same result
    and gradient. The parity test forces the C model's masks, which keeps
    both models on the same side of every ReLU input within rounding of 0.
    With record set, forward counts in `differences` the elements where the
    forced mask differs from (x > 0), out of `elements`.
    """

    kind = "mask"

    def __init__(self):
        super().__init__()
        self.forced = None
        self.record = False
        self.differences = self.elements = 0

    def forward(self, x):
        if self.forced is None:
            return F.relu(x)
        if self.forced.shape != x.shape:
            raise ValueError(f"forced ReLU mask has shape {list(self.forced.shape)}, "
                             f"input {list(x.shape)}")
        if self.record:
            self.differences = int(torch.count_nonzero((x > 0) != (self.forced > 0)))
            self.elements = x.numel()
        return x * self.forced.to(x.dtype)


class MaxPool(nn.Module):
    """Max pool 3x3, stride 2, padding 1, whose choices can be forced.

    forced contains, per output, the offset kh * 3 + kw of the chosen input in
    its window, with the padding counted. The output is that input, and the
    gradient goes to it as max pooling sends it to the maximum. With record set,
    forward counts in `differences` the outputs whose forced input is below
    the window's maximum, out of `elements` (ties count as agreeing).
    """

    kind = "argmax"

    def __init__(self):
        super().__init__()
        self.forced = None
        self.record = False
        self.differences = self.elements = 0

    def forward(self, x):
        if self.forced is None:
            return F.max_pool2d(x, 3, stride=2, padding=1)
        n, c, h, w = x.shape
        padded = F.pad(x, (1, 1, 1, 1), value=float("-inf"))
        windows = padded.unfold(2, 3, 2).unfold(3, 3, 2)
        windows = windows.reshape(*windows.shape[:4], 9)
        if self.forced.shape != windows.shape[:4]:
            raise ValueError(f"forced max pool choices have shape {list(self.forced.shape)}, "
                             f"output {list(windows.shape[:4])}")
        chosen = windows.gather(-1, self.forced.long().unsqueeze(-1)).squeeze(-1)
        if self.record:
            best = windows.max(dim=-1).values
            self.differences = int(torch.count_nonzero(chosen < best))
            self.elements = chosen.numel()
        return chosen


def forced_sites(model):
    """Return {module name: module} for every ReLU and max pool of model, in module order."""
    return {name: m for name, m in model.named_modules() if isinstance(m, (Relu, MaxPool))}


class Downsample(nn.Module):
    """Shortcut projection: 1x1 conv with stride, then BN."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, stride=stride, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class BasicBlock(nn.Module):
    """ResNet basic block: [N, cin, H, W] -> [N, cout, H/s, W/s]."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv3x3(cin, cout, stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = conv3x3(cout, cout, 1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = Downsample(cin, cout, stride) if stride != 1 or cin != cout else None
        self.relu1 = Relu()
        self.relu2 = Relu()

    def forward(self, x):
        shortcut = x if self.down is None else self.down(x)
        y = self.relu1(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu2(y + shortcut)


class Stem(nn.Module):
    """conv3x3 s2, BN, ReLU, conv3x3, BN, ReLU, maxpool 3 s2 p1.

    [N, 3, S, S] -> [N, C, S/4, S/4].
    """

    def __init__(self, channels):
        super().__init__()
        self.conv1 = conv3x3(3, channels, 2)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = conv3x3(channels, channels, 1)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu1 = Relu()
        self.relu2 = Relu()
        self.pool = MaxPool()

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        return self.pool(x)


class Attention(nn.Module):
    """Multi-head self-attention: [N, L, dim] -> [N, L, dim].

    The rows of qkv.weight are all of q, then all of k, then all of v, and
    inside each part head 0's head_dim rows come first.
    """

    def __init__(self, dim, heads, head_dim):
        super().__init__()
        self.heads = heads
        self.head_dim = head_dim
        self.qkv = nn.Linear(dim, 3 * heads * head_dim, bias=False)
        self.proj = nn.Linear(heads * head_dim, dim)

    def forward(self, x):
        n, length, _ = x.shape
        qkv = self.qkv(x).reshape(n, length, 3, self.heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        out = scores.softmax(dim=-1) @ v
        out = out.transpose(1, 2).reshape(n, length, self.heads * self.head_dim)
        return self.proj(out)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class Block(nn.Module):
    """Pre-norm transformer block without dropout: [N, L, dim] -> [N, L, dim]."""

    def __init__(self, dim, heads, head_dim, hidden):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn = Attention(dim, heads, head_dim)
        self.ln2 = nn.LayerNorm(dim, eps=1e-5)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class StaticBranch(nn.Module):
    """conv3x3 s2, BN, ReLU, then transformer blocks over the g*g cells.

    [N, C, H, W] -> [N, C, g, g]; cell (row, col) is token row * g + col.
    """

    def __init__(self, config):
        super().__init__()
        channels = config["layer3_channels"]
        cells = grid_size(config["image_size"]) ** 2
        self.conv = conv3x3(channels, channels, 2)
        self.bn = nn.BatchNorm2d(channels)
        self.relu = Relu()
        self.pos_embed = nn.Parameter(torch.empty(cells, channels))
        self.blocks = nn.ModuleList(
            Block(channels, config["static_heads"], config["head_dim"],
                  config["static_mlp"])
            for _ in range(config["static_blocks"])
        )

    def forward(self, x):
        x = self.relu(self.bn(self.conv(x)))
        n, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2) + self.pos_embed
        for block in self.blocks:
            tokens = block(tokens)
        return tokens.transpose(1, 2).reshape(n, c, h, w)


class Dsf(nn.Module):
    """Dynamic-static fusion: layer3 features [B, T, C, H, W] -> tokens [B, T-1, D]."""

    def __init__(self, config):
        super().__init__()
        channels = config["layer3_channels"]
        if config["dynamic_branch"]:
            self.dynamic = nn.Sequential(
                BasicBlock(channels, channels, 2),
                BasicBlock(channels, channels, 1),
                BasicBlock(channels, channels, 1),
            )
        else:
            self.dynamic = None
        self.static = StaticBranch(config) if config["static_branch"] else None

    def forward(self, features):
        b, t, c, h, w = features.shape
        fused = 0
        if self.dynamic is not None:
            diff = features[:, 1:] - features[:, :-1]
            fused = fused + self.dynamic(diff.reshape(b * (t - 1), c, h, w))
        if self.static is not None:
            frames = features[:, :-1].reshape(b * (t - 1), c, h, w)
            fused = fused + self.static(frames)
        # Channel-major flattening: index c * g * g + row * g + col.
        return fused.reshape(b, t - 1, -1)


class Temporal(nn.Module):
    """Temporal transformer with a dynamic (mean) or learned class token."""

    def __init__(self, config):
        super().__init__()
        dim = config["layer3_channels"] * grid_size(config["image_size"]) ** 2
        self.pos_embed = nn.Parameter(torch.empty(config["frames"], dim))
        if config["learned_cls_token"]:
            self.cls_token = nn.Parameter(torch.empty(dim))
        else:
            self.cls_token = None
        self.blocks = nn.ModuleList(
            Block(dim, config["temporal_heads"], config["head_dim"],
                  config["temporal_mlp"])
            for _ in range(config["temporal_blocks"])
        )

    def forward(self, tokens):
        """[N, L, D] tokens -> [N, D] output at the class token position."""
        n, length, dim = tokens.shape
        if self.cls_token is None:
            cls = tokens.mean(dim=1, keepdim=True)
        else:
            cls = self.cls_token.expand(n, 1, dim)
        z = torch.cat([cls, tokens], dim=1) + self.pos_embed[: length + 1]
        for block in self.blocks:
            z = block(z)
        return z[:, 0]


class NrDferNet(nn.Module):
    """NR-DFERNet, from clips to video and snippet logits.

    clips [B, T, 3, S, S] in [0, 1] -> (video [B, L], snippets [B, K, L]).
    With config["single_frame"], the single-frame baseline: the spatial stage,
    global average pooling, the mean over the clip's frames (snippet k: over
    frames 2k..2k+3) and the head.
    """

    def __init__(self, config):
        super().__init__()
        self.config = dict(config)
        stem = config["stem_channels"]
        c2 = config["layer2_channels"]
        c3 = config["layer3_channels"]
        dim = c3 * grid_size(config["image_size"]) ** 2
        self.stem = Stem(stem)
        self.layer1 = BasicBlock(stem, stem, 1)
        self.layer2 = BasicBlock(stem, c2, 2)
        self.layer3 = BasicBlock(c2, c3, 2)
        if config["single_frame"]:
            self.dsf = self.temporal = None
            self.head = nn.Linear(c3, len(config["labels"]))
        else:
            self.dsf = Dsf(config)
            self.temporal = Temporal(config)
            self.head = nn.Linear(dim, len(config["labels"]))
        self.reset_parameters()

    def reset_parameters(self):
        """Initialise convs with Kaiming normal (fan_out, ReLU gain), norms to weight 1
        and bias 0, position embeddings and the class token from normal(0, 1).

        Linear layers keep PyTorch's default, uniform(+-1/sqrt(fan_in)).
        """
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(
                    module.weight, mode="fan_out", nonlinearity="relu"
                )
            elif isinstance(module, (nn.BatchNorm2d, nn.LayerNorm)):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        if self.temporal is None:
            return
        nn.init.normal_(self.temporal.pos_embed)
        if self.dsf.static is not None:
            nn.init.normal_(self.dsf.static.pos_embed)
        if self.temporal.cls_token is not None:
            nn.init.normal_(self.temporal.cls_token)

    def forward(self, clips):
        b, t, _, s, _ = clips.shape

        # Spatial stage on all B*T frames, so BN batch statistics cover every frame.
        x = clips.reshape(b * t, 3, s, s)
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        if self.dsf is None:
            frames = x.mean(dim=(2, 3)).reshape(b, t, -1)
            video = self.head(frames.mean(dim=1))
            starts = snippet_starts(t - 1)
            snippets = torch.stack([frames[:, i : i + 4].mean(dim=1) for i in starts], dim=1)
            return video, self.head(snippets)
        tokens = self.dsf(x.reshape(b, t, *x.shape[1:]))

        # Clip and snippets share the transformer and the head.
        video = self.head(self.temporal(tokens))
        starts = snippet_starts(tokens.shape[1])
        snippets = torch.stack([tokens[:, i : i + 3] for i in starts], dim=1)
        snippet_out = self.temporal(snippets.reshape(b * len(starts), 3, -1))
        snippet_logits = self.head(snippet_out).reshape(b, len(starts), -1)
        return video, snippet_logits


def snippet_filter_flags(snippet_probs, neutral, neutral_max, confidence_min):
    """Return [B] bools: some snippet has p[neutral] <= neutral_max and max p above
    confidence_min.

    snippet_probs is [B, K, L]. Comparisons run in the tensor's dtype, so a
    float32 probability equal to float32(neutral_max) counts as neutral-free.
    """
    low_neutral = snippet_probs[..., neutral] <= neutral_max
    confident = snippet_probs.max(dim=-1).values > confidence_min
    return (low_neutral & confident).any(dim=-1)


def apply_snippet_filter(video_logits, snippet_logits, config):
    """Return (probs [B, L], suppressed [B] bool) after the snippet-based filter.

    A suppressed clip has its neutral logit set to -inf, so its neutral
    probability is 0. Without a "neutral" label or with the filter off,
    nothing is suppressed.
    """
    labels = list(config["labels"])
    suppressed = torch.zeros(video_logits.shape[0], dtype=torch.bool)
    if config["snippet_filter"] and "neutral" in labels:
        neutral = labels.index("neutral")
        suppressed = snippet_filter_flags(
            snippet_logits.softmax(dim=-1),
            neutral,
            config["sf_neutral_max"],
            config["sf_confidence_min"],
        )
        mask = torch.zeros_like(video_logits, dtype=torch.bool)
        mask[suppressed, neutral] = True
        video_logits = video_logits.masked_fill(mask, float("-inf"))
    return video_logits.softmax(dim=-1), suppressed


def bn_prefixes(model):
    """Return the state-dict prefix of every BatchNorm layer, in module order."""
    return [name for name, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]
