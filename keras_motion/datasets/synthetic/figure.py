"""The articulated 2-D figure of the synthetic benchmark: ten rigid, textured parts in a kinematic tree, their poses
per action, proportions, styles and extent."""

import numpy as np

ACTIONS = ("walk_left", "walk_right", "jump", "squat", "wave", "clap")

# Parts, in index order. Side "a" is the image-left (frontal view) or far (profile view) limb, "b" the other one.
PARTS = (
    "torso",
    "head",
    "upper_arm_a",
    "lower_arm_a",
    "upper_arm_b",
    "lower_arm_b",
    "upper_leg_a",
    "lower_leg_a",
    "upper_leg_b",
    "lower_leg_b",
)
_TORSO, _HEAD, _UA_A, _LA_A, _UA_B, _LA_B, _UL_A, _LL_A, _UL_B, _LL_B = range(10)
# Painter's order (first drawn = furthest back). Profile: far limbs behind the torso, near limbs in front.
_DEPTH_PROFILE = (_UA_A, _LA_A, _UL_A, _LL_A, _TORSO, _HEAD, _UL_B, _LL_B, _UA_B, _LA_B)
_DEPTH_FRONTAL = (_UL_A, _LL_A, _UL_B, _LL_B, _TORSO, _HEAD, _UA_A, _LA_A, _UA_B, _LA_B)

# Body lengths in units of the figure's height (feet to top of head ≈ 1).
_BODY = dict(
    torso=0.30,
    torso_r=0.1,
    torso_r_profile=0.075,
    head_r=0.08,
    neck=0.012,
    shoulder_drop=0.04,
    shoulder_w=0.08,
    shoulder_w_profile=0.012,
    hip_w=0.05,
    hip_w_profile=0.01,
    upper_arm=0.15,
    upper_arm_r=0.034,
    lower_arm=0.15,
    lower_arm_r=0.03,
    upper_leg=0.235,
    upper_leg_r=0.052,
    lower_leg=0.235,
    lower_leg_r=0.042,
)

# Range of the cycle length (frames) of each action; each video draws its own (its speed).
_PERIODS = dict(walk_left=(12, 18), walk_right=(12, 18), jump=(18, 26), squat=(14, 22), wave=(26, 34), clap=(8, 12))


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
    p = dict(
        view="profile",
        lean=z + 4.0,
        head=z,
        air=z,
        walk=False,
        thigh=[z + 2.0, z - 2.0],
        knee=[z + 4.0, z + 4.0],
        uarm=[z - 4.0, z + 4.0],
        elbow=[z + 10.0, z + 12.0],
    )
    if action in ("walk_left", "walk_right"):
        s, c = np.sin(two_pi_u), np.cos(two_pi_u)
        amp = style["stride"]
        p.update(
            walk=True,
            lean=z + style["walk_lean"],
            # The swinging leg bends its knee while it moves forward.
            thigh=[-amp * s, amp * s],
            knee=[5 + 40 * np.maximum(0, -c), 5 + 40 * np.maximum(0, c)],
            uarm=[0.8 * amp * s, -0.8 * amp * s],
            elbow=[15 + 10 * np.maximum(0, s), 15 + 10 * np.maximum(0, -s)],
        )
    elif action == "squat":
        # Stand (held), go down, hold at the bottom, come up: the top of the cycle is a plain standing pose.
        d = _segments(u, (0.0, 0.2, 0.5, 0.62, 0.95, 1.0), (0.0, 0.0, 1.0, 1.0, 0.0, 0.0)) * style["depth"]
        arms = style["squat_arms"] * d
        p.update(
            thigh=[85 * d + 2, 85 * d - 2],
            knee=[115 * d + 4, 115 * d + 4],
            lean=4 + 40 * d,
            uarm=[75 * arms - 4, 75 * arms + 4],
            elbow=[10 + 10 * d, 12 + 10 * d],
        )
    elif action == "jump":
        # Crouch, push off, fly, land and absorb, stand up: crouch and standing poses are shared with squat.
        knots = (0.0, 0.3, 0.45, 0.72, 0.85, 1.0)
        d = _segments(u, knots, (0.0, 0.6, 0.0, 0.0, 0.45, 0.0)) * style["depth"]
        arm = _segments(u, (0.0, 0.3, 0.6, 0.85, 1.0), (0.0, -style["jump_back"], 100.0, 10.0, 0.0))
        flight = np.clip((u - 0.45) / 0.27, 0.0, 1.0)
        air = np.where((u > 0.45) & (u < 0.72), np.sin(np.pi * flight), 0.0) * style["jump_height"]
        tuck = 25.0 * np.sin(np.pi * flight) * (air > 0)
        p.update(
            thigh=[85 * d + 2 + tuck, 85 * d - 2 + tuck],
            knee=[115 * d + 4 + tuck, 115 * d + 4 + tuck],
            lean=4 + 35 * d,
            air=air,
            uarm=[arm - 4, arm + 4],
            elbow=[10 + z, 12 + z],
        )
    elif action == "wave":
        # Raise one arm, wave the forearm a few times, lower it: the ends of the cycle are a standing pose.
        r = _segments(u, (0.0, 0.04, 0.27, 0.73, 0.96, 1.0), (0.0, 0.0, 1.0, 1.0, 0.0, 0.0))
        wave = np.sin(2 * np.pi * style["waves"] * u)
        up, fore = 8 + 117 * r, 8 + 117 * r + r * (45 + 25 * wave)
        rest = 8 + 3 * np.sin(two_pi_u)
        arms = [(up, fore), (rest, rest + 6)] if style["side"] == 0 else [(rest, rest + 6), (up, fore)]
        p.update(
            view="frontal",
            uarm=[arms[0][0], arms[1][0]],
            elbow=[arms[0][1], arms[1][1]],
            thigh=[z + 4, z + 4],
            knee=[z, z],
        )
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
    origins = np.stack(
        [pelvis, neck, shoulder[0], elbow[0], shoulder[1], elbow[1], hip[0], knee[0], hip[1], knee[1]], axis=1
    )
    angles = np.stack(
        [torso_a, head_a, uarm[0], larm[0], uarm[1], larm[1], thigh[0], shin[0], thigh[1], shin[1]], axis=1
    )
    return origins, angles, profile


def _shapes(body, profile):
    """Capsule of every part in its local frame (y along the part): rows (y0, y1, radius), figure units."""
    b = body
    tr = b["torso_r_profile"] if profile else b["torso_r"]
    head_c = b["neck"] + b["head_r"]
    return np.array(
        [
            (0.55 * tr, b["torso"] - 0.45 * tr, tr),
            (head_c, head_c, b["head_r"]),
            (0.0, b["upper_arm"], b["upper_arm_r"]),
            (0.0, b["lower_arm"], b["lower_arm_r"]),
            (0.0, b["upper_arm"], b["upper_arm_r"]),
            (0.0, b["lower_arm"], b["lower_arm_r"]),
            (0.0, b["upper_leg"], b["upper_leg_r"]),
            (0.0, b["lower_leg"], b["lower_leg_r"]),
            (0.0, b["upper_leg"], b["upper_leg_r"]),
            (0.0, b["lower_leg"], b["lower_leg_r"]),
        ]
    )


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
        facing=float(rng.choice([-1.0, 1.0]))
        if action not in ("walk_left", "walk_right")
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
