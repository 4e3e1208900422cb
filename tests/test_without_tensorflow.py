"""The on-device paths (what a GPU machine with JAX or PyTorch and no TensorFlow runs) import and train without
TensorFlow: a fresh interpreter in which `import tensorflow` fails, on the PyTorch backend (the quickest on CPU)."""

import os
import subprocess
import sys

import pytest
from no_tensorflow import HIDE_TENSORFLOW

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = (
    HIDE_TENSORFLOW
    + r"""
import numpy as np
import keras

import keras_motion as km

rng = np.random.default_rng(0)
gen = km.mosi.PseudoMotion(num_frames=4, crop_size=16, source_size=24, seed=0)
images = rng.integers(0, 256, (6, 30, 40, 3), dtype=np.uint8)
backbone = km.models.R2Plus1D(depth=10, num_classes=gen.num_classes, filters=(4, 4, 4, 4, 4))
pretext = km.mosi.pseudo_motion_classifier(gen, backbone)
pretext.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
pretext.fit(km.mosi.SourceImages(list(images), gen, batch_images=3), epochs=1, verbose=0)
vlad = km.vre_mra.VLADEncoder(rng.normal(size=(4, 2)).astype("float32"), normalization="power+l2")
codes = keras.ops.convert_to_numpy(vlad(rng.normal(size=(2, 10, 2)).astype("float32"), mask=rng.random((2, 10)) < 0.5))
net = km.vre_mra.VisualMotionNet(3, 4, image_size=32, width=0.05, feature_dim=8, stem="small", motion_units=8,
                             motion_hidden=8, classifier_hidden=8)
scores = keras.ops.convert_to_numpy(net(rng.integers(0, 256, (2, 32, 32, 3)).astype("float32")))
verifier = km.pose_from_action.TripletVerifier(image_size=32, delta=2, width=0.05, feature_dim=8, hidden=8)
unet = km.im2flow.Im2FlowUNet(image_size=32, base_filters=4)
assert codes.shape == (2, 8) and scores.shape == (2, 3) and np.isfinite(scores).all()
print("ok", "tensorflow" in sys.modules)
"""
)


@pytest.mark.slow
def test_on_device_paths_need_no_tensorflow():
    pytest.importorskip("torch")
    env = dict(os.environ, KERAS_BACKEND="torch", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok False")
