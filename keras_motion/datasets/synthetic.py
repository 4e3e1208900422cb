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

import csv
import dataclasses
import functools
import io
import json
import os

import cv2
import numpy as np

from keras_motion.datasets.base import VideoDataset
from keras_motion.errors import DatasetLayoutError, MissingDependencyError
from keras_motion.utils import atomic_save_npz, atomic_write_text, progress

ACTIONS = ("walk_left", "walk_right", "jump", "squat", "wave", "clap")

# scikit-image photos that ship inside its wheel (no download). Grayscale ones are expanded to RGB.
BACKGROUND_IMAGES = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle", "immunohistochemistry",
                     "camera", "grass", "gravel", "brick")

BACKGROUND_BLUR = (0.8, 2.0)  # Gaussian sigma range in pixels at 64x64

# Parts, in index order. Side "a" is the image-left (frontal view) or far (profile view) limb, "b" the other one.
PARTS = ("torso", "head", "upper_arm_a", "lower_arm_a", "upper_arm_b", "lower_arm_b",
         "upper_leg_a", "lower_leg_a", "upper_leg_b", "lower_leg_b")
_TORSO, _HEAD, _UA_A, _LA_A, _UA_B, _LA_B, _UL_A, _LL_A, _UL_B, _LL_B = range(10)
# Painter's order (first drawn = furthest back). Profile: far limbs behind the torso, near limbs in front.
_DEPTH_PROFILE = (_UA_A, _LA_A, _UL_A, _LL_A, _TORSO, _HEAD, _UL_B, _LL_B, _UA_B, _LA_B)
_DEPTH_FRONTAL = (_UL_A, _LL_A, _UL_B, _LL_B, _TORSO, _HEAD, _UA_A, _LA_A, _UA_B, _LA_B)

# Body lengths in units of the figure's height (feet to top of head ≈ 1).
_BODY = dict(torso=0.30, torso_r=0.1, torso_r_profile=0.075, head_r=0.08, neck=0.012, shoulder_drop=0.04,
             shoulder_w=0.08, shoulder_w_profile=0.012, hip_w=0.05, hip_w_profile=0.01,
             upper_arm=0.15, upper_arm_r=0.034, lower_arm=0.15, lower_arm_r=0.03,
             upper_leg=0.235, upper_leg_r=0.052, lower_leg=0.235, lower_leg_r=0.042)

# Range of the cycle length (frames) of each action; each video draws its own (its speed).
_PERIODS = dict(walk_left=(12, 18), walk_right=(12, 18), jump=(18, 26), squat=(14, 22), wave=(26, 34), clap=(8, 12))


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
            "backgrounds=[RGB arrays]") from e
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


