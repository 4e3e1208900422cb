"""MoSI's settings: constructor arguments of `km.mosi.MoSI` (`PRESETS`) and of its default data (`DATA_PRESETS`:
`synthetic_splits`, `pretext_sources`, `labeled_video_splits`).

- "cpu": the recipe's defaults, about an hour on a 2-core CPU (six finetuning runs of 5 minutes each): small sizes
  and widths, 3 epochs of unmasked MoSI before the masked ones (not in the paper: masked MoSI from scratch stays at
  chance for long on a CPU), colour jitter per clip.
- "paper": MoSI §4 and its appendix: R(2+1)D-10 (64..512), 16 × 112² clips from 320² sources, 5 speeds per axis,
  masks 0.3-0.5; pretext Adam 1e-3, 10 warm-up epochs from 1e-4, half cosine, weight decay 1e-4, 100 epochs, 10
  images per batch; finetune Adam 2e-3, warm-up from lr/10 for 10 of 300 epochs, weight decay 1e-3; 10-clip
  evaluation; videos at short side 128 (a GPU job).
- "quick": tiny sizes, the whole recipe in about two minutes on a CPU (to try a set-up).
"""

PRESETS = {
    "cpu": {},  # the constructor's defaults
    "paper": dict(
        source_size=320,
        crop_size=112,
        num_frames=16,
        filters=None,
        stem="video",
        pretext_epochs=100,
        unmasked_epochs=0,
        frame_wise_jitter=True,
        pretext_warmup=10,
        batch_images=10,
        pretext_learning_rate=1e-3,
        finetune_epochs=300,
        finetune_warmup=10,
        finetune_learning_rate=2e-3,
        finetune_batch_size=32,
    ),
    "quick": dict(
        filters=(4, 4, 4, 4, 4),
        num_frames=4,
        crop_size=16,
        source_size=32,
        pretext_epochs=1,
        unmasked_epochs=1,
        batch_images=4,
        seeds=1,
        shots=1,
        finetune_epochs=1,
        finetune_warmup=1,
        eval_clips=2,
    ),
}

DATA_PRESETS = {
    "cpu": dict(
        synthetic_unlabeled=120,
        synthetic_labeled=60,
        synthetic_test=90,
        video_frames=16,
        video_size=40,
        crops_per_photo=16,
        heldout_photos=2,
        grad_cam_size=80,
    ),
}
DATA_PRESETS["paper"] = {**DATA_PRESETS["cpu"], "video_size": 128, "grad_cam_size": 224}
DATA_PRESETS["quick"] = {
    **DATA_PRESETS["cpu"],
    **dict(
        synthetic_unlabeled=6,
        synthetic_labeled=6,
        synthetic_test=6,
        video_frames=6,
        video_size=16,
        crops_per_photo=1,
        grad_cam_size=24,
    ),
}
