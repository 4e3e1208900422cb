"""Export for serving: a keras_motion inference model (uint8 in) as a TensorFlow SavedModel or an ONNX file.

What each format and backend can take (measured with Keras 3.15, TensorFlow 2.21, JAX 0.10, tf2onnx 1.17), past
the batch axis, which is always free:
- SavedModel from TensorFlow: free T, H and W (the model's own input shape).
- SavedModel from JAX (jax2tf): Im2Flow free H and W. The models that resize frames inside (`SquareResize`: MoSI,
  VRE + MRA, Pose from Action) get fixed H and W (default: the size they resize to; any other through
  `input_shape`): JAX's symbolic shapes cannot crop and resize a frame of unknown size. VRE + MRA keeps a free T;
  MoSI needs a fixed T (`input_shape`): its factorised Conv3D pads time by a traced amount.
- ONNX from TensorFlow (tf2onnx): free T; H and W fixed, as tf2onnx has no antialiased resize (`ScaleAndTranslate`)
  and its free-size version of Im2Flow's reflect padding gives wrong flow, so Im2Flow needs `input_shape`.
- Refused: the PyTorch backend (Keras exports SavedModels from TensorFlow and JAX only) and ONNX from JAX (Keras
  would need jax2onnx): export on TensorFlow; the `.keras` file loads on any backend.

Every export keeps the uint8 input (Keras' default signature would be float32).
"""

import os
import shutil

from keras_motion.errors import (
    InvalidArgumentError,
    KerasMotionError,
    MissingDependencyError,
    OutputPathError,
    UnsupportedSetupError,
)
from keras_motion.utils.files import atomic_path

FORMATS = ("saved_model", "onnx")
ENDPOINT = "serve"  # the SavedModel's endpoint; also its "serving_default" signature


def check_inference_model(model):
    """Refuses (`InvalidArgumentError`) a model that is not a keras_motion inference model; returns its
    `SquareResize` layers."""
    from keras_motion.models.inference import SquareResize, Uint8Inputs  # Keras: only when exporting

    if not isinstance(model, Uint8Inputs):
        raise InvalidArgumentError(
            f"model: {type(model).__name__} {getattr(model, 'name', '')!r} is not a keras_motion inference model "
            "(uint8 in, pre- and post-processing inside); pass `task.inference_model()` or load a saved "
            "`<method>_inference.keras` (`keras.saving.load_model` after `import keras_motion`)"
        )
    return [layer for layer in model.layers if isinstance(layer, SquareResize)]


def serving_input_shape(model, format="saved_model", input_shape=None):
    """The shape past the batch axis (None: free) that `export_model` gives the signature on this backend.

    `input_shape` (e.g. `(None, 112, 112, 3)` for clips of free length) is checked against the model and taken as
    is; `None` takes the model's own input shape, with H and W set to the size a `SquareResize` inside resizes frames
    to where the format or backend cannot resize an unknown size (see the module's table). ONNX needs H and W: a
    model without that size (Im2Flow) must be given them.
    """
    import keras

    resizers = check_inference_model(model)
    own = tuple(model.inputs[0].shape[1:])
    if input_shape is not None:
        shape = tuple(None if s is None else int(s) for s in input_shape)
        if len(shape) != len(own) or shape[-1] != own[-1] or any(s is not None and s < 1 for s in shape):
            raise InvalidArgumentError(
                f"input_shape: {tuple(input_shape)} does not fit {model.name}, whose inputs are {own} past the "
                f"batch axis; pass {len(own)} sizes ending with {own[-1]} (None: free), e.g. "
                f"{own[:-3] + (224, 224) + own[-1:]}"
            )
        return shape
    fixed_frames = format == "onnx" or keras.backend.backend() == "jax"
    if fixed_frames and resizers:
        return own[:-3] + (resizers[0].size, resizers[0].size) + own[-1:]
    if format == "onnx":
        raise InvalidArgumentError(
            f"input_shape: ONNX needs a fixed height and width for {model.name} (tf2onnx's export of its free-size "
            f"padding gives wrong outputs); pass input_shape={own[:-3] + (256, 320) + own[-1:]} (your images' "
            "size; --input-shape of tools/export.py), or export a SavedModel, which takes any size"
        )
    return own


