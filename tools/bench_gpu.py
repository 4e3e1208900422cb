#!/usr/bin/env python
r"""GPU readiness benchmark: MoSI's pretext training step and Im2Flow's U-Net-256 step on Keras (JAX backend) against
the same models in plain PyTorch, eager and with `torch.compile`, all measured in one run.

On the GPU machine (JAX and PyTorch installed, no TensorFlow, no Keras: Keras comes from the carried wheels), from the
repository root:

    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && \
        export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1; python3 tools/bench_gpu.py

It should take 6-8 minutes (an estimate: not yet run on a GPU), mostly compiling; `--time-limit` (480 s) bounds
it: no case starts once it is spent, and a running case is killed at what is left. `import keras_motion` also needs
its own dependencies there (OpenCV, scikit-learn, keras-tuner, h5py, ...). On a CPU: `python tools/bench_gpu.py
--tiny` (a smoke test, 1-2 minutes on a busy 2-core CPU; its figures mean nothing).

Cases, each in its own process (the Keras backend is fixed per process, and JAX and PyTorch each preallocate the
GPU), timed as the median of `--steps` training steps after `--warmup` warm-up steps; the first step (tracing and
compiling) is reported apart:
  mosi-keras-<conv>    MoSI's pretext model as `km.mosi.MoSI` builds it (paper preset): the `PseudoMotion` generator
                       on device, then R(2+1)D-18 with that `Conv3D` form, fed 5 uint8 source squares 320² per step,
                       i.e. 45 clips 16×112² (9 labels each); Adam with the task's schedule and weight decay.
  r2p1d-keras-<conv>   the same backbone fed the 45 uint8 clips (no generator): the work the PyTorch cases do.
  r2p1d-torch-eager    torchvision's `r2plus1d_18` where importable (the anchors' model), else the plain-torch
  r2p1d-torch-compile  R(2+1)D-18 below (`keras_motion/models/video_resnet.py`'s layout); uint8 clips in, AdamW.
  unet-keras           `km.im2flow.Im2FlowUNet(256, 64)`, batch 32, the paper preset's loss as `Im2Flow` compiles it
                       (pixel + 0.02 · content through φ, a ResNet-10's stage 2, magnitude weighting; `--im2flow-loss
                       pixel`: without φ), Adam(2e-4, β1 0.5).
  unet-torch-eager     the plain-torch U-Net-256 and φ below, same layout, loss and optimizer.
  unet-torch-compile
Precision: bf16 on a GPU (Keras `mixed_bfloat16`, `torch.autocast`), float32 on a CPU (`--precision` overrides).
The printed ratios are throughput ratios (> 1: the first named is faster); the anchors from ../shared/DESIGN.md are
printed beside them.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

ANCHORS = {"torch-eager": 439.0, "torch-compile": 634.0, "keras-jax": 465.0}  # clips/s, H100, torchvision R(2+1)D-18
ANCHOR_TEXT = (
    "anchors (DESIGN.md, an H100, R(2+1)D-18 batch 45 × 16×112² bf16): torchvision eager 439 clips/s, "
    "torch.compile 634, a plain Keras/JAX model 465"
)
CONV_FORMS = ("conv3d", "factorized", "auto")


# ------------------------------------------------------------------------------------------------------ settings
def mosi_settings(tiny):
    """MoSI task overrides on its "paper" preset: R(2+1)D-18, 16×112² clips from 320² squares, 5 images × 9 labels
    = 45 clips (the anchors' batch); tiny: depth 10, narrow, 4×16² clips, 1 image × 9 labels."""
    if tiny:
        return dict(
            backbone="r2plus1d",
            depth=10,
            filters=(4, 4, 4, 4, 4),
            num_frames=4,
            crop_size=16,
            source_size=24,
            batch_images=1,
        )
    return dict(backbone="r2plus1d", depth=18, batch_images=5)


def im2flow_settings(tiny):
    """Im2Flow task overrides on its "paper" preset (U-Net-256, 64 filters, batch 32, φ with 64 filters)."""
    return dict(image_size=32, base_filters=4, batch_size=2, stream_filters=4) if tiny else {}


# ----------------------------------------------------------------------------------------------- timing (child)
def time_steps(step, sync, warmup, steps):
    """(first step s, median of `steps` steps s): the first includes tracing / compiling; `sync` waits for the
    device, so each time is a whole step."""
    start = time.perf_counter()
    step()
    sync()
    first = time.perf_counter() - start
    for _ in range(max(warmup - 1, 0)):
        step()
    sync()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    times.sort()
    middle = len(times) // 2
    median = times[middle] if len(times) % 2 else (times[middle - 1] + times[middle]) / 2
    return first, median


# ------------------------------------------------------------------------------------------------- Keras (JAX)
def _keras_setup(precision):
    import jax
    import keras

    if keras.backend.backend() != "jax":
        raise SystemExit(f"the Keras cases run on JAX: set KERAS_BACKEND=jax (got {keras.backend.backend()})")
    device = jax.devices()[0]
    bf16 = precision == "bf16" or (precision == "auto" and device.platform != "cpu")
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if bf16 else "float32")
    keras.utils.set_random_seed(0)
    return f"jax {device.platform} ({device.device_kind})", "bf16" if bf16 else "float32"


