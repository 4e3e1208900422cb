"""Synthetic action videos with exact optical flow: an articulated 2-D figure acting over real photographs.

A benchmark whose motion is known exactly. A figure of ten rigid, textured parts in a kinematic tree (torso, head,
upper and lower arms, upper and lower legs) performs one of `ACTIONS` over a crop of one of scikit-image's bundled
photos. Every class draws its appearance (clothing colours, stripe textures, body proportions, scale, position) from the
same distribution; classes differ only in pose and motion. Some poses are shared between classes (standing, crouching:
squat ≈ jump ≈ a walker's mid-stance), so a single frame is sometimes ambiguous and motion helps.

Frames are rendered by inverse mapping: for each pixel centre and each part, the pixel is mapped into the part's local
frame by the part's rigid transform at time t, tested against the part's shape and coloured from a texture defined in
part-local coordinates. The forward flow of that pixel is then exactly `(transform at t+1)(local point) - pixel`, and
the background's flow is exactly the change of the camera offset. Edges are hard (no anti-aliasing), so the flow stays
exact.
"""

import dataclasses
import functools

import cv2
import numpy as np

from keras_motion.datasets.synthetic.figure import (
    _DEPTH_FRONTAL,
    _DEPTH_PROFILE,
    ACTIONS,
    PARTS,
    _extent,
    _shapes,
    _skeleton,
    _style,
    _textures,
)
from keras_motion.errors import MissingDependencyError

# scikit-image photos that ship inside its wheel (no download). Grayscale ones are expanded to RGB.
BACKGROUND_IMAGES = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "stereo_motorcycle",
    "immunohistochemistry",
    "camera",
    "grass",
    "gravel",
    "brick",
)

BACKGROUND_BLUR = (0.8, 2.0)  # Gaussian sigma range in pixels at 64x64


@dataclasses.dataclass
class SyntheticActions:
    """The arrays of a rendered synthetic data set (see `synthetic_actions`).

    Attributes:
        frames: uint8 (N, T, H, W, 3) RGB.
        labels: int64 (N,), indices into `class_names`.
        flows: float32 (N, T, H, W, 2), exact forward flow of frame t to t+1 (u right, v down), also for the last frame.
        masks: bool (N, T, H, W), figure pixels.
        parts: int8 (N, T, H, W), index into `PARTS` of the visible part, -1 on the background.
        class_names: list of str.
        indices: int64 (N,), the global index of each video (its rendering depends only on (seed, index)).
    """

    frames: np.ndarray
    labels: np.ndarray
    flows: np.ndarray
    masks: np.ndarray
    parts: np.ndarray
    class_names: list
    indices: np.ndarray

    def __len__(self):
        return len(self.labels)


# ----------------------------------------------------------------------------------------------------------- photos
def _as_rgb(image):
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.dtype != np.uint8:
        image = np.clip(np.asarray(image, np.float64) * (255.0 if image.max() <= 1.0 else 1.0), 0, 255)
        image = image.astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] not in (3, 4):
        raise ValueError(f"a background must be an RGB (H, W, 3) or grayscale (H, W) image, got {image.shape}")
    return np.ascontiguousarray(image[..., :3])


@functools.lru_cache(maxsize=1)
def default_backgrounds():
    """The real photos bundled with scikit-image (no download), as a tuple of uint8 RGB arrays.

    >>> len(default_backgrounds()) >= 5
    True
    """
    try:
        from skimage import data
    except ImportError as e:
        raise MissingDependencyError(
            "synthetic_actions draws its backgrounds from scikit-image's bundled photos; install it "
            "(pip install scikit-image, or the test extra: pip install 'keras_motion[test]') or pass "
            "backgrounds=[RGB arrays]"
        ) from e
    photos = []
    for name in BACKGROUND_IMAGES:
        image = getattr(data, name)()
        if name == "stereo_motorcycle":
            image = image[0]
        photos.append(_as_rgb(image))
    return tuple(photos)


# --------------------------------------------------------------------------------------------------- randomness
def _video_rng(seed, index):
    # Each video depends only on (seed, index): chunked, resumed and one-shot generation give identical videos.
    return np.random.default_rng([int(seed), int(index), 0x5EED])


def label_of(index, num_classes, seed=0):
    """Label of video `index`: a seeded permutation of the classes in every block of `num_classes` videos.

    Balanced (every class present once `num_videos >= num_classes`) and computable without rendering.

    >>> sorted(label_of(i, 6) for i in range(6))
    [0, 1, 2, 3, 4, 5]
    """
    block, pos = divmod(int(index), int(num_classes))
    perm = np.random.default_rng([int(seed), block, 0x1ABE1]).permutation(int(num_classes))
    return int(perm[pos])


