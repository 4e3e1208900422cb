"""Grad-CAM (Selvaraju et al., 2017) for video models: where in each frame a 3-D network sees the evidence for a class.

MoSI's Fig. 4 shows it for the last conv stage of a model trained only on pseudo motion: the heat lies where things
move. `grad_cam` computes the maps on any Keras backend, `grad_cam_strip` draws them as PNG strips,
`motion_mass_ratio` scores them against a known moving region (`grad_cam_clips` cuts the clips and their moving
pixels, `grad_cam_motion_mass` reports the ratio per layer) and `GradCamImages` logs them during training.
"""

import cv2
import keras
import numpy as np

from keras_motion.callbacks import ImageLogger
from keras_motion.flow.grid import to_display_uint8
from keras_motion.transforms import crop_clip
from keras_motion.video.sampling import clip_indices, uniform_clip_starts


def _value_and_grad(fn, x):
    """(fn(x), d sum(fn(x)) / dx) as NumPy, on the active Keras backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = fn(x)
            total = tf.reduce_sum(value)
        return value.numpy(), tape.gradient(total, x).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        value, vjp = jax.vjp(fn, jnp.asarray(x))
        return np.asarray(value), np.asarray(vjp(jnp.ones_like(value))[0])
    if backend == "torch":
        x = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)  # on Keras' device
        value = fn(x)
        value.sum().backward()
        return value.detach().cpu().numpy(), x.grad.detach().cpu().numpy()
    # Keras' numpy / openvino backends compute no gradients at all.
    raise RuntimeError(
        f"grad_cam needs gradients, which the Keras {backend!r} backend does not compute; set "
        "KERAS_BACKEND to tensorflow, jax or torch"
    )


def _layer_split(model, layer):
    """(clips → feature map of `layer`, feature map → class scores), sharing the model's weights."""
    features = model.get_layer(layer).output
    return keras.Model(model.input, features), keras.Model(features, model.output)