def _trainable(model):
    """Trainable parameters (BatchNorm's moving statistics left out, as torch's `parameters()` leaves its buffers)."""
    return sum(int(math.prod(w.shape)) for w in model.trainable_weights)


def _keras_sync():
    """`train_on_batch` on JAX returns its logs as NumPy values, which already waits for the step."""


def keras_mosi(case, args):
    """`(step, items per step, unit, description, params)` of a MoSI Keras case (see the module docstring)."""
    import inspect

    import keras
    import numpy as np

    from keras_motion.evaluation import compile_classifier
    from keras_motion.models import R2Plus1D
    from keras_motion.models.conv3d import resolve_implementation
    from keras_motion.mosi import MoSI, pseudo_motion_classifier

    conv = case.rsplit("-", 1)[1]
    settings = mosi_settings(args.tiny)
    if "conv" in inspect.signature(MoSI).parameters:  # the task takes the form itself: build as it builds
        task = MoSI.from_preset("paper", **settings, conv=conv)
        pretext = task.build_pretext()
        generator, backbone = MoSI.pretext_parts(pretext)
    else:  # `build_pretext` with the backbone's `conv` set
        task = MoSI.from_preset("paper", **settings)
        generator = task.generator
        backbone = R2Plus1D(
            depth=task.depth,
            num_classes=generator.num_classes,
            filters=task.filters,
            stem=task.stem,
            dropout=task.dropout,
            conv=conv,
            name="mosi_backbone",
        )
        pretext = pseudo_motion_classifier(generator, backbone)
    rng = np.random.default_rng(0)
    images, clips = task.batch_images, task.batch_images * generator.num_classes
    labels = keras.ops.convert_to_tensor(generator.labels_for(images))
    shape = f"{clips} clips {task.num_frames}×{task.crop_size}²"
    if case.startswith("mosi-"):
        model = pretext
        x = rng.integers(0, 256, (images, task.source_size, task.source_size, 3), dtype=np.uint8)
        what = f"{shape} made on device from {images} uint8 squares {task.source_size}²"
    else:
        model = backbone
        x = rng.integers(0, 256, (clips, task.num_frames, task.crop_size, task.crop_size, 3), dtype=np.uint8)
        what = f"{shape} uint8 in, no generator"
    # The task's compile: Adam with decoupled weight decay on its warm-up + cosine schedule.
    compile_classifier(model, task.pretext_learning_rate, task.pretext_weight_decay, steps=1000, warmup_steps=10)
    x = keras.ops.convert_to_tensor(x)  # on device once: the step times the model, not a host copy
    form = resolve_implementation(conv)
    name = f"R(2+1)D-{task.depth}" + ("" if task.filters is None else f" {tuple(task.filters)}")
    return (
        (lambda: model.train_on_batch(x, labels)),
        clips,
        "clips/s",
        f"{name}, Conv3D {conv}→{form}, {what}",
        _trainable(backbone),
    )


