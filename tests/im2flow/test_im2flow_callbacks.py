import glob
import os

import cv2
import keras
import numpy as np
import pytest

from keras_motion.flow import encode_im2flow
from keras_motion.flow.grid import flow_grid, save_png, to_display_uint8
from keras_motion.im2flow import FlowImages
from keras_motion.utils.summaries import read_events


def tiny_model():
    inputs = keras.Input((16, 16, 3))
    outputs = keras.layers.Conv2D(3, 3, padding="same", activation="tanh")(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    return model


def data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 16, 16, 3), dtype=np.uint8)
    flows = rng.normal(0, 4, size=(n, 16, 16, 2)).astype(np.float32)
    return images, flows


def to_input(x):
    return x.astype("float32") / 127.5 - 1.0


def test_flow_grid_layout_and_shared_scale():
    images, flows = data(3)
    grid = flow_grid(images, flows, flows)
    assert grid.shape == (3 * 16 + 2 * 2, 3 * 16 + 2 * 2, 3) and grid.dtype == np.uint8
    np.testing.assert_array_equal(grid[:16, :16], images[0])  # the image cell
    np.testing.assert_array_equal(grid[16:18], 255)  # row separator
    np.testing.assert_array_equal(grid[:, 16:18], 255)  # column separators
    np.testing.assert_array_equal(grid[:, 34:36], 255)
    # A perfect prediction colours exactly like the truth, with one scale per grid.
    np.testing.assert_array_equal(grid[:, 18:34], grid[:, 36:52])
    halved = flow_grid(images, flows, flows / 2)
    assert not np.array_equal(halved[:, 18:34], halved[:, 36:52])
    assert flow_grid(images[0], flows[0], flows[0], separator=0).shape == (16, 48, 3)


def test_to_display_uint8_ranges():
    x = np.array([[[[-1.0, 0.0, 1.0]]]], np.float32)
    assert to_display_uint8(x).ravel().tolist() == [0, 128, 255]
    assert to_display_uint8(x.clip(0, 1)).ravel().tolist() == [0, 0, 255]
    assert to_display_uint8(np.zeros((1, 2, 2, 1), np.uint8)).shape == (1, 2, 2, 3)


def test_save_png_round_trip(tmp_path):
    rgb = np.zeros((5, 7, 3), np.uint8)
    rgb[..., 0] = 200  # red in RGB: must come back red, not blue
    path = tmp_path / "sub" / "grid.png"
    save_png(path, rgb)
    back = cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1]
    np.testing.assert_array_equal(back, rgb)
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["grid.png"]  # no temp file left behind


@pytest.mark.backend_agnostic
def test_flow_images_png_fallback(tmp_path):
    images, flows = data(4)
    model = tiny_model()
    cb = FlowImages(images, flows, str(tmp_path), every=2, to_model_input=to_input, use_tensorboard=False)
    model.fit(to_input(images), encode_im2flow(flows), epochs=2, batch_size=4, verbose=0, callbacks=[cb])
    written = sorted(os.listdir(tmp_path / "images"))
    assert written == ["epoch_0001.png"]  # every=2: only after the second epoch (0-based step 1)
    png = cv2.imread(str(tmp_path / "images" / written[0]), cv2.IMREAD_COLOR)
    assert png.shape == (4 * 16 + 3 * 2, 3 * 16 + 2 * 2, 3)
    np.testing.assert_array_equal(png[:16, :16, ::-1], images[0])
    # The predicted column is the decoded model output, coloured on the truth's scale.
    pred = cb.predict_flows()
    assert pred.shape == flows.shape
    np.testing.assert_array_equal(cb.make_grid(), flow_grid(images, flows, pred))


@pytest.mark.backend_agnostic
def test_flow_images_tensorboard_summary(tmp_path):
    pytest.importorskip("tensorboard")
    images, flows = data(8)
    model = tiny_model()
    cb = FlowImages(images, flows, str(tmp_path), to_model_input=to_input)
    assert cb.use_tensorboard
    model.fit(to_input(images), encode_im2flow(flows), epochs=1, batch_size=8, verbose=0, callbacks=[cb])
    events = glob.glob(str(tmp_path / "images" / "events.out.tfevents.*"))
    assert len(events) == 1 and os.path.getsize(events[0]) > 0
    # read back with TensorBoard's own loader: the grid, once, at epoch 0
    assert read_events(tmp_path)["images"]["images"] == {"flow/image_true_pred": [(0, cb.make_grid().shape[:2])]}


def test_flow_images_bad_arguments(tmp_path):
    images, flows = data(2)
    with pytest.raises(ValueError, match="true flows"):
        FlowImages(images, flows[:1], str(tmp_path))
    with pytest.raises(ValueError, match="every"):
        FlowImages(images, flows, str(tmp_path), every=0)
