"""TensorBoard event files written without TensorFlow: scalars, images and HParams sessions, on every Keras backend.

Keras' `TensorBoard` callback and `tf.summary` need TensorFlow, which the GPU machines (JAX / PyTorch) do not have, and
KerasTuner writes HParams only on TensorFlow. The `tensorboard` package alone holds what an event file is made of (the
protos, the record format, the HParams plugin's summaries), so keras_motion writes its logs with it, identically on
TensorFlow, JAX and PyTorch. The files read back with TensorBoard's own event readers and show in its Scalars, Images
and HParams dashboards. Keras-free (NumPy and OpenCV): a data worker may use it.
"""

import importlib.util
import os
import socket
import time

import numpy as np

from keras_motion.errors import ImageInputError, InvalidArgumentError
from keras_motion.utils.paths import check_output_dir

MISSING = (
    "tensorboard is not installed, so no TensorBoard logs are written (a CSV history and PNG pictures are "
    "written instead): `pip install tensorboard` to get them"
)


def tensorboard_available():
    """Whether the `tensorboard` package can be imported (TensorFlow is not needed)."""
    return importlib.util.find_spec("tensorboard") is not None


def _require_tensorboard():
    if not tensorboard_available():
        raise ImportError(MISSING)


class SummaryWriter:
    """Appends TensorBoard events to a new event file in `log_dir` (made on first write), without TensorFlow.

    Every write is flushed, so TensorBoard shows it while the job runs and nothing is lost when the job is killed.

    Args:
        log_dir: the run's folder (one TensorBoard run per folder).

    Example:

    >>> with SummaryWriter(log_dir) as writer:  # doctest: +SKIP
    ...     writer.scalar("epoch_loss", 0.5, step=0)
    ...     writer.image("flow/image_true_pred", grid_uint8, step=0)
    ...     writer.hparams({"learning_rate": 1e-3, "content_weight": 0.02}, trial_id="00")
    """

    _count = 0  # event files made by this process: part of each file's name, so two writers never share one

    def __init__(self, log_dir):
        _require_tensorboard()
        self.log_dir = check_output_dir(log_dir, "log_dir")  # a file there: refused now, not at the first write
        self._file = self._records = None

    def _write(self, summary, step=0):
        from tensorboard.compat.proto import event_pb2

        if self._file is None:
            from tensorboard.summary.writer.record_writer import RecordWriter

            os.makedirs(self.log_dir, exist_ok=True)
            SummaryWriter._count += 1
            name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}.{SummaryWriter._count}"
            self._file = open(os.path.join(self.log_dir, name), "wb")
            self._records = RecordWriter(self._file)
            self._records.write(
                event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2").SerializeToString()
            )
        event = event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary)
        self._records.write(event.SerializeToString())
        self._file.flush()

    def scalar(self, tag, value, step):
        """Logs the number `value` (a real number, a NumPy or backend scalar) as the scalar `tag` at `step`; anything
        else raises `InvalidArgumentError`."""
        from tensorboard.plugins.scalar.summary_v2 import scalar_pb

        try:  # numbers, NumPy and backend scalars convert; strings, None and many-element arrays do not
            number = None if isinstance(value, (bool, np.bool_)) or not hasattr(value, "__float__") else float(value)
        except (TypeError, ValueError, RuntimeError):
            number = None
        if number is None:
            raise InvalidArgumentError(
                f"scalar {tag!r}: expected a number, got {type(value).__name__} "
                f"{repr(value)[:60]}; log numbers only (a string goes into hparams)"
            )
        self._write(scalar_pb(tag, number), step)

    def image(self, tag, image, step):
        """Logs a uint8 RGB (H, W, 3) or grayscale (H, W[, 1]) picture as the image `tag` at `step` (PNG-encoded);
        anything else raises `ImageInputError` (before OpenCV, which would fail on e.g. 5 channels)."""
        import cv2
        from tensorboard.compat.proto import summary_pb2

        image = np.asarray(image)
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if (
            image.dtype != np.uint8
            or image.ndim not in (2, 3)
            or image.ndim == 3
            and image.shape[-1] != 3
            or image.size == 0
        ):
            raise ImageInputError(
                f"image {tag!r}: expected uint8 RGB (H, W, 3) or grayscale (H, W[, 1]) pixels, got "
                f"{image.dtype} {image.shape}; convert with keras_motion.transforms.to_uint8 and "
                "keep 3 channels (e.g. image[..., :3])"
            )
        ok, png = cv2.imencode(".png", image if image.ndim == 2 else image[..., ::-1])
        if not ok:
            raise ValueError(f"image {tag!r}: OpenCV could not encode a {image.shape} picture as PNG")
        picture = summary_pb2.Summary.Image(
            height=image.shape[0],
            width=image.shape[1],
            colorspace=1 if image.ndim == 2 else 3,
            encoded_image_string=png.tobytes(),
        )
        self._write(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, image=picture)]), step)

    def hparams(self, values, trial_id=None, start_time=None):
        """Starts an HParams session in this run: the trial `trial_id` with hyperparameter `values` ({name: bool,
        int, float or str}); its metrics are the scalars of this run's folder and its subfolders."""
        from tensorboard.plugins.hparams.summary_v2 import hparams_pb

        self._write(
            hparams_pb(_plain(values), trial_id=None if trial_id is None else str(trial_id), start_time_secs=start_time)
        )

    def end_session(self, status="success"):
        """Ends the HParams session: `status` "success", "failure" or "running"."""
        from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2
        from tensorboard.plugins.hparams.summary_v2 import _summary_pb

        info = plugin_data_pb2.SessionEndInfo(
            status=api_pb2.Status.Value(f"STATUS_{status.upper()}"), end_time_secs=time.time()
        )
        self._write(
            _summary_pb(metadata.SESSION_END_INFO_TAG, plugin_data_pb2.HParamsPluginData(session_end_info=info))
        )

    def hparams_config(self, hparams, metrics):
        """Declares an HParams experiment at the root of a search's logs: `hparams` {name: list of values, or a
        (low, high) tuple of numbers}, `metrics` [(tag, group)] e.g. `("epoch_loss", "validation")`."""
        from tensorboard.plugins.hparams import summary_v2 as hp

        domains = []
        for name, domain in hparams.items():
            if isinstance(domain, tuple):
                low, high = domain
                domain = (
                    hp.IntInterval(int(low), int(high))
                    if all(isinstance(v, int) for v in domain)
                    else hp.RealInterval(float(low), float(high))
                )
            else:
                domain = hp.Discrete([_plain_value(v) for v in domain])
            domains.append(hp.HParam(name, domain))
        self._write(hp.hparams_config_pb(domains, [hp.Metric(tag, group=group) for tag, group in metrics]))

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = self._records = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _plain_value(value):
    """A bool / int / float / str for the HParams protos (NumPy scalars and sequences made plain)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _plain(values):
    return {str(name): _plain_value(value) for name, value in values.items()}


def read_events(log_dir):
    """The events under `log_dir` as `{run: {"scalars": {tag: [(step, value)]}, "images": {tag: [(step, (h, w))]},
    "hparams": {name: value} or None, "trial": session group or None, "status": str or None[, "experiment":
    declared hparam names]}}` (run: the folder
    relative to `log_dir`, "." for itself), read with TensorBoard's own event loader (which migrates legacy scalar and
    image values to its plugins' tensors)."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.plugins.hparams import api_pb2, metadata
    from tensorboard.plugins.hparams import plugin_data_pb2 as hparams_data
    from tensorboard.util import tensor_util

    runs = {}
    for folder, _, files in sorted(os.walk(log_dir)):
        for name in sorted(files):
            if "tfevents" not in name:
                continue
            run = runs.setdefault(
                os.path.relpath(folder, log_dir),
                {"scalars": {}, "images": {}, "hparams": None, "trial": None, "status": None},
            )
            for event in EventFileLoader(os.path.join(folder, name)).Load():
                for value in event.summary.value:
                    plugin = value.metadata.plugin_data.plugin_name
                    if plugin == metadata.PLUGIN_NAME:
                        data = hparams_data.HParamsPluginData.FromString(value.metadata.plugin_data.content)
                        if data.HasField("session_start_info"):
                            start = data.session_start_info
                            run["trial"] = start.group_name
                            run["hparams"] = {k: getattr(v, v.WhichOneof("kind")) for k, v in start.hparams.items()}
                        elif data.HasField("experiment"):
                            run["experiment"] = sorted(info.name for info in data.experiment.hparam_infos)
                        elif data.HasField("session_end_info"):
                            run["status"] = api_pb2.Status.Name(data.session_end_info.status)[7:].lower()
                    elif plugin == "images":  # TensorBoard's loader migrates pictures to [width, height, png...]
                        width, height = (int(v) for v in value.tensor.string_val[:2])
                        run["images"].setdefault(value.tag, []).append((event.step, (height, width)))
                    elif plugin == "scalars":
                        run["scalars"].setdefault(value.tag, []).append(
                            (event.step, float(tensor_util.make_ndarray(value.tensor)))
                        )
    return runs