def keras_unet(args):
    import keras
    import numpy as np

    from keras_motion.im2flow import Im2Flow
    from keras_motion.im2flow.loss import EndPointError, Im2FlowLoss
    from keras_motion.models import ResNet2D
    from keras_motion.schedules import ConstantThenLinear

    task = Im2Flow.from_preset("paper", **im2flow_settings(args.tiny))
    net = task.build_unet()
    content = None
    if args.im2flow_loss == "paper":  # φ as `fit_content_network` builds it (its weights do not change the time)
        content = ResNet2D(
            depth=10,
            num_classes=101,
            base_filters=task.stream_filters,
            stem="imagenet",
            rescale=False,
            name="content_network",
        ).stage_features(2)
    loss = Im2FlowLoss(
        content_network=content, content_weight=task.content_weight, magnitude_weighting=task.magnitude_weighting
    )
    net.compile(
        optimizer=keras.optimizers.Adam(ConstantThenLinear(task.learning_rate, 1000, 500), beta_1=task.beta_1),
        loss=loss,
        metrics=[EndPointError(task.max_magnitude)],
    )
    rng = np.random.default_rng(0)
    size, batch = task.image_size, task.batch_size
    x = keras.ops.convert_to_tensor(rng.integers(0, 256, (batch, size, size, 3), dtype=np.uint8))
    y = keras.ops.convert_to_tensor(rng.uniform(-1, 1, (batch, size, size, 3)).astype("float32"))
    what = f"U-Net-{size} ({task.base_filters} filters), {batch} images {size}², " + (
        "pixel + λ·content loss (φ ResNet-10 stage 2)" if content is not None else "pixel loss only"
    )
    return (lambda: net.train_on_batch(x, y)), batch, "images/s", what, _trainable(net)


# ------------------------------------------------------------------------------------------------------ PyTorch
def _torch_setup(precision):
    import torch

    gpu = torch.cuda.is_available()
    device = torch.device("cuda" if gpu else "cpu")
    bf16 = precision == "bf16" or (precision == "auto" and gpu and torch.cuda.is_bf16_supported())
    if gpu:
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels, as the anchors do
    torch.manual_seed(0)
    name = f"torch {device.type}" + (f" ({torch.cuda.get_device_name()})" if gpu else "")
    return device, bf16, name