# ------------------------------------------------------------------------------------------------------- poses
def _smooth(x):
    """Smoothstep on [0, 1] (clipped): eases in and out, so joints accelerate like real ones."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _segments(u, knots, values):
    """Piecewise smoothstep interpolation of `values` at cyclic phase `u` (knots in [0, 1], first 0, last 1)."""
    out = np.empty_like(u)
    for k in range(len(knots) - 1):
        inside = (u >= knots[k]) & (u < knots[k + 1])
        s = _smooth((u - knots[k]) / (knots[k + 1] - knots[k]))
        out = np.where(inside, values[k] + (values[k + 1] - values[k]) * s, out)
    return out


def _pose(action, u, style):
    """Joint angles (degrees) at cyclic phases `u`.

    Profile actions give angles relative to the facing direction (positive = forward); frontal ones give angles
    away from the body (positive = outward). Returns a dict of arrays plus the view and root motion.
    """
    z = np.zeros_like(u)
    two_pi_u = 2.0 * np.pi * u
    p = dict(view="profile", lean=z + 4.0, head=z, air=z, walk=False,
             thigh=[z + 2.0, z - 2.0], knee=[z + 4.0, z + 4.0], uarm=[z - 4.0, z + 4.0], elbow=[z + 10.0, z + 12.0])
    if action in ("walk_left", "walk_right"):
        s, c = np.sin(two_pi_u), np.cos(two_pi_u)
        amp = style["stride"]
        p.update(walk=True, lean=z + style["walk_lean"],
                 # The swinging leg bends its knee while it moves forward.
                 thigh=[-amp * s, amp * s], knee=[5 + 40 * np.maximum(0, -c), 5 + 40 * np.maximum(0, c)],
                 uarm=[0.8 * amp * s, -0.8 * amp * s], elbow=[15 + 10 * np.maximum(0, s), 15 + 10 * np.maximum(0, -s)])
    elif action == "squat":
        # Stand (held), go down, hold at the bottom, come up: the top of the cycle is a plain standing pose.
        d = _segments(u, (0.0, 0.2, 0.5, 0.62, 0.95, 1.0), (0.0, 0.0, 1.0, 1.0, 0.0, 0.0)) * style["depth"]
        arms = style["squat_arms"] * d
        p.update(thigh=[85 * d + 2, 85 * d - 2], knee=[115 * d + 4, 115 * d + 4], lean=4 + 40 * d,
                 uarm=[75 * arms - 4, 75 * arms + 4], elbow=[10 + 10 * d, 12 + 10 * d])
    elif action == "jump":
        # Crouch, push off, fly, land and absorb, stand up: crouch and standing poses are shared with squat.
        knots = (0.0, 0.3, 0.45, 0.72, 0.85, 1.0)
        d = _segments(u, knots, (0.0, 0.6, 0.0, 0.0, 0.45, 0.0)) * style["depth"]
        arm = _segments(u, (0.0, 0.3, 0.6, 0.85, 1.0), (0.0, -style["jump_back"], 100.0, 10.0, 0.0))
        flight = np.clip((u - 0.45) / 0.27, 0.0, 1.0)
        air = np.where((u > 0.45) & (u < 0.72), np.sin(np.pi * flight), 0.0) * style["jump_height"]
        tuck = 25.0 * np.sin(np.pi * flight) * (air > 0)
        p.update(thigh=[85 * d + 2 + tuck, 85 * d - 2 + tuck], knee=[115 * d + 4 + tuck, 115 * d + 4 + tuck],
                 lean=4 + 35 * d, air=air, uarm=[arm - 4, arm + 4], elbow=[10 + z, 12 + z])
    elif action == "wave":
        # Raise one arm, wave the forearm a few times, lower it: the ends of the cycle are a standing pose.
        r = _segments(u, (0.0, 0.04, 0.27, 0.73, 0.96, 1.0), (0.0, 0.0, 1.0, 1.0, 0.0, 0.0))
        wave = np.sin(2 * np.pi * style["waves"] * u)
        up, fore = 8 + 117 * r, 8 + 117 * r + r * (45 + 25 * wave)
        rest = 8 + 3 * np.sin(two_pi_u)
        arms = [(up, fore), (rest, rest + 6)] if style["side"] == 0 else [(rest, rest + 6), (up, fore)]
        p.update(view="frontal", uarm=[arms[0][0], arms[1][0]], elbow=[arms[0][1], arms[1][1]],
                 thigh=[z + 4, z + 4], knee=[z, z])
    elif action == "clap":
        c = 0.5 + 0.5 * np.cos(two_pi_u)  # 1 = hands together
        up, fore = 20 + 25 * (1 - c), -(115 + 45 * (1 - c))
        p.update(view="frontal", uarm=[up, up], elbow=[fore, fore], thigh=[z + 4, z + 4], knee=[z, z])
    else:
        raise ValueError(f"unknown action {action!r}; choose from {ACTIONS}")
    return p


def _direction(a):
    """Unit vector of angle `a` (radians): 0 points down (+y), positive angles turn towards +x."""
    return np.stack([np.sin(a), np.cos(a)], axis=-1)


def _skeleton(action, style, num_steps):
    """Part transforms in figure units relative to the starting root: origins (S, P, 2), angles (S, P) in radians."""
    t = np.arange(num_steps, dtype=np.float64)
    u = np.mod(style["phase"] + t / style["period"], 1.0)
    pose = _pose(action, u, style)
    b = style["body"]
    rad = np.deg2rad
    profile = pose["view"] == "profile"
    f = style["facing"] if profile else 1.0
    # World angles of the limbs. Profile: relative to facing; frontal: side a goes to -x, side b to +x.
    if profile:
        thigh = [f * rad(pose["thigh"][k]) for k in range(2)]
        shin = [f * rad(pose["thigh"][k] - pose["knee"][k]) for k in range(2)]
        uarm = [f * rad(pose["uarm"][k]) for k in range(2)]
        larm = [f * rad(pose["uarm"][k] + pose["elbow"][k]) for k in range(2)]
    else:
        thigh = [-rad(pose["thigh"][0]), rad(pose["thigh"][1])]
        shin = [-rad(pose["thigh"][0] - pose["knee"][0]), rad(pose["thigh"][1] - pose["knee"][1])]
        uarm = [-rad(pose["uarm"][0]), rad(pose["uarm"][1])]
        larm = [-rad(pose["elbow"][0]), rad(pose["elbow"][1])]
    torso_a = np.pi - f * rad(pose["lean"]) if profile else np.full(num_steps, np.pi)
    leg_vec = [b["upper_leg"] * _direction(thigh[k]) + b["lower_leg"] * _direction(shin[k]) for k in range(2)]
    # Root (pelvis): it rests on the leg reaching lowest (a max, so it moves continuously). Standing actions keep the
    # feet (their mean) planted, so the hips go back in a squat; a walker's pelvis only bobs here, its translation is
    # added in pixels by the renderer.
    pelvis = np.zeros((num_steps, 2))
    if not pose["walk"]:
        pelvis[:, 0] = -0.5 * (leg_vec[0][:, 0] + leg_vec[1][:, 0])
    pelvis[:, 1] = -np.maximum(leg_vec[0][:, 1], leg_vec[1][:, 1]) - pose["air"]
    up = _direction(torso_a)  # torso axis, pointing up
    side = np.stack([-up[:, 1], up[:, 0]], axis=-1)  # perpendicular, towards +x for an upright torso
    neck = pelvis + b["torso"] * up
    shoulder_w = b["shoulder_w_profile"] if profile else b["shoulder_w"]
    hip_w = b["hip_w_profile"] if profile else b["hip_w"]
    shoulder = [neck - b["shoulder_drop"] * up + s * shoulder_w * side for s in (-1.0, 1.0)]
    hip = [pelvis + s * hip_w * side for s in (-1.0, 1.0)]
    elbow = [shoulder[k] + b["upper_arm"] * _direction(uarm[k]) for k in range(2)]
    knee = [hip[k] + b["upper_leg"] * _direction(thigh[k]) for k in range(2)]
    head_a = torso_a + f * rad(pose["head"])
    origins = np.stack([pelvis, neck, shoulder[0], elbow[0], shoulder[1], elbow[1],
                        hip[0], knee[0], hip[1], knee[1]], axis=1)
    angles = np.stack([torso_a, head_a, uarm[0], larm[0], uarm[1], larm[1],
                       thigh[0], shin[0], thigh[1], shin[1]], axis=1)
    return origins, angles, profile


def _shapes(body, profile):
    """Capsule of every part in its local frame (y along the part): rows (y0, y1, radius), figure units."""
    b = body
    tr = b["torso_r_profile"] if profile else b["torso_r"]
    head_c = b["neck"] + b["head_r"]
    return np.array([
        (0.55 * tr, b["torso"] - 0.45 * tr, tr),
        (head_c, head_c, b["head_r"]),
        (0.0, b["upper_arm"], b["upper_arm_r"]), (0.0, b["lower_arm"], b["lower_arm_r"]),
        (0.0, b["upper_arm"], b["upper_arm_r"]), (0.0, b["lower_arm"], b["lower_arm_r"]),
        (0.0, b["upper_leg"], b["upper_leg_r"]), (0.0, b["lower_leg"], b["lower_leg_r"]),
        (0.0, b["upper_leg"], b["upper_leg_r"]), (0.0, b["lower_leg"], b["lower_leg_r"]),
    ])


# ------------------------------------------------------------------------------------------------ appearance
def _colour(rng, low=35, high=220):
    return rng.uniform(low, high, 3)


def _textures(rng, shapes, profile, facing, fig_h):
    """Per-part texture parameters, all in part-local pixel coordinates, so the texture moves rigidly with the part.

    colour(q) = base + A1 sin(k1·q + φ1) + A2 sin(k2·q + φ2), blended (smooth 1-px edge) into an accent colour
    (hair, hand, shoe) where n·q > offset.
    """
    num_parts = len(shapes)
    shirt, trousers, hair, shoes = _colour(rng), _colour(rng), _colour(rng, 10, 120), _colour(rng, 10, 90)
    skin = np.array([225.0, 190.0, 160.0]) * rng.uniform(0.45, 1.05) + rng.uniform(-12, 12, 3)
    base = np.array([shirt, skin, shirt, shirt, shirt, shirt, trousers, trousers, trousers, trousers])
    garment = np.array([0, 1, 0, 0, 0, 0, 2, 2, 2, 2])
    waves = np.zeros((num_parts, 2, 2))
    amps = np.zeros((num_parts, 2, 3))
    phases = rng.uniform(0, 2 * np.pi, (num_parts, 2))
    # One stripe pattern per garment (direction, wavelength, colour amplitude); each part gets its own phases.
    for g in range(3):
        for j in range(2):
            wavelength = rng.uniform(0.14, 0.26) * fig_h  # ≥ ~6 px at 64x64: smooth enough to interpolate and track
            theta = rng.uniform(0, np.pi)
            amp = rng.uniform(18, 45) * (0.5 if j else 1.0) * (0.6 if g == 1 else 1.0)
            colour_dir = rng.uniform(0.5, 1.0, 3) * rng.choice([-1.0, 1.0], 3)
            for k in np.flatnonzero(garment == g):
                waves[k, j] = 2 * np.pi / wavelength * np.array([np.cos(theta), np.sin(theta)])
                amps[k, j] = amp * colour_dir
    accent = base.copy()
    normal = np.zeros((num_parts, 2))
    normal[:, 1] = 1.0
    offset = np.full(num_parts, np.inf)
    head_c, head_r = shapes[_HEAD, 0], shapes[_HEAD, 2]
    accent[_HEAD] = hair
    if profile:  # hair on the back of the head: local +x is the figure's back (the head points up, angle ≈ π)
        normal[_HEAD] = np.array([0.55 * facing, 0.83])
        offset[_HEAD] = normal[_HEAD, 1] * head_c + 0.05 * head_r
    else:
        offset[_HEAD] = head_c + 0.3 * head_r
    for k in (_LA_A, _LA_B):
        accent[k], offset[k] = skin, 0.78 * shapes[k, 1]
    for k in (_LL_A, _LL_B):
        accent[k], offset[k] = shoes, 0.9 * shapes[k, 1]
    return dict(base=base, waves=waves, amps=amps, phases=phases, accent=accent, normal=normal, offset=offset)


def _style(rng, action, size):
    """Per-video random figure: proportions, speed, phase, and the pose-style knobs of its action."""
    height, width = size
    body = {k: v * rng.uniform(0.93, 1.07) for k, v in _BODY.items()}
    lo, hi = _PERIODS[action]
    return dict(
        body=body,
        phase=rng.uniform(0, 1),
        period=rng.uniform(lo, hi),
        facing=float(rng.choice([-1.0, 1.0])) if action not in ("walk_left", "walk_right")
        else (-1.0 if action == "walk_left" else 1.0),
        stride=rng.uniform(22, 32),
        walk_lean=rng.uniform(4, 10),
        walk_speed=rng.uniform(1.0, 2.0) * min(height, width) / 64.0,  # pixels per frame
        depth=rng.uniform(0.75, 1.0),
        squat_arms=rng.uniform(0.0, 1.0),
        jump_back=rng.uniform(0.0, 40.0),
        jump_height=rng.uniform(0.15, 0.28),
        waves=int(rng.integers(2, 4)),
        side=int(rng.integers(0, 2)),
        fig_frac=rng.uniform(0.7, 0.92),
    )


# ---------------------------------------------------------------------------------------------------- render
def _extent(centres, angles, shapes_px):
    """Bounding box (lo, hi) in pixels of all parts over all time steps."""
    ends = []
    for j in (0, 1):
        along = shapes_px[None, :, j]
        ends.append(centres + along[..., None] * _direction(angles))
    ends = np.concatenate(ends, axis=0)
    radius = shapes_px[None, :, 2, None]
    lo = (ends - radius).reshape(-1, 2).min(0)
    hi = (ends + radius).reshape(-1, 2).max(0)
    return lo, hi


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
    background = cv2.resize(photo[y0:y0 + ch, x0:x0 + cw], (bg_w, bg_h), interpolation=cv2.INTER_AREA)
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
        bg = cv2.warpAffine(background, shift, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                            borderMode=cv2.BORDER_REFLECT)
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
    frames, flows, parts = _render_video(seed, index, actions[label], int(num_frames), size, float(jitter),
                                         _check_backgrounds(backgrounds))
    return frames, flows, parts, label


def synthetic_actions(num_videos, num_frames=16, size=64, seed=0, actions=ACTIONS, jitter=0.0, backgrounds=None,
                      start=0):
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
        frames[n], flows[n], parts[n] = _render_video(seed, i, actions[label], num_frames, size, float(jitter),
                                                      backgrounds)
    return SyntheticActions(frames=frames, labels=labels, flows=flows, masks=parts >= 0, parts=parts,
                            class_names=list(actions), indices=indices)


# ------------------------------------------------------------------------------------------------ on disk
LABELS_FILE = "labels.csv"
CONFIG_FILE = "synthetic.json"
# The settings that change what a video looks like: a resumed run must use the same ones.
_RENDER_KEYS = ("num_frames", "size", "seed", "jitter", "actions", "backgrounds")


def video_name(index, class_name):
    """File stem of video `index`: `<class>_<index:06d>`."""
    return f"{class_name}_{int(index):06d}"


def write_synthetic(root, num_videos, num_frames=16, size=64, seed=0, jitter=0.0, fps=25, actions=ACTIONS,
                    backgrounds=None, show_progress=True):
    """Writes a synthetic action data set to `root` and returns it as a `SyntheticVideos`.

    Layout: `videos/<class>/<class>_<id>.mp4` (MPEG-4, lossy), `flows/<class>_<id>.npz` (`flow` float16 (T,H,W,2),
    the exact forward flow of the rendered frames; `mask` bool (T,H,W) figure pixels), `labels.csv` (header
    `path,label,class`, paths relative to root) and `synthetic.json` (the settings). Videos already written are skipped
    (resume; a larger `num_videos` extends the set). Videos are rendered one at a time, so memory does not grow with
    `num_videos`, and each depends only on (seed, index): resumed output is identical to one-shot output.

    >>> import tempfile
    >>> ds = write_synthetic(tempfile.mkdtemp(), 6, num_frames=4, size=32, show_progress=False)
    >>> len(ds), ds.exact_flow(0).shape
    (6, (4, 32, 32, 2))
    """
    from keras_motion.video import write_video

    root = os.fspath(root)
    size, actions = _check_size(size), _check_actions(actions)
    if size[0] % 2 or size[1] % 2:
        raise ValueError(f"video height and width must be even for the MPEG-4 encoder, got {size[0]}x{size[1]}")
    config = dict(num_frames=int(num_frames), size=list(size), seed=int(seed), jitter=float(jitter),
                  actions=list(actions), backgrounds="scikit-image" if backgrounds is None else "custom",
                  fps=float(fps))
    config_path = os.path.join(root, CONFIG_FILE)
    if os.path.exists(config_path):
        with open(config_path, encoding="utf-8") as f:
            old = json.load(f)
        changed = [k for k in _RENDER_KEYS if old.get(k) != config[k]]
        if changed:
            raise DatasetLayoutError(
                f"{config_path}: this data set was written with other settings ({', '.join(changed)}: "
                f"{[old.get(k) for k in changed]} vs {[config[k] for k in changed]}); resuming would mix two data "
                "sets. Use another root, or delete this one.")
    os.makedirs(root, exist_ok=True)
    atomic_write_text(config_path, json.dumps(config, indent=2) + "\n")
    backgrounds = _check_backgrounds(backgrounds)

    rows, written = [], 0
    indices = range(int(num_videos))
    for index in (progress(indices, desc="synthetic videos") if show_progress else indices):
        label = label_of(index, len(actions), seed)
        name = video_name(index, actions[label])
        video_rel = f"videos/{actions[label]}/{name}.mp4"
        video_path = os.path.join(root, *video_rel.split("/"))
        flow_path = os.path.join(root, "flows", name + ".npz")
        rows.append((video_rel, label, actions[label]))
        if os.path.exists(video_path) and os.path.exists(flow_path):
            continue  # written by an earlier run; both files are written atomically, so they are complete
        frames, flows, parts = _render_video(seed, index, actions[label], config["num_frames"], size,
                                             config["jitter"], backgrounds)
        atomic_save_npz(flow_path, flow=flows.astype(np.float16), mask=parts >= 0)
        write_video(video_path, frames, fps=fps)
        written += 1
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("path", "label", "class"))
    writer.writerows(rows)
    atomic_write_text(os.path.join(root, LABELS_FILE), text.getvalue())
    dataset = SyntheticVideos(root)
    dataset.num_written = written
    return dataset


class SyntheticVideos(VideoDataset):
    """A synthetic data set written by `write_synthetic`, read from `root/labels.csv`, with its exact flows.

    `load(i)` decodes the (lossy MPEG-4) video; `exact_flow(i)` is the renderer's exact forward flow of the original
    frames, float32 (T, H, W, 2); `exact_mask(i)` the figure pixels, bool (T, H, W).

    >>> import tempfile
    >>> root = tempfile.mkdtemp(); _ = write_synthetic(root, 6, num_frames=4, size=32, show_progress=False)
    >>> ds = SyntheticVideos(root)
    >>> ds.class_names == list(ACTIONS), ds.load(0).shape
    (True, (4, 32, 32, 3))
    """

    def __init__(self, root, name=None):
        self.root = os.fspath(root)
        labels_path = os.path.join(self.root, LABELS_FILE)
        if not os.path.isfile(labels_path):
            raise DatasetLayoutError(
                f"{labels_path} not found: {self.root} is not a synthetic data set. Write one with "
                "keras_motion.datasets.write_synthetic(root, num_videos) or tools/make_synthetic.py --out ROOT.")
        with open(labels_path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or not {"path", "label", "class"} <= set(reader.fieldnames):
                raise DatasetLayoutError(f"{labels_path}: expected the header 'path,label,class', "
                                         f"got {reader.fieldnames}")
            rows = list(reader)
        paths = [os.path.join(self.root, *r["path"].split("/")) for r in rows]
        labels = [int(r["label"]) for r in rows]
        config_path = os.path.join(self.root, CONFIG_FILE)
        if os.path.isfile(config_path):
            with open(config_path, encoding="utf-8") as f:
                class_names = json.load(f)["actions"]
        else:  # labels.csv alone: classes ordered by label
            by_label = {int(r["label"]): r["class"] for r in rows}
            class_names = [by_label.get(k, f"class_{k}") for k in range(max(by_label, default=-1) + 1)]
        super().__init__(paths, labels, class_names, name=name or "SyntheticVideos")

    def flow_path(self, i):
        stem = os.path.splitext(os.path.basename(self.paths[i]))[0]
        return os.path.join(self.root, "flows", stem + ".npz")

    def _npz(self, i, key):
        path = self.flow_path(i)
        if not os.path.isfile(path):
            raise DatasetLayoutError(f"{path} not found (exact flow of {self.paths[i]}); re-run write_synthetic "
                                     "on this root to write the missing files")
        with np.load(path) as data:
            return data[key]

    def exact_flow(self, i):
        """Exact forward flow t → t+1 of video i, float32 (T, H, W, 2), u right, v down."""
        return self._npz(i, "flow").astype(np.float32)

    def exact_mask(self, i):
        """Figure pixels of video i, bool (T, H, W)."""
        return self._npz(i, "mask").astype(bool)
