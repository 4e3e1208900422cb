"""Issue 14, class 4: one input contract for images and videos at every entry point (uint8, or a declared range).

Float images in [0, 1] used to become near-black inputs, uint16 saturated, bool passed, and a grayscale (N, H, W)
batch gave a mis-shaped batch; each is now converted where unambiguous or refused naming the argument and the fix.
"""

import numpy as np
import pytest

import keras_motion as km
from keras_motion.errors import ImageInputError
from keras_motion.transforms import check_images, to_uint8


@pytest.fixture
def photo(astronaut):
    return astronaut[:32, :40]  # uint8 (32, 40, 3)


# ----------------------------------------------------------------------------------------------- the contract
def test_uint8_passes_without_a_copy(photo):
    assert to_uint8(photo) is photo


def test_integer_pixels_in_range_are_cast(photo):
    out = to_uint8(photo.astype(np.int64))
    assert out.dtype == np.uint8 and np.array_equal(out, photo)


def test_float_pixels_need_a_declared_range(photo):
    floats = photo / 255.0
    with pytest.raises(
        ImageInputError,
        match=r"frames: float64 pixels need their value range declared.*"
        r"value_range=\(0, 1\)",
    ):
        to_uint8(floats, name="frames")
    assert np.array_equal(to_uint8(floats, value_range=(0, 1)), photo)
    assert np.array_equal(to_uint8(photo.astype(np.float32), value_range=(0, 255)), photo)


def test_sixteen_bit_pixels_are_refused_unless_declared(photo):
    wide = photo.astype(np.uint16) * 257
    with pytest.raises(ImageInputError, match=r"uint16 values 0\.\.\d+ do not fit 0\.\.255.*65535"):
        to_uint8(wide)
    assert np.array_equal(to_uint8(wide, value_range=(0, 65535)), photo)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((4, 4), bool), "boolean array"),
        (np.array([[0.5, np.nan]]), "1 NaN/inf"),
        (np.array(["a", "b"]), "numeric pixels"),
        ([np.zeros((4, 4, 3)), np.zeros((5, 4, 3))], "differ in shape"),
        ("photo.png", "got the path"),
    ],
)
def test_what_cannot_be_pixels_is_refused(bad, message):
    with pytest.raises(ImageInputError, match=message):
        to_uint8(bad, value_range=(0, 1) if isinstance(bad, np.ndarray) and bad.dtype.kind == "f" else None)


def test_values_outside_the_declared_range_are_refused():
    with pytest.raises(ImageInputError, match=r"outside the declared value_range \(0, 1\)"):
        to_uint8(np.array([0.0, 1.5]), value_range=(0, 1))


def test_batch_shapes(photo):
    gray = photo[..., 0]
    with pytest.raises(ImageInputError, match=r"got shape \(2, 32, 40\); add a channel axis"):
        check_images(np.stack([gray, gray]))
    assert check_images(np.stack([gray, gray])[..., None]).shape == (2, 32, 40, 3)
    with pytest.raises(ImageInputError, match=r"4 channels.*images\[\.\.\., :3\]"):
        check_images(np.zeros((1, 4, 4, 4), np.uint8))
    with pytest.raises(ImageInputError, match="no pixels"):
        check_images(np.zeros((0, 4, 4, 3), np.uint8))
    with pytest.raises(ImageInputError, match=r"got shape \(0,\)"):
        check_images([])


# ------------------------------------------------------------------------------------------- the entry points
def _flows(n, size=32):
    return np.zeros((n, size, size, 2), np.float32)


def test_im2flow_pairs_follow_the_contract(photo):
    images = np.stack([photo[:, :32]] * 4)
    with pytest.raises(ImageInputError, match=r"images \(Im2FlowPairs\): float32 pixels need"):
        km.im2flow.Im2FlowPairs(images.astype(np.float32) / 255, _flows(4), batch_size=2)
    with pytest.raises(ImageInputError, match=r"images \(Im2FlowPairs\): expected a batch.*\(4, 32, 32\)"):
        km.im2flow.Im2FlowPairs(images[..., 0], _flows(4), batch_size=2)
    with pytest.raises(ImageInputError, match=r"images \(Im2FlowPairs\).*no pixels"):
        km.im2flow.Im2FlowPairs(images[:0], _flows(0), batch_size=2)
    x, _ = km.im2flow.Im2FlowPairs(list(images), list(_flows(4)), batch_size=2)[0]  # lists are fine
    assert x.dtype == np.uint8 and x.shape == (2, 32, 32, 3)