def _midplanes(t, d, n_in, n_out):
    """As `keras_motion.models.video_resnet._midplanes` (Tran et al. §3.5): the (2+1)D conv's inner width."""
    return max(1, (t * d * d * n_in * n_out) // (d * d * n_in + t * n_out))


def torch_r2plus1d(depth, filters, num_classes, stem="video", dropout=0.5):
    """A plain-torch R(2+1)D with `keras_motion.models.R2Plus1D`'s layout: each t×d×d conv as 1×d×d spatial conv →
    BN → ReLU → t×1×1 temporal conv (inner width `_midplanes`, the stem's too), conv3-5 halving T, H and W, a 1×1×1
    projection where the shape changes, global pool → dropout → linear. Channels-first (N, C, T, H, W)."""
    from torch import nn

    blocks = {10: (1, 1, 1, 1), 18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}[depth]

    def conv(n_in, n_out, kernel, stride):
        t, d = kernel[0], kernel[1]
        spatial = nn.Conv3d(
            n_in,
            n_out if t == 1 else _midplanes(t, d, n_in, n_out),
            (1, d, d),
            stride=(1, stride[1], stride[2]),
            padding=(0, d // 2, d // 2),
            bias=False,
        )
        if t == 1:
            return spatial
        mid = spatial.out_channels
        return nn.Sequential(
            spatial,
            nn.BatchNorm3d(mid),
            nn.ReLU(inplace=True),
            nn.Conv3d(mid, n_out, (t, 1, 1), stride=(stride[0], 1, 1), padding=(t // 2, 0, 0), bias=False),
        )

    class Block(nn.Module):
        def __init__(self, n_in, n_out, stride):
            super().__init__()
            self.conv1, self.bn1 = conv(n_in, n_out, (3, 3, 3), stride), nn.BatchNorm3d(n_out)
            self.conv2, self.bn2 = conv(n_out, n_out, (3, 3, 3), (1, 1, 1)), nn.BatchNorm3d(n_out)
            self.proj = None
            if stride != (1, 1, 1) or n_in != n_out:  # == Keras' subsample + 1×1×1 conv
                self.proj = nn.Sequential(nn.Conv3d(n_in, n_out, 1, stride=stride, bias=False), nn.BatchNorm3d(n_out))
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x):
            y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(y + (x if self.proj is None else self.proj(x)))

    layers = [
        conv(3, filters[0], (3, 7, 7), (1, 2, 2)) if stem == "video" else conv(3, filters[0], (3, 3, 3), (1, 1, 1)),
        nn.BatchNorm3d(filters[0]),
        nn.ReLU(inplace=True),
    ]
    n_in = filters[0]
    for stage, count in enumerate(blocks, start=2):
        for b in range(count):
            stride = (2, 2, 2) if stage > 2 and b == 0 else (1, 1, 1)
            layers.append(Block(n_in, filters[stage - 1], stride))
            n_in = filters[stage - 1]
    layers += [nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(n_in, num_classes)]
    return nn.Sequential(*layers)


def torch_unet(image_size, base_filters, dropout=0.5, dropout_blocks=3, max_filter_multiplier=8):
    """A plain-torch `keras_motion.im2flow.Im2FlowUNet` (pix2pix's U-Net): log2(size) 4×4/2 encoder convs
    (BatchNorm but on the first and the bottleneck, LeakyReLU 0.2), mirrored 4×4/2 transposed convs on the skip
    concatenations (BatchNorm, dropout on the first three, ReLU), tanh. Channels-first."""
    from torch import nn

    depth = int(round(math.log2(image_size)))
    filters = [base_filters * min(2**i, max_filter_multiplier) for i in range(depth)]

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = nn.ModuleList(), nn.ModuleList()
            n_in = 3
            for i in range(depth):
                norm = [nn.BatchNorm2d(filters[i])] if 0 < i < depth - 1 else []
                self.encoder.append(nn.Sequential(nn.Conv2d(n_in, filters[i], 4, 2, 1), *norm, nn.LeakyReLU(0.2)))
                n_in = filters[i]
            for i in reversed(range(depth)):
                n_in = filters[i] * (1 if i == depth - 1 else 2)
                n_out = filters[i - 1] if i > 0 else 3
                tail = [] if i == 0 else [nn.BatchNorm2d(n_out)]
                if i > 0 and depth - 1 - i < dropout_blocks and dropout > 0:
                    tail.append(nn.Dropout(dropout))
                tail.append(nn.ReLU(inplace=True) if i > 0 else nn.Tanh())
                self.decoder.append(nn.Sequential(nn.ConvTranspose2d(n_in, n_out, 4, 2, 1), *tail))

        def forward(self, x):
            import torch

            skips = []
            for block in self.encoder:
                x = block(x)
                skips.append(x)
            for k, block in enumerate(self.decoder):
                i = depth - 1 - k
                x = block(x if i == depth - 1 else torch.cat([x, skips[i]], 1))
            return x

    return UNet()


def torch_content_network(base_filters):
    """φ for the content loss: a plain-torch ResNet-10 (7×7/2 stem, 3×3/2 max-pool) up to its stage 2, as
    `ResNet2D(depth=10, stem="imagenet").stage_features(2)`."""
    from torch import nn

    class Basic(nn.Module):
        def __init__(self, n_in, n_out, stride):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(n_in, n_out, 3, stride, 1, bias=False),
                nn.BatchNorm2d(n_out),
                nn.ReLU(inplace=True),
                nn.Conv2d(n_out, n_out, 3, 1, 1, bias=False),
                nn.BatchNorm2d(n_out),
            )
            self.proj = (
                None
                if stride == 1 and n_in == n_out
                else nn.Sequential(nn.Conv2d(n_in, n_out, 1, stride, bias=False), nn.BatchNorm2d(n_out))
            )
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x):
            return self.relu(self.body(x) + (x if self.proj is None else self.proj(x)))

    f = base_filters
    return nn.Sequential(
        nn.Conv2d(3, f, 7, 2, 3, bias=False),
        nn.BatchNorm2d(f),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2, 1),
        Basic(f, f, 1),
        Basic(f, 2 * f, 2),
    )