def _writable(path):
    path = os.fspath(path)
    if os.path.lexists(path):
        raise OutputPathError(
            f"path: {path} already exists; export_model never overwrites: delete it or choose another path"
        )
    return path


def export_model(model, path, format="saved_model", input_shape=None, verbose=False):
    """Writes the inference `model` for serving at `path` (a folder for a SavedModel, a file for ONNX), atomically.

    SavedModel: endpoint and `serving_default` signature `serve(uint8 (B, [T,] H, W, 3))` → the model's outputs (a
    dict for several, e.g. `{"logits", "features"}`), made on the TensorFlow or JAX backend; load it with
    `tf.saved_model.load(path).serve(x)`. ONNX (made on TensorFlow, through tf2onnx): one uint8 input, outputs named
    as the model's (`onnxruntime.InferenceSession(path).run(None, {name: x})`).

    Args:
        model: a keras_motion inference model (`task.inference_model()`, or a loaded `<method>_inference.keras`).
        path: where to write; refused if it exists.
        format: "saved_model" or "onnx".
        input_shape: the input's shape past the batch axis, None for a free size; default `serving_input_shape`:
            as free as the format and backend allow (see this module's table).
        verbose: let Keras and tf2onnx print what they do.

    Returns the path written.
    """
    if format not in FORMATS:
        raise InvalidArgumentError(
            f"format: {format!r} is not one of {FORMATS}; pass format='saved_model' (a "
            "TensorFlow SavedModel folder) or 'onnx' (a .onnx file)"
        )
    import keras

    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax") or (format == "onnx" and backend != "tensorflow"):
        raise UnsupportedSetupError(
            f"format={format!r} cannot be exported on the {backend} backend (Keras exports SavedModels from "
            "TensorFlow and JAX, and keras_motion makes ONNX files through TensorFlow's tf2onnx); run with "
            f"KERAS_BACKEND={'tensorflow' if format == 'onnx' else 'tensorflow or jax'}: the .keras file loads on "
            "any backend"
        )
    shape = serving_input_shape(model, format, input_shape)
    path = _writable(path)
    import tensorflow as tf

    name = model.inputs[0].name  # "images" or "clips": the input's name in both formats
    spec = tf.TensorSpec((None,) + shape, tf.uint8, name=name)
    if format == "onnx":
        return _export_onnx(model, path, spec, verbose)
    try:
        with atomic_path(path) as tmp:
            os.remove(tmp)  # a folder goes there
            try:
                archive = keras.export.ExportArchive()
                archive.track_and_add_endpoint(ENDPOINT, model, [spec])
                archive.write_out(tmp, verbose=verbose)  # JAX converts (traces) here
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    except Exception as e:  # noqa: BLE001 — JAX's symbolic shapes failing to follow the model, named below
        if backend != "jax" or isinstance(e, KerasMotionError):
            raise
        raise UnsupportedSetupError(
            f"input_shape: the JAX backend cannot export {model.name} with the signature {(None,) + shape} (jax2tf's "
            f"symbolic shapes: {type(e).__name__}: {str(e).strip().splitlines()[0][:300]}); pass fixed sizes, e.g. "
            f"input_shape={tuple(8 if s is None else s for s in shape)}, or export on TensorFlow, which takes any "
            "size"
        ) from e
    return path


def _export_onnx(model, path, spec, verbose):
    try:
        import onnx  # noqa: F401 — tf2onnx writes through it
        import tf2onnx  # noqa: F401
    except ImportError as e:
        raise MissingDependencyError(
            f"format='onnx' needs tf2onnx and onnx ({e}); pip install tf2onnx onnx (both in keras_motion's [test] "
            "extra), and onnxruntime to serve the file"
        ) from None
    import contextlib
    import io
    import logging

    quiet = contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO())
    logging.getLogger("tf2onnx").setLevel(logging.INFO if verbose else logging.ERROR)
    with atomic_path(path) as tmp, quiet:
        model.export(tmp, format="onnx", input_signature=[spec], verbose=verbose)
    return path