def test_im2flow_task_refuses_float_images_before_training(photo):
    task = km.im2flow.Im2Flow.from_preset("quick", image_size=32)
    images = np.stack([photo[:, :32]] * 4) / 255.0
    with pytest.raises(ImageInputError, match="train images: float64 pixels need"):
        task.fit((images, _flows(4)), (images, _flows(4)))
    assert task.unet is None


def test_pseudo_motion_refuses_what_would_be_near_black_or_saturated(photo):
    gen = km.mosi.PseudoMotion(num_frames=2, crop_size=8, source_size=16, seed=0)
    with pytest.raises(ImageInputError, match=r"float images in 0\.\.1.*value_range=\(0, 1\)"):
        gen(photo[None] / 255.0, training=False)
    with pytest.raises(ImageInputError, match=r"outside value_range.*65535"):
        gen(photo[None].astype(np.uint16) * 257, training=False)
    with pytest.raises(ImageInputError, match="boolean"):
        gen(photo[None] > 128, training=False)
    unit = km.mosi.PseudoMotion(num_frames=2, crop_size=8, source_size=16, seed=0, value_range=(0, 1))
    clips_uint8, _ = gen(photo[None], training=False)
    clips_unit, _ = unit(photo[None] / 255.0, training=False)
    np.testing.assert_allclose(np.asarray(clips_unit) * 255, np.asarray(clips_uint8), atol=1e-3)


def test_mosi_sources_are_checked_up_front(photo):
    gen = km.mosi.PseudoMotion(num_frames=2, crop_size=8, source_size=16)
    with pytest.raises(ImageInputError, match=r"sources\[1\]: float64 pixels need"):
        km.mosi.SourceImages([photo, photo / 255.0], gen, batch_images=2)
    with pytest.raises(ImageInputError, match=r"sources\[0\]: expected an image .* got shape \(32, 40, 4\)"):
        km.mosi.SourceImages([np.zeros((32, 40, 4), np.uint8)], gen)
    x, _ = km.mosi.SourceImages([photo.astype(np.int32), photo[..., 0]], gen, batch_images=2)[0]
    assert x.dtype == np.uint8 and x.shape == (2, 16, 16, 3)


def test_video_entry_points_refuse_float_videos(photo):
    video = np.stack([photo[:, :32]] * 8)
    with pytest.raises(ImageInputError, match=r"videos\[1\]: float64 pixels need"):
        km.evaluation.VideoClips([video, video / 255.0], [0, 1], clip_len=4, crop_size=16)
    with pytest.raises(ImageInputError, match=r"videos\[0\]: float64"):
        km.evaluation.multi_clip_predict(None, [video / 255.0], clip_len=4, crop_size=16, num_clips=2)
    with pytest.raises(ImageInputError, match=r"video b \(frames.*float64 pixels need"):
        km.pose_from_action.TripletVideos([video, video / 255.0], delta=2, names=["a", "b"])
    with pytest.raises(ImageInputError, match=r"videos\[0\]: float64"):
        km.vre_mra.key_frame_clips([video / 255.0], [0], key_frames=2, interval=2, image_size=16)
    labeler = km.vre_mra.MotionLabeler(codebook_size=2, num_labels=2, key_frames=2, interval=2)
    with pytest.raises(ImageInputError, match=r"float64 pixels need"):
        labeler.key_flows([video / 255.0])


def test_pose_from_action_images_follow_the_contract(photo):
    task = km.pose_from_action.PoseFromAction.from_preset("quick")
    with pytest.raises(ImageInputError, match=r"images: float64 pixels need"):
        task.preprocess(np.stack([photo]) / 255.0)