def _torch_model(case, args, device):
    """`(module, optimizer, loss_fn(out, target), inputs, target, items, unit, description)` of a torch case."""
    import numpy as np
    import torch
    from torch import nn

    rng = np.random.default_rng(0)
    if case.startswith("r2p1d-"):
        settings = mosi_settings(args.tiny)
        frames, size = settings.get("num_frames", 16), settings.get("crop_size", 112)
        clips, filters = 9 * settings["batch_images"], settings.get("filters") or (64, 64, 128, 256, 512)
        net, model_name = None, None
        if args.torch_model in ("auto", "torchvision") and not args.tiny:
            try:
                from torchvision.models.video import r2plus1d_18

                net, model_name = r2plus1d_18(num_classes=9), "torchvision r2plus1d_18"
            except ImportError:
                if args.torch_model == "torchvision":
                    raise
        if net is None:
            net = torch_r2plus1d(settings["depth"], filters, 9)
            model_name = f"plain-torch R(2+1)D-{settings['depth']} (keras_motion's layout)"

        class FromUint8(nn.Module):  # uint8 (N, T, H, W, C) clips, scaled inside as R2Plus1D does
            def __init__(self, net):
                super().__init__()
                self.net = net

            def forward(self, x):
                # contiguous: the channels-first layout a PyTorch video model is normally fed (the anchors')
                return self.net(x.permute(0, 4, 1, 2, 3).float().div(127.5).sub(1.0).contiguous())

        module = FromUint8(net).to(device)
        optimizer = torch.optim.AdamW(module.parameters(), lr=1e-3, weight_decay=1e-4)  # Keras' Adam(weight_decay)
        x = torch.from_numpy(rng.integers(0, 256, (clips, frames, size, size, 3), dtype=np.uint8)).to(device)
        y = torch.arange(clips, device=device) % 9
        what = f"{model_name}, {clips} clips {frames}×{size}² uint8 in"
        return (
            module,
            optimizer,
            lambda out, y: nn.functional.cross_entropy(out.float(), y),
            x,
            y,
            clips,
            "clips/s",
            what,
        )

    settings = {
        "image_size": 256,
        "base_filters": 64,
        "batch_size": 32,
        "stream_filters": 64,
        **im2flow_settings(args.tiny),
    }
    size, batch = settings["image_size"], settings["batch_size"]
    unet = torch_unet(size, settings["base_filters"])
    phi = torch_content_network(settings["stream_filters"]) if args.im2flow_loss == "paper" else None

    class UNetStep(nn.Module):  # uint8 NHWC image in, [-1, 1] NCHW flow image out
        def __init__(self):
            super().__init__()
            self.unet, self.phi = unet, phi
            if phi is not None:
                phi.eval()  # φ is frozen: its BatchNorm uses moving statistics, as Keras' training=False
                phi.requires_grad_(False)

        def forward(self, x):
            return self.unet(x.permute(0, 3, 1, 2).float().div(127.5).sub(1.0).contiguous())

        def train(self, mode=True):  # keep φ in inference mode whatever the step sets
            super().train(mode)
            if self.phi is not None:
                self.phi.eval()
            return self

    module = UNetStep().to(device)

    def im2flow_loss(pred, true):
        """Im2FlowLoss (paper preset): magnitude-weighted sin/cos gradients, pixel L2 + 0.02 · φ stage-2 L2."""
        pred, true = pred.float(), true.float()
        w = (true[:, 2:3] + 1.0) * 0.5
        weights = torch.cat([w, w, torch.ones_like(w)], 1)
        pred = pred * weights + (pred * (1.0 - weights)).detach()
        pixel = (pred - true).square().mean((1, 2, 3))
        if module.phi is None:
            return pixel.mean()
        f_true, f_pred = module.phi(torch.cat([true, pred], 0)).float().chunk(2)
        content = (f_pred - f_true.detach()).square().mean((1, 2, 3))
        return (pixel + 0.02 * content).mean()

    optimizer = torch.optim.Adam(unet.parameters(), lr=2e-4, betas=(0.5, 0.999))
    x = torch.from_numpy(rng.integers(0, 256, (batch, size, size, 3), dtype=np.uint8)).to(device)
    y = torch.from_numpy(rng.uniform(-1, 1, (batch, 3, size, size)).astype("float32")).to(device)
    what = f"plain-torch U-Net-{size} ({settings['base_filters']} filters), {batch} images {size}², " + (
        "pixel + λ·content loss (φ ResNet-10 stage 2)" if phi is not None else "pixel loss only"
    )
    return module, optimizer, im2flow_loss, x, y, batch, "images/s", what


