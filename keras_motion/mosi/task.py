"""MoSI as one object: pseudo-motion pretext training, its held-out accuracy, few-shot finetuning against scratch and
Grad-CAM motion mass, with explicit settings and presets."""

import os

import keras
import numpy as np

from keras_motion import distribution as distribution_lib
from keras_motion.evaluation import (
    GradCamImages,
    compile_classifier,
    few_shot_finetune,
    grad_cam,
    grad_cam_clips,
    grad_cam_motion_mass,
    grad_cam_strip,
)
from keras_motion.models import R2D3D, R2Plus1D
from keras_motion.mosi.callbacks import PseudoMotionClips
from keras_motion.mosi.data import SourceImages
from keras_motion.mosi.model import pseudo_motion_classifier
from keras_motion.mosi.presets import PRESETS
from keras_motion.mosi.pseudo_motion import PseudoMotion
from keras_motion.task import Task, distributed
from keras_motion.utils.files import load_model
from keras_motion.utils.runs import Run

BACKBONES = {"r2plus1d": R2Plus1D, "r2d3d": R2D3D}


class MoSI(Task):
    """MoSI (Huang et al., CVPR 2021): pretrain a 3-D backbone to classify pseudo motions made from static images,
    then finetune it on few labeled videos.

    Input convention: source images are uint8 RGB of any size (arrays, decoded videos or file paths, see
    `SourceImages`); videos are uint8 (T, H, W, 3). The pseudo-motion generator runs on device as the first layer of
    the pretext model (square crop, motion, mask, jitter); the backbones rescale uint8 to [-1, 1] themselves.

    Args:
        backbone: the video backbone: "r2plus1d" (R(2+1)D) or "r2d3d" (R-2D3D).
        depth: 10 or 18 (None: 10 for R(2+1)D, 18 for R-2D3D).
        filters: stem and conv2..conv5 widths (None: the paper's, 64 64 128 256 512).
        stem: "video" (the paper's strided stem) or "small" (3×3, stride 1).
        dropout: dropout before the classifier head of the pretext and finetuned models (the paper's 0.5).
        num_frames: N, the clip length (the paper: 16).
        crop_size: L, the clip size (the paper: 112).
        source_size: L_s, the side of the source squares (the paper: 320).
        speeds: K speeds per direction (C_T = 4K + 1 labels with "xy").
        axes: the axes the crop window moves along: "x", "y" or "xy".
        mask_size: side of the moving square as a fraction of L: a (low, high) range or one value; None: unmasked.
        jitter: colour jitter and random grayscale.
        frame_wise_jitter: jitter every frame on its own (the paper) or whole clips (in a short CPU run, per-frame
            flicker holds the masked task near chance for longer).
        pretext_epochs: epochs of (masked) MoSI.
        unmasked_epochs: epochs of unmasked MoSI without jitter before the masked ones: a warm start for short runs
            (not in the paper).
        pretext_warmup: warm-up epochs of each pretext phase (the paper: 10 of 100).
        batch_images: source images per batch (× C_T clips).
        pretext_learning_rate: the pretext peak learning rate (Adam).
        pretext_weight_decay: the pretext weight decay.
        shots: labeled videos per class for finetuning.
        seeds: finetuning repetitions, each a few-shot draw and initialisation (seeds `seed + 1000 k`, k = 1..seeds).
        finetune_epochs: finetuning epochs.
        finetune_warmup: finetuning warm-up epochs.
        finetune_learning_rate: the finetuning peak learning rate (Adam).
        finetune_weight_decay: the finetuning weight decay.
        finetune_batch_size: the finetuning batch size (clips).
        freeze_stages: freeze conv1..convK of the MoSI-initialised model when finetuning.
        eval_clips: clips per test video.
        seed: seed of the initialisation, the generator and the batches.
        run: a `km.utils.Run` (logs, checkpoints, models, progress); `None` writes nothing.
        distribution: train on several devices: "data_parallel" (all of them) or a Keras distribution / TensorFlow
            strategy (see `keras_motion.distribution`). `batch_images` and `finetune_batch_size` must divide across
            them; the batches then drop their last partial one, and an evaluation covers a multiple of the device
            count of its items (at most devices − 1 left out). Each device generates the pseudo motions of its own
            images, the ones one device would generate for them.

    Example:

    >>> task = MoSI.from_preset("quick", unmasked_epochs=0)
    >>> images = [np.random.default_rng(i).integers(0, 255, (40, 48, 3), "uint8") for i in range(4)]
    >>> backbone = task.pretrain(images)
    >>> report = task.evaluate_pretext(images)
    >>> report["chance"], len(report["labels"])
    (0.1111111111111111, 9)

    Reference: Huang et al., "Self-supervised Motion Learning from Static Images", CVPR 2021, §3 (pseudo motions,
    static masks) and §4 (pretext and finetuning settings, Grad-CAM).
    """

    PRESETS = PRESETS

    def __init__(
        self,
        backbone="r2plus1d",
        depth=None,
        filters=(16, 16, 32, 64, 128),
        stem="video",
        dropout=0.5,
        num_frames=8,
        crop_size=40,
        source_size=80,
        speeds=2,
        axes="xy",
        mask_size=(0.3, 0.5),
        jitter=True,
        frame_wise_jitter=False,
        pretext_epochs=12,
        unmasked_epochs=3,
        pretext_warmup=1,
        batch_images=4,
        pretext_learning_rate=1e-3,
        pretext_weight_decay=1e-4,
        shots=5,
        seeds=3,
        finetune_epochs=40,
        finetune_warmup=4,
        finetune_learning_rate=1e-3,
        finetune_weight_decay=1e-3,
        finetune_batch_size=10,
        freeze_stages=0,
        eval_clips=10,
        seed=0,
        run=None,
        distribution=None,
    ):
        if backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {sorted(BACKBONES)}, got {backbone!r}")
        self.backbone_name, self.depth = backbone, depth or (10 if backbone == "r2plus1d" else 18)
        self.filters, self.stem, self.dropout = filters, stem, float(dropout)
        self.num_frames, self.crop_size, self.source_size = int(num_frames), int(crop_size), int(source_size)
        self.speeds, self.axes, self.mask_size = speeds, axes, mask_size
        self.jitter, self.frame_wise_jitter = bool(jitter), bool(frame_wise_jitter)
        self.pretext_epochs, self.unmasked_epochs, self.pretext_warmup = pretext_epochs, unmasked_epochs, pretext_warmup
        self.batch_images, self.pretext_learning_rate = batch_images, pretext_learning_rate
        self.pretext_weight_decay = pretext_weight_decay
        self.shots, self.seeds = int(shots), int(seeds)
        self.finetune_epochs, self.finetune_warmup = finetune_epochs, finetune_warmup
        self.finetune_learning_rate = finetune_learning_rate
        self.finetune_weight_decay, self.finetune_batch_size = finetune_weight_decay, finetune_batch_size
        self.freeze_stages, self.eval_clips, self.seed = freeze_stages, eval_clips, int(seed)
        self.run = run or Run(None, verbose=False)
        self.distribution = distribution_lib.get(distribution)
        if self.distribution is not None:
            distribution_lib.check_batch(self.batch_images, self.distribution, "batch_images")
            distribution_lib.check_batch(self.finetune_batch_size, self.distribution, "finetune_batch_size")
        # One generator for masked training and evaluation: its random state carries on from one to the other.
        self.generator = self.make_generator(self.seed)  # in the distribution's scope: its random state too
        self.backbone = None

    @property
    def finetune_seeds(self):
        """The seed of each finetuning repetition: `seed + 1000 k`, k = 1..`seeds`.

        >>> MoSI(seed=3, seeds=2).finetune_seeds
        [1003, 2003]
        """
        return [self.seed + 1000 * (k + 1) for k in range(self.seeds)]

    @distributed
    def make_generator(self, seed, mask=True, jitter=True):
        """The `PseudoMotion` layer of these settings (`mask=False` / `jitter=False`: without masks / jitter).

        Args:
            seed: the generator's seed; mask, jitter: `False` turns masks / colour jitter off.

        Example:

        >>> gen = MoSI.from_preset("quick").make_generator(0, mask=False)
        >>> gen.num_classes, gen.mask_size, gen.crop_size
        (9, None, 16)

        Reference: MoSI §3.1-3.2 (pseudo motions, static masks).
        """
        jitter = jitter and self.jitter
        return PseudoMotion(
            num_frames=self.num_frames,
            crop_size=self.crop_size,
            source_size=self.source_size,
            speeds=self.speeds,
            axes=self.axes,
            mask_size=self.mask_size if mask else None,
            color_jitter=(0.4, 0.4, 0.4, 0.1) if jitter else None,
            grayscale=0.3 if jitter else 0.0,
            frame_wise_jitter=self.frame_wise_jitter,
            seed=seed,
        )

    def make_backbone(self, num_classes, name=None):
        """A fresh video classifier of these settings (logits, `dropout` before the head).

        Args:
            num_classes: the classes of the head; name: the model's name.

        Example:

        >>> net = MoSI.from_preset("quick").make_backbone(6)
        >>> tuple(net(np.zeros((1, 4, 16, 16, 3), "uint8")).shape)
        (1, 6)

        Reference: MoSI §4.1 (R(2+1)D-10 and R-2D3D-18 backbones).
        """
        return BACKBONES[self.backbone_name](
            depth=self.depth,
            num_classes=num_classes,
            filters=self.filters,
            stem=self.stem,
            dropout=self.dropout,
            name=name,
        )

    def _even(self, items):
        """`items` cut to a multiple of the device count (all of them on one device)."""
        return None if items is None else items[: distribution_lib.evenly(len(items), self.distribution)]

    # ------------------------------------------------------------------------------------------------- pretext
    @distributed
    def build_pretext(self):
        """A new, uncompiled pretext model (`pseudo_motion_classifier`): `self.generator` → a fresh backbone of
        C_T classes named "mosi_backbone" (seed Keras first for reproducible weights).

        Example:

        >>> model = MoSI.from_preset("quick").build_pretext()
        >>> tuple(model(np.zeros((2, 32, 32, 3), "uint8")).shape)
        (18, 9)

        Reference: MoSI §3.3 (same-batch pseudo-motion classification).
        """
        backbone = self.make_backbone(self.generator.num_classes, name="mosi_backbone")
        return pseudo_motion_classifier(self.generator, backbone)

    @staticmethod
    def pretext_parts(model):
        """`(generator, backbone)`: the `PseudoMotion` layer and the clip classifier of a pretext model."""
        generator = next(layer for layer in model.layers if isinstance(layer, PseudoMotion))
        return generator, model.layers[-1]

    @distributed
    def pretrain(self, sources, heldout_sources=None, grad_cam_clips=None, reuse=False):
        """Trains the backbone on pseudo motions of `sources` (`build_pretext`, then `train_pretext`). Saves
        `<out>/pretext_backbone.keras`; a killed phase resumes from its last epoch (`<out>/backup`).

        Args:
            sources: training source images (see `SourceImages`).
            heldout_sources: validated on every third of each phase, or `None`.
            grad_cam_clips: a few clips (B, N, H, W, 3) whose Grad-CAM strips are logged during training.
            reuse: load `<out>/pretext_backbone.keras` of an earlier run instead of training, when it exists.

        Returns:
            The pretrained backbone (also `self.backbone`).

        Example:

        >>> task = MoSI.from_preset("cpu", run=km.utils.Run("runs/mosi"))  # doctest: +SKIP
        >>> task.pretrain(train_sources, heldout_sources)  # doctest: +SKIP

        Reference: MoSI §3.3 (same-batch training) and §4.1 (pretext schedule).
        """
        path = self.run.path("pretext_backbone.keras")
        if reuse and path and os.path.exists(path):
            self.run.log(f"reusing {path}")
            self.backbone = load_model(path)
            return self.backbone
        keras.utils.set_random_seed(self.seed)
        model = self.build_pretext()
        backbone = self.pretext_parts(model)[1]
        self.run.log(
            f"pretext: {backbone.count_params():,} parameters, {len(sources)} source images × "
            f"{self.generator.num_classes} labels per epoch, {len(heldout_sources or ())} held out"
        )
        settings = {**self.get_config(), "sources": len(sources), "heldout_sources": len(heldout_sources or ())}
        self.train_pretext(model, sources, heldout_sources, grad_cam_clips=grad_cam_clips, settings=settings)
        self.run.save_model(backbone, "pretext_backbone.keras")
        self.backbone = backbone
        return backbone

    @distributed
    def train_pretext(
        self,
        model,
        sources,
        heldout_sources=None,
        callbacks=None,
        log_dir=None,
        epochs=None,
        initial_epoch=0,
        grad_cam_clips=None,
        drop_remainder=False,
        settings=None,
    ):
        """Trains the pretext `model` (`build_pretext`) on pseudo motions of `sources`: starting from epoch 0,
        first `unmasked_epochs` of unmasked MoSI without jitter (its backbone behind an easy generator), then
        epochs `initial_epoch`..`epochs` (default `pretext_epochs`) of MoSI with the model's own generator;
        same-batch labels, Adam with warm-up and half cosine per phase. Each phase takes the run's callbacks (with
        `settings`: its backup, and a phase the run finished is restored instead of trained); `callbacks` join the
        MoSI phase, whose pictures (`PseudoMotionClips`, and `GradCamImages` of `grad_cam_clips`) go to `log_dir`
        (default: the run's `logs/pretext/<phase>`, as the warm-up phase's).

        Args:
            model: the pretext model; sources, heldout_sources: as `pretrain`'s.
            callbacks: more callbacks of the MoSI phase (e.g. a tuner's); log_dir: its pictures, or `None`.
            epochs, initial_epoch: the MoSI phase's (a tuner's budget).
            grad_cam_clips: a few clips (B, N, H, W, 3) whose Grad-CAM strips are logged, or `None`.
            drop_remainder: leave out each epoch's last, partial batch (`SourceImages`): one batch shape, so that
                JAX compiles one training step per phase.
            settings: the run's record of this training (`pretrain`'s), or `None`.

        Returns:
            The MoSI phase's Keras `History` (`None` when the run had finished it).

        Reference: MoSI §3.3 (same-batch training) and §4.1 (pretext schedule).
        """
        backbone = self.pretext_parts(model)[1]
        epochs = self.pretext_epochs if epochs is None else int(epochs)
        phases = [("masked", model, epochs)]
        if self.unmasked_epochs and not initial_epoch:  # a resumed tuner trial carries on from its weights
            easy = self.make_generator(self.seed + 1, mask=False, jitter=False)
            phases.insert(0, ("unmasked", pseudo_motion_classifier(easy, backbone), self.unmasked_epochs))
        history = None
        for phase, phase_model, phase_epochs in phases:
            generator, tuned = self.pretext_parts(phase_model)[0], phase_model is model
            train = SourceImages(
                sources,
                generator,
                self.batch_images,
                seed=self.seed,
                drop_remainder=drop_remainder or self.distribution is not None,
            )
            compile_classifier(
                phase_model,
                self.pretext_learning_rate,
                self.pretext_weight_decay,
                phase_epochs * len(train),
                self.pretext_warmup * len(train),
            )
            name = os.path.join("pretext", phase)
            # A phase an earlier run finished: its weights and generator state (evaluation carries it on) back.
            if self.run.restore_phase(name, settings, {"model": phase_model}) is not None:
                continue
            phase_callbacks = self.run.callbacks(name, data=train, settings=settings)
            phase_callbacks += list(callbacks or ()) if tuned else []
            pictures = log_dir if tuned and log_dir is not None else self.run.log_dir(name)
            if pictures is not None:
                every = max(1, phase_epochs // 3)
                if grad_cam_clips is not None:
                    phase_callbacks.append(GradCamImages(grad_cam_clips, pictures, every=every, model=backbone))
                shown = SourceImages((heldout_sources or sources)[:1], generator, 1, training=False).squares(0)[0]
                phase_callbacks.append(
                    PseudoMotionClips(generator, shown, pictures, every=every, model=backbone, seed=self.seed)
                )
            heldout = (
                None
                if not heldout_sources
                else SourceImages(self._even(heldout_sources), generator, self.batch_images, training=False)
            )
            self.run.log(f"pretext, {phase} MoSI: {phase_epochs} epochs")
            # The sources shuffle themselves per (seed, epoch): Keras' own shuffling of the batch order would draw
            # on Python's global random state, which a data-parallel strategy consumes differently from one device.
            fitted = phase_model.fit(
                train,
                validation_data=heldout,
                validation_freq=max(1, phase_epochs // 3),
                epochs=phase_epochs,
                initial_epoch=initial_epoch if tuned else 0,
                shuffle=False,
                callbacks=phase_callbacks,
                verbose=2 if self.run.verbose else 0,
            )
            if tuned:
                history = fitted
            self.run.finish_phase(name, settings, {"epochs": phase_epochs}, {"model": phase_model})
        return history

    def _require_backbone(self):
        return self.fitted(
            "backbone", "call pretrain(...) first (or set task.backbone to a loaded pretext_backbone.keras)"
        )

    def inference_model(self):
        """The pretrained backbone as a self-contained model, `MoSIInference`: uint8 clips of any size → its
        pseudo-motion logits and pooled features (frames resized to `crop_size` inside). The recipe saves it as
        `mosi_inference.keras`."""
        from keras_motion.mosi.inference import MoSIInference

        return MoSIInference(self._require_backbone(), crop_size=self.crop_size)

    @distributed
    def evaluate_pretext(self, sources):
        """Pseudo-motion accuracy of the pretrained backbone on `sources` (held-out images: centred starts and
        crops, in order): `{"heldout_accuracy", "chance", "labels", "heldout_sources"}`.

        Args:
            sources: source images never trained on (see `SourceImages`).

        Example:

        >>> task.evaluate_pretext(heldout_sources)["heldout_accuracy"]  # doctest: +SKIP

        Reference: MoSI §4.3 (the pretext task's accuracy).
        """
        model = pseudo_motion_classifier(self.generator, self._require_backbone())
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        keras.utils.set_random_seed(self.seed + 7)
        sources = self._even(sources)
        data = SourceImages(sources, self.generator, self.batch_images, training=False)
        accuracy = float(model.evaluate(data, verbose=0, return_dict=True)["accuracy"])
        chance = 1 / self.generator.num_classes
        self.run.log(f"held-out pretext accuracy: {accuracy:.3f} (chance {chance:.3f})")
        return {
            "heldout_accuracy": accuracy,
            "chance": chance,
            "labels": self.generator.label_pool,
            "heldout_sources": len(sources),
        }

    # ------------------------------------------------------------------------------------------------ finetune
    @distributed
    def finetune(self, videos, labels, test_videos, test_labels, class_names=None, seeds=None, scratch=True):
        """Few-shot finetuning, MoSI-initialised against scratch (same random weights where not copied), `seeds`
        repetitions, each drawing `shots` videos per class anew; multi-clip (`eval_clips`) evaluation, video- and
        clip-level. Finished runs are kept in `<out>/finetune_runs.json` and skipped when called again; without a
        pretrained backbone only scratch runs. A search scores a backbone with `seeds=[one]` and `scratch=False` on
        validation videos.

        Args:
            videos, labels: the labeled pool (decoded uint8 videos (T, H, W, 3)).
            test_videos, test_labels: held-out videos (any sequence of videos, e.g. lazy `km.video.VideoFrames`).
            class_names: the class names (default: `0..max label`).
            seeds: the repetitions' seeds (default: `finetune_seeds`).
            scratch: also finetune from scratch (the gain's baseline); `False` needs a pretrained backbone.

        Returns:
            `km.evaluation.few_shot_finetune`'s report (per initialisation mean, std and runs; the gain) with
            `classes`.

        Example:

        >>> pool, test, names, _ = km.evaluation.labeled_video_splits(ucf101="UCF101", shots=5, repeats=3,
        ...                                                           size=128)  # doctest: +SKIP
        >>> report = task.finetune(*pool, *test, names)  # doctest: +SKIP

        Reference: MoSI §4.1 (finetuning) and Table 3 (few labeled videos per class).
        """
        labels = np.asarray(labels)
        class_names = list(class_names) if class_names is not None else [str(c) for c in range(labels.max() + 1)]
        num_classes = len(class_names)

        def fresh(name):
            return self.make_backbone(num_classes, name=name)

        def mosi(name):
            model = fresh(name)
            model.transfer_backbone(self.backbone)
            return model.freeze_stages(self.freeze_stages)

        if not scratch:
            self._require_backbone()
        batch = self.finetune_batch_size
        if self.distribution is not None:  # a few-shot set below one batch: one batch of it, as on one device
            drawn = int(np.minimum(np.bincount(labels, minlength=num_classes), self.shots).sum())
            batch = min(batch, distribution_lib.evenly(drawn, self.distribution))
            if batch == 0:
                raise distribution_lib.DistributionError(
                    f"the few-shot set of {drawn} video(s) does not fill one batch across "
                    f"{distribution_lib.replicas(self.distribution)} devices: use more shots or fewer devices"
                )
        inits = {"mosi": mosi} if self.backbone is not None else {}
        inits.update({"scratch": fresh} if scratch else {})
        report = few_shot_finetune(
            inits,
            videos,
            labels,
            test_videos,
            test_labels,
            num_classes=num_classes,
            shots=self.shots,
            seeds=self.finetune_seeds if seeds is None else list(seeds),
            clip_len=self.num_frames,
            crop_size=self.crop_size,
            epochs=self.finetune_epochs,
            warmup_epochs=self.finetune_warmup,
            learning_rate=self.finetune_learning_rate,
            weight_decay=self.finetune_weight_decay,
            batch_size=batch,
            eval_clips=self.eval_clips,
            run=self.run,
            drop_remainder=self.distribution is not None,
        )
        return {**report, "classes": class_names}

    # ------------------------------------------------------------------------------------------------ Grad-CAM
    def grad_cam_clips(self, videos, flows=None, count=24):
        """Centre clips of the first `count` videos for `grad_cam`: whole frames with their moving pixels when the
        exact `flows` are known, else `crop_size` crops (`km.evaluation.grad_cam_clips`).

        Args:
            videos: decoded videos (T, H, W, 3); flows: their exact flows, or `None`; count: at most this many.

        Example:

        >>> clips, regions = MoSI.from_preset("quick").grad_cam_clips([np.zeros((6, 20, 24, 3), "uint8")])
        >>> clips.shape, regions
        ((1, 4, 16, 16, 3), None)

        Reference: MoSI §4.4 (Grad-CAM).
        """
        return grad_cam_clips(
            videos, self.num_frames, crop_size=None if flows is not None else self.crop_size, flows=flows, count=count
        )

    def grad_cam(self, clips, regions=None, fine=None):
        """Grad-CAM of the pretrained (not finetuned) backbone, predicted pseudo-motion class: `<out>/gradcam.png`
        (the first 6 clips), and with the moving `regions` the motion mass ratio (heat mass inside the moving pixels
        ÷ their area share) of conv5 and conv4; `fine`: the same videos as `(clips, regions)` at a larger size
        (`<out>/gradcam_fine.png`), where the conv5 maps are larger.

        Args:
            clips: (B, N, L, L, 3) clips; regions: bool (B, N, L, L) moving pixels, or `None`.
            fine: `(clips, regions)` of the same videos at a larger size, or `None`.

        Example:

        >>> cam = task.grad_cam(*task.grad_cam_clips(test.frames, test.flows))  # doctest: +SKIP

        Returns:
            `None` without regions, else `{"at_training_size": {...}, "at_gradcam_size": {...} (with fine),
            "motion_mass_ratio": conv5 of the last, "clips", "what"}`.

        Reference: MoSI §4.4 and Fig. 4 (Grad-CAM of the last conv stage of the pretext model).
        """
        backbone = self._require_backbone()
        self._strip(clips[:6], "gradcam.png")
        if regions is None:
            return None
        result = {"at_training_size": grad_cam_motion_mass(backbone, clips, regions)}
        if fine is not None:
            result["at_gradcam_size"] = grad_cam_motion_mass(backbone, *fine)
            self._strip(fine[0][:6], "gradcam_fine.png")
        main = result.get("at_gradcam_size", result["at_training_size"])
        result.update(
            motion_mass_ratio=main["conv5"],
            clips=int(len(clips)),
            what="heat-map mass inside pixels moving > 0.5 px (exact flow) / their area share; held-out "
            "videos, pretext-only backbone, predicted pseudo-motion class; motion_mass_ratio = conv5 "
            "at the larger size when given",
        )
        self.run.log(f"Grad-CAM motion mass ratio (pretext only, conv5): {result['motion_mass_ratio']:.2f}")
        return result

    def _strip(self, clips, name):
        path = self.run.path(name)
        if path is not None:
            from keras_motion.flow.grid import save_png

            save_png(path, grad_cam_strip(clips, grad_cam(self.backbone, clips)[0]))
