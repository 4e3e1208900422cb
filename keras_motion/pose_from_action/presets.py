"""Settings of `PoseFromAction` (constructor arguments) and of its embedded synthetic data (`synthetic_data`).

"cpu": the recipe's defaults, sized for a 2-core CPU; "paper": Purushwalkam & Gupta 2016 §3 and §4.4 (its learning
rates are missing from our copy of the text: Adam is kept); "quick": tiny sizes, the whole recipe in a couple of
minutes on a CPU, to try a set-up.
"""

PRESETS = {
    "cpu": {},  # the constructor's defaults
    # 224 px crops of 256 px frames, VGG-M with 4096-d FC6 / FC7, a 2048-d classifier FC, dropout 0.5, Δ = 12 and
    # two negatives per positive; 43 positives × 3 ≈ the paper's 128 triplets a batch.
    "paper": dict(
        crop_size=224,
        render_size=256,
        width=1.0,
        feature_dim=4096,
        hidden=4096,
        classifier_hidden=2048,
        stem_stride=2,
        dropout=0.5,
        batch_positives=43,
        delta=12,
        negatives=2,
    ),
    "quick": dict(
        delta=12,
        render_size=24,
        crop_size=16,
        width=0.0625,
        feature_dim=32,
        hidden=32,
        stem_stride=1,
        dropout=0.0,
        negatives=2,
        batch_positives=8,
        per_video=2,
        epochs=3,
        learning_rate=1e-3,
        num_labeled=20,
        seeds=2,
        classifier_hidden=32,
        finetune_epochs=10,
        finetune_learning_rate=1e-3,
        finetune_batch_size=16,
    ),
}

# Arguments of `synthetic_data` (the "paper" preset has none: the paper's videos are UCF101 / HMDB51 / ACT).
DATA_PRESETS = {
    "cpu": dict(num_videos=400, num_frames=16, test_frames=4),
    "paper": {},
    "quick": dict(num_videos=60, num_frames=14, test_frames=2),
}