def torch_case(case, args):
    import torch

    device, bf16, device_name = _torch_setup(args.precision)
    module, optimizer, loss_fn, x, y, items, unit, what = _torch_model(case, args, device)
    module.train()
    params = sum(p.numel() for p in module.parameters() if p.requires_grad)

    def forward_loss(x, y):
        # The loss inside autocast and inside the compiled region, as Keras traces model + loss (+ φ) as one step.
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            return loss_fn(module(x), y)

    compiled = case.endswith("-compile")
    forward_loss = torch.compile(forward_loss, backend=args.compile_backend) if compiled else forward_loss

    def step():
        optimizer.zero_grad(set_to_none=True)
        forward_loss(x, y).backward()
        optimizer.step()

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    return step, sync, items, unit, what, params, device_name, "bf16" if bf16 else "float32"


# ------------------------------------------------------------------------------------------------------ the child
def worker(case, args):
    """Times `case` in this process and prints one RESULT line (JSON)."""
    start = time.perf_counter()
    if "-keras" in case:
        device, precision = _keras_setup(args.precision)
        step, items, unit, what, params = keras_unet(args) if case == "unet-keras" else keras_mosi(case, args)
        sync = _keras_sync
    else:
        step, sync, items, unit, what, params, device, precision = torch_case(case, args)
    built = time.perf_counter() - start
    first, median = time_steps(step, sync, args.warmup, args.steps)
    print(
        "RESULT "
        + json.dumps(
            {
                "case": case,
                "median": median,
                "first": first,
                "build": built,
                "items": items,
                "unit": unit,
                "throughput": items / median,
                "what": what,
                "params": int(params),
                "device": device,
                "precision": precision,
                "tensorflow_imported": "tensorflow" in sys.modules,
            }
        ),
        flush=True,
    )


# ----------------------------------------------------------------------------------------------------- the parent
def plan(args):
    """The cases of this run, in order of importance (a spent time budget skips the last ones)."""
    forms = list(dict.fromkeys(args.conv))
    cases = [f"mosi-keras-{forms[0]}", f"r2p1d-keras-{forms[0]}", "r2p1d-torch-eager", "r2p1d-torch-compile"]
    cases += [f"mosi-keras-{form}" for form in forms[1:]]
    cases += ["unet-keras", "unet-torch-eager", "unet-torch-compile"]
    if args.no_compile:
        cases = [c for c in cases if not c.endswith("-compile")]
    if args.cases:
        cases = [c for c in cases if any(c.startswith(prefix) for prefix in args.cases)]
    return cases