def _render_video(seed, index, action, num_frames, size, jitter, backgrounds):
    """Renders one video → frames (T,H,W,3) uint8, flows (T,H,W,2) float32, parts (T,H,W) int8."""
    rng = _video_rng(seed, index)
    height, width = size
    style = _style(rng, action, size)
    steps = num_frames + 1  # one extra step so that the last frame has a forward flow too
    origins, angles, profile = _skeleton(action, style, steps)
    shapes = _shapes(style["body"], profile)
    walk_px = np.zeros(steps)
    if action in ("walk_left", "walk_right"):
        # Keep the whole walk in view: cap the speed so that the walk covers at most ~55 % of the width.
        speed = min(style["walk_speed"], 0.55 * width / max(num_frames, 1))
        walk_px = style["facing"] * speed * np.arange(steps)
    limit = np.array([width, height], np.float64) - 2.0
    fig_h = style["fig_frac"] * height
    for _ in range(4):  # shrink a figure whose trajectory (a high jump, a long walk) would leave the frame
        centres = origins * fig_h
        centres[..., 0] += walk_px[:, None]
        lo, hi = _extent(centres, angles, shapes * fig_h)
        scale = float(np.min(limit / (hi - lo)))
        if scale >= 1.0:
            break
        fig_h *= 0.99 * scale
    room = limit - (hi - lo)
    offset = 1.0 + np.where(room > 0, rng.uniform(0, 1, 2) * np.maximum(room, 0), room / 2)
    centres = centres + (offset - lo)  # (S, P, 2) pixels, camera not yet applied
    shapes_px = shapes * fig_h
    tex = _textures(rng, shapes_px, profile, style["facing"], fig_h)

    # Camera: a small random translation per frame moves background and figure alike.
    # Its own random stream, so that turning jitter on changes nothing else about the video.
    camera_rng = np.random.default_rng([int(seed), int(index), 0xCA3E7A])
    camera = camera_rng.uniform(-jitter, jitter, (steps, 2)) if jitter > 0 else np.zeros((steps, 2))
    centres = centres + camera[:, None, :]

    # Background: a random crop at a random scale of a random photo, with a margin for the camera's translation.
    photo = backgrounds[int(rng.integers(len(backgrounds)))]
    margin = int(np.ceil(jitter)) + 2
    bg_h, bg_w = height + 2 * margin, width + 2 * margin
    fit = min(photo.shape[0] / bg_h, photo.shape[1] / bg_w)
    crop = rng.uniform(0.25, 0.9) * fit
    ch, cw = max(int(round(bg_h * crop)), 2), max(int(round(bg_w * crop)), 2)
    y0 = int(rng.integers(0, photo.shape[0] - ch + 1))
    x0 = int(rng.integers(0, photo.shape[1] - cw + 1))
    background = cv2.resize(photo[y0 : y0 + ch, x0 : x0 + cw], (bg_w, bg_h), interpolation=cv2.INTER_AREA)
    # Depth of field: the figure is in focus, the scene behind it softer (blur commutes with the camera's
    # translation, so the background flow stays exact).
    blur = rng.uniform(*BACKGROUND_BLUR)
    if blur > 0:
        background = cv2.GaussianBlur(background, (0, 0), blur * min(height, width) / 64.0)
    background = background.astype(np.float32)

    depth = np.array(_DEPTH_PROFILE if profile else _DEPTH_FRONTAL)
    rank = np.empty(len(PARTS), np.int64)
    rank[depth] = np.arange(1, len(PARTS) + 1)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    frames = np.empty((num_frames, height, width, 3), np.uint8)
    flows = np.empty((num_frames, height, width, 2), np.float32)
    parts = np.empty((num_frames, height, width), np.int8)
    for t in range(num_frames):
        o, a = centres[t], angles[t]
        cos, sin = np.cos(a)[:, None, None], np.sin(a)[:, None, None]
        dx = xs[None] - o[:, 0, None, None]
        dy = ys[None] - o[:, 1, None, None]
        # Inverse of world = o + R(a) q with R(a) = [[cos, sin], [-sin, cos]].
        qx = cos * dx - sin * dy
        qy = sin * dx + cos * dy
        y0s, y1s, rs = (shapes_px[:, j, None, None] for j in range(3))
        along = np.clip(qy, y0s, y1s)
        member = qx * qx + (qy - along) ** 2 <= rs * rs
        top = np.argmax(member * rank[:, None, None], axis=0)  # the front-most part covering the pixel
        covered = member.any(axis=0)
        qx_t = np.take_along_axis(qx, top[None], 0)[0]
        qy_t = np.take_along_axis(qy, top[None], 0)[0]
        q = np.stack([qx_t, qy_t], axis=-1)
        # Colour from the part-local texture.
        colour = tex["base"][top].copy()
        for j in range(2):
            arg = (q * tex["waves"][top, j]).sum(-1) + tex["phases"][top, j]
            colour += tex["amps"][top, j] * np.sin(arg)[..., None]
        proj = (q * tex["normal"][top]).sum(-1) - tex["offset"][top]
        blend = 1.0 / (1.0 + np.exp(-np.clip(proj / 0.6, -50, 50)))
        colour = colour * (1 - blend[..., None]) + tex["accent"][top] * blend[..., None]
        # Background at this camera offset: pixel p shows the scene point p - camera[t].
        shift = np.float32([[1, 0, margin - camera[t, 0]], [0, 1, margin - camera[t, 1]]])
        bg = cv2.warpAffine(
            background,
            shift,
            (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT,
        )
        image = np.where(covered[..., None], colour, bg)
        frames[t] = np.clip(np.rint(image), 0, 255).astype(np.uint8)
        # Exact flow: the same local point under the part's transform at t + 1, minus the pixel.
        o1, a1 = centres[t + 1][top], angles[t + 1][top]
        c1, s1 = np.cos(a1), np.sin(a1)
        fx = o1[..., 0] + c1 * qx_t + s1 * qy_t - xs
        fy = o1[..., 1] - s1 * qx_t + c1 * qy_t - ys
        cam = camera[t + 1] - camera[t]
        flows[t, ..., 0] = np.where(covered, fx, cam[0])
        flows[t, ..., 1] = np.where(covered, fy, cam[1])
        parts[t] = np.where(covered, top, -1)
    return frames, flows, parts


def _check_size(size):
    if np.ndim(size) == 0:
        size = (int(size), int(size))
    height, width = (int(s) for s in size)
    if height < 16 or width < 16:
        raise ValueError(f"size must be at least 16x16 pixels, got {height}x{width}")
    return height, width


def _check_actions(actions):
    actions = tuple(actions)
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown or not actions:
        raise ValueError(f"unknown action(s) {unknown}; choose from {ACTIONS}")
    return actions


def _check_backgrounds(backgrounds):
    if backgrounds is None:
        return default_backgrounds()
    backgrounds = tuple(_as_rgb(b) for b in backgrounds)
    if not backgrounds:
        raise ValueError("backgrounds is empty; pass None for scikit-image's photos or a list of RGB images")
    return backgrounds


def render_video(index, num_frames=16, size=64, seed=0, actions=ACTIONS, jitter=0.0, backgrounds=None):
    """Renders video `index` of the synthetic set → (frames, flows, parts, label); see `synthetic_actions`.

    >>> frames, flows, parts, label = render_video(3, num_frames=4, size=32)
    >>> frames.shape, flows.shape, parts.shape
    ((4, 32, 32, 3), (4, 32, 32, 2), (4, 32, 32))
    """
    size, actions = _check_size(size), _check_actions(actions)
    label = label_of(index, len(actions), seed)
    frames, flows, parts = _render_video(
        seed, index, actions[label], int(num_frames), size, float(jitter), _check_backgrounds(backgrounds)
    )
    return frames, flows, parts, label


def synthetic_actions(
    num_videos, num_frames=16, size=64, seed=0, actions=ACTIONS, jitter=0.0, backgrounds=None, start=0
):
    """Renders `num_videos` synthetic action videos with exact optical flow.

    Args:
        num_videos: number of videos; labels are balanced (each block of len(actions) videos holds every class once).
        num_frames: frames per video (T).
        size: int or (H, W).
        seed: the same seed gives identical arrays; video i depends only on (seed, start + i).
        actions: class names, a subset of `ACTIONS` (their order sets the labels).
        jitter: camera shake, the maximum per-frame global translation in pixels (uniform); it appears in the flow.
        backgrounds: RGB images to cut backgrounds from; None = scikit-image's bundled photos.
        start: global index of the first video (to render a large set in chunks).

    Returns:
        `SyntheticActions` with frames uint8 (N,T,H,W,3), labels int64 (N,), flows float32 (N,T,H,W,2) (the exact
        forward flow t → t+1, u right, v down), masks bool (N,T,H,W) of figure pixels, parts int8, class_names.

    >>> data = synthetic_actions(6, num_frames=4, size=32)
    >>> data.frames.shape, data.flows.shape, sorted(data.labels.tolist())
    ((6, 4, 32, 32, 3), (6, 4, 32, 32, 2), [0, 1, 2, 3, 4, 5])
    """
    size, actions = _check_size(size), _check_actions(actions)
    backgrounds = _check_backgrounds(backgrounds)
    num_videos, num_frames = int(num_videos), int(num_frames)
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    height, width = size
    frames = np.empty((num_videos, num_frames, height, width, 3), np.uint8)
    flows = np.empty((num_videos, num_frames, height, width, 2), np.float32)
    parts = np.empty((num_videos, num_frames, height, width), np.int8)
    indices = np.arange(start, start + num_videos, dtype=np.int64)
    labels = np.array([label_of(i, len(actions), seed) for i in indices], np.int64)
    for n, (i, label) in enumerate(zip(indices, labels)):
        frames[n], flows[n], parts[n] = _render_video(
            seed, i, actions[label], num_frames, size, float(jitter), backgrounds
        )
    return SyntheticActions(
        frames=frames,
        labels=labels,
        flows=flows,
        masks=parts >= 0,
        parts=parts,
        class_names=list(actions),
        indices=indices,
    )


# ------------------------------------------------------------------------------------------------ on disk
