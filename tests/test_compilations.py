"""JAX compiles a program per input shape: keras_motion's training, prediction and weight initialisation keep to one
shape each — a tiny fit of two epochs with a last partial batch compiles its train step once, predictions on sets of
several sizes compile the predict step once, a new network's kernels of many shapes compile one random draw — and
its initialisers give Keras' own values on every backend. Behaviour only: compilations are counted, never timed."""

import contextlib

import keras
import numpy as np
import pytest

import keras_motion as km
from keras_motion.evaluation.recognition import FullBatches, class_probabilities, fit_stream
from keras_motion.models import initializers

needs_jax = pytest.mark.skipif(keras.backend.backend() != "jax", reason="counts JAX compilations")


@contextlib.contextmanager
def counted_compilations():
    """A list that collects the name of every XLA program JAX compiles inside the block."""
    import jax.monitoring

    names = []

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            names.append(kwargs.get("fun_name"))

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        yield names
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)


def _data(count, size=12, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (count, size, size, 3), dtype=np.uint8), rng.integers(0, classes, count)


@needs_jax
def test_a_fit_with_a_partial_last_batch_compiles_its_train_step_once():
    keras.utils.set_random_seed(0)
    model = km.models.StreamCNN(3, width=4)
    with counted_compilations() as names:
        fit_stream(model, _data(10), _data(6, seed=1), epochs=2, batch_size=4, verbose=0)  # 4 + 4 (+ 2 dropped)
    assert names.count("jit(train_step)") == 1, names


@needs_jax
def test_the_im2flow_unet_trains_on_one_batch_shape():
    splits, _ = km.im2flow.synthetic_splits(num_videos=12, num_frames=7, render_size=20, pairs_per_video=1)
    task = km.im2flow.Im2Flow(image_size=16, base_filters=4, epochs=2, batch_size=4, content_loss=False)
    with counted_compilations() as names:
        task.fit(splits["flow"], splits["val"])  # 6 pairs: one batch of 4 per epoch
    assert len(splits["flow"]["images"]) % 4
    assert names.count("jit(train_step)") == 1, names


@needs_jax
def test_predictions_on_sets_of_several_sizes_compile_the_predict_step_once():
    keras.utils.set_random_seed(0)
    model = km.models.StreamCNN(3, width=4)
    model(_data(1)[0])
    with counted_compilations() as names:
        scores = [class_probabilities(model, _data(n)[0], batch_size=4) for n in (3, 4, 5, 9)]
    assert [len(s) for s in scores] == [3, 4, 5, 9]
    assert names.count("jit(predict_step)") == 1, names
    # the padding changes no output: an item's scores do not depend on the set it is predicted in
    np.testing.assert_allclose(scores[2], scores[3][:5], atol=1e-6)


@needs_jax
def test_a_new_network_compiles_one_random_draw_for_all_its_kernel_shapes():
    keras.utils.set_random_seed(0)
    with counted_compilations() as names:
        km.im2flow.Im2FlowUNet(image_size=16, base_filters=5)  # kernels of shapes no other test draws
    assert names.count("jit(_uniform)") <= 1, names


@pytest.mark.parametrize("shape", [(3, 3, 5, 7), (11, 13), (17,), (3, 1, 1, 6, 6)])
@pytest.mark.parametrize(
    "ours, keras_own",
    [
        (initializers.GlorotUniform, keras.initializers.GlorotUniform),
        (initializers.HeNormal, keras.initializers.HeNormal),
    ],
)
def test_the_initialisers_give_keras_own_values(shape, ours, keras_own):
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(ours(seed=7)(shape)), keras.ops.convert_to_numpy(keras_own(seed=7)(shape))
    )
    a, b = keras.random.SeedGenerator(3), keras.random.SeedGenerator(3)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(ours(seed=a)(shape, "float16")),
        keras.ops.convert_to_numpy(keras_own(seed=b)(shape, "float16")),
    )


def test_models_take_the_initialisers_and_save_with_them(tmp_path):
    model = km.models.StreamCNN(3, width=4)
    kernels = [layer.kernel_initializer for layer in model.layers if hasattr(layer, "kernel_initializer")]
    assert kernels and all(isinstance(k, initializers.GlorotUniform) for k in kernels)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    x = _data(2)[0]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x)), atol=1e-6)


def test_full_batches_drop_the_last_partial_batch_and_reshuffle_every_epoch():
    x, y = np.arange(10)[:, None], np.arange(10)
    batches = FullBatches(x, y, batch_size=4, seed=0)
    first = np.concatenate([batches[i][1] for i in range(len(batches))])
    batches.on_epoch_end()
    second = np.concatenate([batches[i][1] for i in range(len(batches))])
    assert len(batches) == 2 and len(first) == len(second) == 8
    assert len(set(first)) == 8 and not np.array_equal(first, second)
    assert len(FullBatches(x[:3], y[:3], batch_size=4)) == 1  # a set smaller than a batch is one batch of itself