def _child_args(args):
    out = [
        "--steps",
        str(args.steps),
        "--warmup",
        str(args.warmup),
        "--precision",
        args.precision,
        "--torch-model",
        args.torch_model,
        "--im2flow-loss",
        args.im2flow_loss,
        "--compile-backend",
        args.compile_backend,
    ]
    return out + (["--tiny"] if args.tiny else [])


def run_case(case, args, timeout):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if "-keras" in case:
        env["KERAS_BACKEND"] = "jax"
    if args.tiny and "-keras" in case:
        # A smoke test's figures mean nothing, so XLA's CPU code generation may skip LLVM's optimisations: it costs
        # ~1 s per weight shape's initializer and per step function on a loaded CPU otherwise (21 s → 2 s to build
        # R(2+1)D-10). Never at full size, where compile times are figures.
        flags = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {flags}".strip()
    command = [sys.executable, os.path.abspath(__file__), "--worker", case] + _child_args(args)
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        tail = (e.stderr or b"")[-800:]
        tail = tail.decode(errors="replace") if isinstance(tail, bytes) else tail
        return None, f"killed after {timeout:.0f} s (time limit){': ' + tail.strip() if tail.strip() else ''}"
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        return None, f"failed (exit {done.returncode}):\n{done.stderr[-2500:]}"
    return json.loads(lines[-1][len("RESULT ") :]), None


def _ratio(results, a, b, label, anchor=None):
    if a in results and b in results:
        value = results[a]["throughput"] / results[b]["throughput"]
        print(f"  {label:<58} {value:6.2f}" + (f"   (anchor {anchor:.2f})" if anchor else ""))


def report_ratios(results, args):
    forms = list(dict.fromkeys(args.conv))
    form = forms[0]
    eager, compiled = ANCHORS["torch-eager"], ANCHORS["torch-compile"]
    print("ratios, throughput, same run (> 1: the first is faster):")
    _ratio(
        results,
        f"r2p1d-keras-{form}",
        "r2p1d-torch-eager",
        f"R(2+1)D Keras-JAX ({form}) ÷ torch eager",
        ANCHORS["keras-jax"] / eager,
    )
    _ratio(
        results,
        f"r2p1d-keras-{form}",
        "r2p1d-torch-compile",
        f"R(2+1)D Keras-JAX ({form}) ÷ torch.compile",
        ANCHORS["keras-jax"] / compiled,
    )
    _ratio(results, "r2p1d-torch-compile", "r2p1d-torch-eager", "R(2+1)D torch.compile ÷ torch eager", compiled / eager)
    _ratio(results, f"mosi-keras-{form}", "r2p1d-torch-eager", f"MoSI step Keras-JAX ({form}, generator) ÷ torch eager")
    _ratio(
        results, f"mosi-keras-{form}", "r2p1d-torch-compile", f"MoSI step Keras-JAX ({form}, generator) ÷ torch.compile"
    )
    _ratio(results, f"mosi-keras-{form}", f"r2p1d-keras-{form}", "MoSI step with generator ÷ backbone alone (Keras)")
    for other in forms[1:]:
        _ratio(results, f"mosi-keras-{form}", f"mosi-keras-{other}", f"MoSI step Keras-JAX {form} ÷ {other}")
    _ratio(results, "unet-keras", "unet-torch-eager", "U-Net Keras-JAX ÷ torch eager")
    _ratio(results, "unet-keras", "unet-torch-compile", "U-Net Keras-JAX ÷ torch.compile")
    _ratio(results, "unet-torch-compile", "unet-torch-eager", "U-Net torch.compile ÷ torch eager")
    print(ANCHOR_TEXT + ("; not comparable with --tiny or on a CPU" if args.tiny else ""))


