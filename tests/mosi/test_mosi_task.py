"""km.mosi.MoSI at tiny sizes: two-phase pretext, held-out accuracy, Grad-CAM motion mass, few-shot finetuning that
resumes run by run; and the data functions behind the recipe."""

import json
import os

import numpy as np
import pytest

from keras_motion.errors import NotFittedError
from keras_motion.mosi import PRESETS, MoSI, photo_crops, pretext_sources, synthetic_splits
from keras_motion.utils import Run

TINY = dict(
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
)


def test_presets_and_arguments():
    assert set(PRESETS) == {"cpu", "paper", "quick"}
    paper = MoSI.from_preset("paper")
    assert (paper.crop_size, paper.num_frames, paper.source_size, paper.unmasked_epochs) == (112, 16, 320, 0)
    assert paper.make_backbone(9).count_params() > 10**7  # the paper's widths 64..512
    assert MoSI.from_preset("cpu", seed=5, seeds=2).finetune_seeds == [1005, 2005]
    assert MoSI(backbone="r2d3d").depth == 18 and MoSI().depth == 10
    assert MoSI(mask_size=None).generator.mask_size is None
    assert MoSI(jitter=False).make_generator(0).color_jitter is None
    with pytest.raises(ValueError, match="preset"):
        MoSI.from_preset("gpu")
    with pytest.raises(ValueError, match="backbone"):
        MoSI(backbone="resnet")
    with pytest.raises(NotFittedError, match="pretrain"):
        MoSI().evaluate_pretext([np.zeros((8, 8, 3), np.uint8)])


@pytest.mark.slow
def test_pretrain_evaluate_grad_cam_finetune_and_resume(tmp_path):
    data = synthetic_splits(6, 6, 6, num_frames=6, size=16, grad_cam_size=24, seed=0)
    train, heldout = pretext_sources(
        unlabeled_videos=data.unlabeled.frames, heldout_videos=data.test.frames, crops_per_photo=1
    )
    run = Run(tmp_path, verbose=False)
    task = MoSI(**TINY, run=run)
    backbone = task.pretrain(train, grad_cam_clips=task.grad_cam_clips(data.test.frames[:2])[0])
    assert backbone.output_shape[-1] == 9 and os.path.exists(tmp_path / "pretext_backbone.keras")
    assert {"unmasked", "masked"} <= set(os.listdir(tmp_path / "logs" / "pretext"))  # the warm-up phase ran
    assert os.listdir(tmp_path / "logs" / "pretext" / "masked" / "images")  # Grad-CAM strips during training

    pretext = task.evaluate_pretext(heldout)
    assert 0 <= pretext["heldout_accuracy"] <= 1 and pretext["heldout_sources"] == len(heldout)
    assert pretext["labels"][0] == (-2, 0) and pretext["chance"] == pytest.approx(1 / 9)

    clips, regions = task.grad_cam_clips(data.test.frames, data.test.flows)
    assert clips.shape == (6, 4, 16, 16, 3) and regions.shape == (6, 4, 16, 16)
    cam = task.grad_cam(clips, regions, fine=task.grad_cam_clips(data.grad_cam.frames, data.grad_cam.flows))
    assert cam["at_gradcam_size"]["clip_size"] == 24 and cam["motion_mass_ratio"] == cam["at_gradcam_size"]["conv5"]
    assert os.path.exists(tmp_path / "gradcam.png") and os.path.exists(tmp_path / "gradcam_fine.png")
    assert task.grad_cam(clips[:, :, :16, :16]) is None  # without regions: the strip only

    labeled, test = data.labeled, data.test
    report = task.finetune(labeled.frames, labeled.labels, test.frames, test.labels, labeled.class_names)
    assert report["mosi"]["video_accuracy"]["runs"] and report["scratch"]["clip_accuracy"]["runs"]
    assert report["classes"] == list(labeled.class_names) and report["test_videos"] == 6
    assert "video_accuracy_gain" in report
    with open(tmp_path / "finetune_runs.json") as f:
        assert set(json.load(f)) == {"mosi_seed1000", "scratch_seed1000"}
    before = os.path.getmtime(tmp_path / "finetune_mosi_seed1000.keras")

    again = MoSI(**TINY, run=run)
    again.pretrain(train, reuse=True)  # loads the checkpoint
    assert again.backbone.count_params() == backbone.count_params()
    assert again.finetune(labeled.frames, labeled.labels, test.frames, test.labels, labeled.class_names) == report
    assert os.path.getmtime(tmp_path / "finetune_mosi_seed1000.keras") == before  # finished runs are skipped


def test_photo_crops_and_pretext_sources(tmp_path, astronaut):
    crops = photo_crops([astronaut], 5, seed=3)
    assert len(crops) == 5 and all(c.shape[0] == c.shape[1] >= 0.4 * 512 - 1 for c in crops)
    assert all(np.array_equal(a, b) for a, b in zip(crops, photo_crops([astronaut], 5, seed=3)))

    photos = [np.full((40, 50, 3), i, np.uint8) for i in range(5)]
    train, heldout = pretext_sources(
        photos=photos, heldout_photos=2, crops_per_photo=3, seed=0, unlabeled_videos=["u.mp4"], heldout_videos=["t.mp4"]
    )
    assert (len(train), len(heldout)) == (3 * 3 + 1, 2 * 3 + 1)
    assert {int(c[0, 0, 0]) for c in train[:-1]}.isdisjoint({int(c[0, 0, 0]) for c in heldout[:-1]})

    import cv2

    for i in range(10):
        os.makedirs(tmp_path / "images" / f"d{i % 2}", exist_ok=True)
        cv2.imwrite(str(tmp_path / "images" / f"d{i % 2}" / f"{i}.png"), astronaut[:32, :32])
    from keras_motion.video import write_video

    os.makedirs(tmp_path / "videos")
    for i in range(3):
        write_video(tmp_path / "videos" / f"{i}.mp4", np.full((3, 16, 16, 3), 40 * i, np.uint8))
    (tmp_path / "videos" / "3.mp4").write_bytes(b"")  # opened when listed: warned about, skipped
    with pytest.warns(RuntimeWarning, match="3.mp4"):
        train, heldout = pretext_sources(images=tmp_path / "images", videos=tmp_path / "videos")
    assert (len(train), len(heldout)) == (9 + 2, 1 + 1) and not set(train) & set(heldout)
    from keras_motion.errors import KerasMotionError

    with pytest.raises(KerasMotionError, match="no .*files under"):
        pretext_sources(images=tmp_path / "videos")


def test_synthetic_splits_are_disjoint_renders():
    data = synthetic_splits(6, 6, 6, num_frames=4, size=16, grad_cam_size=24, grad_cam_videos=3, seed=1)
    assert not np.array_equal(data.unlabeled.frames[0], data.labeled.frames[0])
    assert not np.array_equal(data.labeled.frames[0], data.test.frames[0])
    assert data.grad_cam.frames[0].shape == (4, 24, 24, 3) and len(data.grad_cam.frames) == 3
    assert data.grad_cam.labels.tolist() == data.test.labels[:3].tolist()  # the same videos, larger
    assert synthetic_splits(6, 6, 6, num_frames=4, size=16).grad_cam is None
