"""VRE + MRA's settings by name: `PRESETS` for the `VREMRA` task, `DATA_PRESETS` for `unlabeled_videos` /
`labeled_images` (and the number of seeds).

- "cpu": the recipe's defaults, sized for a 2-core CPU (32 px images, a quarter-width AlexNet with BatchNorm, a
  16-word codebook on 64 px frames, λ = 1 and the per-frame motion loss; docs/vre_mra.md says why each differs from
  the paper);
- "paper": the paper's settings (§4.1): 12 key frames, a 128-word codebook, raw VLAD sums concatenated, AlexNet
  (4096-d) on 224 px images, GRU 512, classifiers 4096 / 512 / 4608, Adam 1e-4 ×0.1 every 1800 iterations,
  λ = 0.1, δ = 1, no BatchNorm, L_motion on the clip's last GRU output only, 10 labeled images per class — a GPU job;
- "quick": tiny sizes, so that the whole experiment runs in a minute or two on a CPU (to try a set-up, and tests).
"""

PRESETS = {
    "cpu": {},  # the constructor's defaults
    "paper": dict(
        key_frames=12,
        codebook_size=128,
        num_labels=16,
        normalization=None,
        pooling="concat",
        image_size=224,
        width=1.0,
        stem="imagenet",
        feature_dim=4096,
        motion_units=512,
        motion_hidden=512,
        classifier_hidden=4096,
        mra_hidden=None,
        learning_rate=1e-4,
        decay_every=1800,
        shots=10,
        distance="euclidean",
        encoder_dropout=None,
        norm=None,
        proxy_weight=0.1,
        frame_motion=0.0,
    ),
    "quick": dict(
        key_frames=5,
        codebook_size=8,
        num_labels=6,
        image_size=16,
        width=0.1,
        feature_dim=16,
        motion_units=16,
        motion_hidden=16,
        classifier_hidden=16,
        batch_images=12,
        batch_clips=6,
        iterations=(8, 8, 4, 8, 4),
        shots=3,
    ),
}

DATA_PRESETS = {
    "cpu": dict(
        render_size=64,
        num_videos=240,
        pool_per_class=30,
        test_videos=1000,
        validation_videos=600,
        max_videos=1000,
        max_test_images=2000,
        seeds=3,
    ),
    "paper": dict(render_size=256),
    "quick": dict(num_videos=60, pool_per_class=6, test_videos=60, validation_videos=30, seeds=1),
}