def _one_case(case, args, start, results, failed, devices):
    """Runs `case` in a child within what is left of the time limit; prints its line, records its result."""
    left = args.time_limit - (time.perf_counter() - start)
    if left < 5:
        print(f"{case:<24} skipped: the time limit ({args.time_limit:.0f} s) is spent", flush=True)
        failed.append(case)
        return
    result, error = run_case(case, args, left)
    if result is None:
        print(f"{case:<24} {error}", flush=True)
        failed.append(case)
        return
    results[case] = result
    family = "torch" if "-torch" in case else "jax"
    if family not in devices:
        devices[family] = f"{result['device']}, {result['precision']}"
        print(f"  device: {devices[family]}", flush=True)
    print(
        f"{case:<24} {result['throughput']:9.1f} {result['unit']:<9} step {result['median'] * 1e3:8.1f} ms  "
        f"first step (compile) {result['first']:6.1f} s  build {result['build']:5.1f} s  "
        f"{result['params'] / 1e6:6.2f}M params  {result['what']}",
        flush=True,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="tiny sizes (R(2+1)D-10 narrow, 4×16² clips, U-Net-32, batch 2): a smoke test",
    )
    parser.add_argument(
        "--conv",
        nargs="+",
        default=["conv3d", "factorized"],
        choices=CONV_FORMS,
        help="R(2+1)D Conv3D forms of the Keras MoSI cases (the first one is also timed without the "
        "generator and compared with PyTorch)",
    )
    parser.add_argument("--steps", type=int, default=None, help="timed steps per case (default 15; tiny 3)")
    parser.add_argument(
        "--warmup", type=int, default=None, help="warm-up steps, the first included (default 3; tiny 1)"
    )
    parser.add_argument(
        "--precision", default="auto", choices=["auto", "bf16", "float32"], help="auto: bf16 on a GPU, float32 on a CPU"
    )
    parser.add_argument(
        "--torch-model",
        default="auto",
        choices=["auto", "torchvision", "plain"],
        help="R(2+1)D-18 in PyTorch: torchvision's r2plus1d_18 (auto: where importable) or the "
        "plain-torch one in this file",
    )
    parser.add_argument(
        "--im2flow-loss",
        default="paper",
        choices=["paper", "pixel"],
        help="U-Net loss: the paper preset's (pixel + content through φ) or the pixel term only",
    )
    parser.add_argument("--no-compile", action="store_true", help="leave out the torch.compile cases")
    parser.add_argument(
        "--compile-backend",
        default=None,
        help="torch.compile's backend (default inductor; tiny: aot_eager, since inductor's C++ CPU "
        "code generation alone takes a minute there and a GPU uses Triton instead)",
    )
    parser.add_argument("--cases", nargs="+", help="only the cases starting with these names (see the docstring)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=480.0,
        help="seconds for the whole run: no case starts after, a running one is killed",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # the case a child process times
    args = parser.parse_args(argv)
    args.steps = args.steps if args.steps is not None else (3 if args.tiny else 15)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.tiny else 3)
    args.compile_backend = args.compile_backend or ("aot_eager" if args.tiny else "inductor")
    if args.worker:
        worker(args.worker, args)
        return 0

    start = time.perf_counter()
    cases = plan(args)
    print(
        f"bench_gpu: {len(cases)} cases, one process each; median of {args.steps} steps after {args.warmup} "
        f"warm-up{' (tiny sizes)' if args.tiny else ''}; time limit {args.time_limit:.0f} s",
        flush=True,
    )
    results, failed, devices = {}, [], {}
    for case in cases:
        _one_case(case, args, start, results, failed, devices)
    if any(r["precision"] == "float32" for r in results.values()):
        print("note: float32 where no bf16-capable GPU is seen (a CPU run times float32, not the GPU's bf16)")
    report_ratios(results, args)
    tf = sorted(c for c, r in results.items() if r["tensorflow_imported"])
    print(
        f"TensorFlow imported: {'in ' + ', '.join(tf) if tf else 'no (in no case)'}; "
        f"total {time.perf_counter() - start:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