def grad_cam(model, clips, class_index=None, layer="conv5_out", batch_size=8):
    """Grad-CAM heat maps of `model` for `clips` (B, N, H, W, C) → (maps (B, N, H, W) in [0, 1], classes (B,)).

    The maps of `layer` (default the last conv stage of `R2Plus1D` / `R2D3D`) are weighted by the spatio-temporal
    mean gradient of the class score (the model's output before any softmax; `class_index` per clip, default the
    predicted class), summed over channels, rectified, upsampled to every frame (nearest in time, bilinear in space)
    and scaled so that each clip's maximum is 1 (an all-zero map stays 0).

    >>> maps, classes = grad_cam(model, clips)  # doctest: +SKIP
    """
    clips = np.asarray(clips)
    if clips.ndim != 5:
        raise ValueError(f"grad_cam expects clips (B, N, H, W, C), got shape {clips.shape}")
    feature_model, head = _layer_split(model, layer)
    b, n, h, w = clips.shape[:4]
    out_maps, out_classes = [], []
    for start in range(0, b, batch_size):
        batch = clips[start : start + batch_size].astype("float32")
        features = keras.ops.convert_to_numpy(feature_model(batch, training=False))
        scores = keras.ops.convert_to_numpy(head(features, training=False))
        if class_index is None:
            classes = scores.argmax(-1)
        else:
            classes = np.broadcast_to(np.asarray(class_index), (b,))[start : start + len(batch)]
        onehot = keras.ops.convert_to_tensor(np.eye(scores.shape[-1], dtype="float32")[classes])
        _, grads = _value_and_grad(lambda a, onehot=onehot: head(a, training=False) * onehot, features)
        weights = grads.mean(axis=(1, 2, 3))  # (b, K)
        cams = np.maximum(np.einsum("bthwk,bk->bthw", features, weights), 0.0)
        for cam in cams:
            frames = cam[np.minimum((np.arange(n) * cam.shape[0]) // n, cam.shape[0] - 1)]
            up = np.stack([cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR) for f in frames])
            peak = up.max()
            out_maps.append(up / peak if peak > 0 else up)
        out_classes.append(classes)
    return np.stack(out_maps).astype(np.float32), np.concatenate(out_classes)


def motion_mass_ratio(maps, regions):
    """Share of heat-map mass inside the moving region divided by the region's share of the area, per clip (B,).

    1 = no preference, 2 = twice as much heat per pixel inside the region as on average. `regions` bool
    (B, N, H, W) (or (B, H, W), the same in every frame). Clips with an empty map or region give NaN.
    """
    maps = np.asarray(maps, np.float64)
    regions = np.asarray(regions, bool)
    if regions.ndim == maps.ndim - 1:
        regions = np.broadcast_to(regions[:, None], maps.shape)
    axes = tuple(range(1, maps.ndim))
    mass = maps.sum(axes)
    inside = (maps * regions).sum(axes)
    share = regions.mean(axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((mass > 0) & (share > 0), inside / mass / share, np.nan)


def grad_cam_clips(videos, clip_len, crop_size=None, flows=None, count=24, min_speed=0.5):
    """Centre clips of the first `count` videos, and with their exact flows the moving pixels: the inputs of
    `grad_cam` and `motion_mass_ratio`.

    Args:
        videos: decoded videos (T, H, W, 3) (any sequence).
        clip_len: frames per clip (the middle window of each video).
        crop_size: side of the central square crop (`None`: the first video's short side, the whole frame).
        flows: the videos' exact flows (T, H, W, 2) in pixels, or `None` (no regions).
        count: at most this many clips.
        min_speed: a pixel moves when its flow is longer than this (pixels per frame).

    Returns:
        `(clips float32 (B, clip_len, L, L, 3), regions bool (B, clip_len, L, L) or None)`.

    Example:

    >>> videos, flows = [np.zeros((8, 20, 24, 3), "uint8")] * 3, [np.ones((8, 20, 24, 2), "float32")] * 3
    >>> clips, regions = grad_cam_clips(videos, 4, flows=flows)
    >>> clips.shape, regions.shape, bool(regions.all())
    ((3, 4, 20, 20, 3), (3, 4, 20, 20), True)

    Reference: MoSI (Huang et al., CVPR 2021), §4.4 (Grad-CAM of the pretrained model).
    """
    crop = min(np.asarray(videos[0]).shape[1:3]) if crop_size is None else int(crop_size)
    clips, regions = [], []
    for i in range(min(count, len(videos))):
        video = np.asarray(videos[i])
        index = clip_indices(uniform_clip_starts(len(video), clip_len, 1)[0], clip_len, len(video))
        clips.append(crop_clip(video[index], crop, None))
        if flows is not None:
            moving = np.linalg.norm(flows[i][index], axis=-1) > min_speed
            regions.append(crop_clip(moving[..., None], crop, None)[..., 0])
    return np.stack(clips).astype("float32"), (np.stack(regions) if regions else None)


def grad_cam_motion_mass(model, clips, regions, layers=None):
    """Where a video model's Grad-CAM heat lies relative to the moving pixels: for each layer, the mean over clips of
    `motion_mass_ratio` (heat mass inside the moving region ÷ its area share; 1 = no preference).

    Args:
        model: a video classifier (the class scores before any softmax), e.g. `R2Plus1D`.
        clips: (B, N, H, W, C); regions: bool (B, N, H, W), the moving pixels (`grad_cam_clips`).
        layers: `{key: layer name}` (default: `{"conv5": "conv5_out", "conv4": "conv4_out"}`, the last two stages
            of `R2Plus1D` / `R2D3D`).

    Returns:
        `{key: ratio, ..., "map_size_<first key>": [T, H, W] of its maps, "clip_size": H, "moving_area_share"}`.

    Example:

    >>> from keras_motion.models import R2Plus1D
    >>> net = R2Plus1D(depth=10, num_classes=3, filters=(4, 4, 4, 4, 4), stem="small")
    >>> regions = np.zeros((2, 4, 16, 16), bool); regions[:, :, 4:12, 4:12] = True
    >>> report = grad_cam_motion_mass(net, np.zeros((2, 4, 16, 16, 3), "float32"), regions)
    >>> report["map_size_conv5"], report["clip_size"], report["moving_area_share"]
    ([1, 2, 2], 16, 0.25)

    Reference: MoSI (Huang et al., CVPR 2021), §4.4 and Fig. 4.
    """
    layers = layers or {"conv5": "conv5_out", "conv4": "conv4_out"}
    out = {}
    for key, layer in layers.items():
        heat, _ = grad_cam(model, clips, layer=layer)
        out[key] = float(np.nanmean(motion_mass_ratio(heat, regions)))
    first_key, first_layer = next(iter(layers.items()))
    features = keras.Model(model.input, model.get_layer(first_layer).output)(clips[:1])
    out[f"map_size_{first_key}"] = [int(d) for d in features.shape[1:4]]
    out["clip_size"], out["moving_area_share"] = int(clips.shape[2]), float(np.asarray(regions).mean())
    return out


def grad_cam_strip(clips, maps, frames=8, alpha=0.5, separator=2):
    """uint8 RGB picture: for each clip, a row of `frames` evenly spaced frames above the same frames overlaid with
    their heat map (jet colour map: red = high)."""
    clips = to_display_uint8(np.asarray(clips))
    maps = np.asarray(maps, np.float32)
    b, n, h, w = maps.shape
    picks = np.unique(np.linspace(0, n - 1, min(frames, n)).round().astype(int))
    rows = []
    for i in range(b):
        top, bottom = [], []
        for t in picks:
            frame = clips[i, t]
            heat = cv2.applyColorMap(np.uint8(255 * np.clip(maps[i, t], 0, 1)), cv2.COLORMAP_JET)[..., ::-1]
            top.append(frame)
            bottom.append(np.uint8((1 - alpha) * frame + alpha * heat))
        rows += [_hstack(top, separator), _hstack(bottom, separator)]
    return _vstack(rows, separator)


def _hstack(cells, separator):
    gap = np.full((cells[0].shape[0], separator, 3), 255, np.uint8)
    return np.concatenate([x for c in cells for x in (c, gap)][:-1], axis=1)


def _vstack(rows, separator):
    gap = np.full((separator, rows[0].shape[1], 3), 255, np.uint8)
    return np.concatenate([x for r in rows for x in (r, gap)][:-1], axis=0)


class GradCamImages(ImageLogger):
    """Every `every` epochs, logs Grad-CAM strips (`grad_cam_strip`) of a few fixed clips of `model` (default: the
    model being trained; pass the backbone when training it inside `pseudo_motion_classifier`): a TensorBoard image
    `name` in `log_dir/images` where tensorboard is installed (any backend), else PNGs
    `log_dir/images/gradcam_0007.png`.

    >>> model.fit(ds, epochs=10, callbacks=[GradCamImages(val_clips[:4], "logs/run1")])  # doctest: +SKIP
    """

    def __init__(
        self,
        clips,
        log_dir,
        every=1,
        layer="conv5_out",
        class_index=None,
        frames=8,
        name="grad_cam/frames_heat",
        use_tensorboard=None,
        model=None,
    ):
        super().__init__(log_dir, every, name, use_tensorboard)
        self.video_model = model  # the clip classifier, when the trained model wraps it (e.g. with PseudoMotion)
        self.clips = np.asarray(clips)
        self.layer, self.class_index, self.frames = layer, class_index, frames

    file_prefix = "gradcam"

    def make_strip(self):
        maps, _ = grad_cam(self.video_model or self.model, self.clips, self.class_index, self.layer)
        return grad_cam_strip(self.clips, maps, self.frames)

    make_image = make_strip
