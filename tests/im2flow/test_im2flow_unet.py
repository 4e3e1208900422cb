import keras
import numpy as np
import pytest

from keras_motion.im2flow import Im2FlowUNet
from keras_motion.models.resnet import ResNet2D
from keras_motion.models.stream_cnn import StreamCNN

pytestmark = pytest.mark.backend_agnostic


@pytest.mark.parametrize("size", [64, 128])
def test_unet_depth_follows_image_size(size):
    net = Im2FlowUNet(image_size=size, base_filters=4)
    assert len([l for l in net.layers if l.name.endswith("_conv") and l.name.startswith("enc")]) == np.log2(size)
    out = keras.ops.convert_to_numpy(net(np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3)).astype("f4")))
    assert out.shape == (2, size, size, 3) and np.abs(out).max() <= 1.0


def test_unet_256_matches_pix2pix_filters():
    net = Im2FlowUNet(image_size=256)
    enc = [net.get_layer(f"enc{i}_conv").filters for i in range(8)]
    dec = [net.get_layer(f"dec{i}_deconv").filters for i in reversed(range(8))]
    assert enc == [64, 128, 256, 512, 512, 512, 512, 512]
    assert dec == [512, 512, 512, 512, 256, 128, 64, 3]
    assert [l.name for l in net.layers if isinstance(l, keras.layers.Dropout)] == [
        "dec7_dropout",
        "dec6_dropout",
        "dec5_dropout",
    ]


def test_dilated_encoder_keeps_resolution_with_real_dilations():
    net = Im2FlowUNet(image_size=64, base_filters=4, dilated=True, dilated_levels=3)
    dilated = [l for l in net.layers if isinstance(l, keras.layers.Conv2D) and max(l.dilation_rate) > 1]
    assert [l.dilation_rate for l in dilated] == [(2, 2), (4, 4), (8, 8)]
    assert net.get_layer("enc5_act").output.shape[1:3] == net.get_layer("enc2_act").output.shape[1:3]
    assert net(np.zeros((1, 64, 64, 3), "f4")).shape == (1, 64, 64, 3)


def test_bad_sizes_are_clear():
    with pytest.raises(ValueError, match="power of 2"):
        Im2FlowUNet(image_size=100)
    with pytest.raises(ValueError, match="dilated_levels"):
        Im2FlowUNet(image_size=64, dilated=True, dilated_levels=6)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Im2FlowUNet(image_size=32, base_filters=4, dilated=True, dilated_levels=2),
        lambda: ResNet2D(depth=10, num_classes=5, base_filters=4, stem="small"),
        lambda: StreamCNN(num_classes=5, width=4),
    ],
)
def test_keras_round_trip_identical_outputs(tmp_path, build):
    model = build()
    x = np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 3)).astype("f4")
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored) is type(model)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_resnet18_and_stage_features():
    net = ResNet2D(depth=18, num_classes=101)
    assert net.count_params() == 11_237_925  # torchvision's ResNet-18 with a 101-way head
    features = net.stage_features(2)
    assert features(np.zeros((1, 64, 64, 3), "f4")).shape == (1, 8, 8, 128)  # stride 8 after stage 2
    assert ResNet2D(depth=10, input_channels=24, stem="small", base_filters=8)(
        np.zeros((1, 16, 16, 24), "f4")
    ).shape == (1, 64)
