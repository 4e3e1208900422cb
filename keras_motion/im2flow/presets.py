"""Im2Flow's settings by name: `PRESETS` for the `Im2Flow` task, `DATA_PRESETS` for `synthetic_splits`.

- "cpu": the main job's defaults, sized for a 2-core CPU (64 px crops, a 16-filter U-Net, Adam 1e-3, magnitude
  weighting off: see docs/im2flow.md for why each differs from the paper);
- "paper": the paper's settings (§3.2 and the official pix2pix U-Net-256 code): 256 px crops of 286 px frames, 64 base
  filters, Adam 2e-4 with β1 0.5, batch 32, magnitude weighting, a 30 px magnitude bound, λ = 0.02 — a GPU job;
- "quick": tiny sizes, so that a whole experiment runs in a minute or two on a CPU (to try a set-up, and for tests).
"""

PRESETS = {
    "cpu": {},  # the constructor's defaults
    "paper": dict(
        image_size=256,
        base_filters=64,
        learning_rate=2e-4,
        beta_1=0.5,
        batch_size=32,
        magnitude_weighting=True,
        max_magnitude=30.0,
        content_weight=0.02,
        stream_filters=64,
    ),
    "quick": dict(
        image_size=32, base_filters=8, epochs=2, batch_size=16, phi_epochs=2, stream_epochs=2, stream_filters=8
    ),
}

DATA_PRESETS = {
    "cpu": dict(
        num_videos=480,
        num_frames=12,
        render_size=72,
        jitter=0.0,
        pairs_per_video=4,
        future=5,
        fractions=(0.5, 0.15, 0.1, 0.25),
    ),
    "paper": dict(render_size=286),  # pix2pix loads 286 px and crops 256
    "quick": dict(num_videos=36, num_frames=8, render_size=40, pairs_per_video=2),
}
