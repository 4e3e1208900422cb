"""PASCAL VOC 2010-2012 Actions (Everingham et al.): one item per annotated person box, as distributed."""

import math
import os
import re
import warnings
import xml.etree.ElementTree as ET

import numpy as np

from keras_motion.datasets.base import ImageDataset
from keras_motion.datasets.folders import _CaseInsensitiveDir
from keras_motion.datasets.splits import listed_path, numbered_lines
from keras_motion.errors import DatasetLayoutError

# The ten action classes of VOC 2011/2012 in the devkit's order (VOC 2010 has all but jumping, new in 2011).
VOC_ACTIONS = (
    "jumping",
    "phoning",
    "playinginstrument",
    "reading",
    "ridingbike",
    "ridinghorse",
    "running",
    "takingphoto",
    "usingcomputer",
    "walking",
)
OTHER = "other"  # "none of the above": the task's distractors, excluded unless keep_other=True
SUBSETS = ("train", "val", "trainval")
MULTI_LABEL_RULES = ("skip", "first")

_LAYOUT = (
    "<VOC20XX>/ImageSets/Action/{subset}.txt and/or <action>_{subset}.txt, <VOC20XX>/Annotations/<id>.xml, "
    "<VOC20XX>/JPEGImages/<id>.jpg"
)


def person_window(box, height, width, context=0.1, square=False):
    """The `(top, bottom, left, right)` pixel window of a person box in a `height` x `width` image.

    `box` is `(x0, y0, x1, y1)`, 0-based and end-exclusive. Each side moves out by `context` times the box's width
    (left, right) or height (top, bottom). `square=True` then grows the short side to the long one about the centre
    and shifts the window back inside the image where it fits. The window is finally clipped to the image.

    >>> person_window((10, 20, 30, 60), 100, 100, context=0.1)
    (16, 64, 8, 32)
    >>> person_window((10, 20, 30, 60), 100, 100, context=0.0, square=True)
    (20, 60, 0, 40)
    """
    if context < 0:
        raise ValueError(f"context must be >= 0, got {context}")
    x0, y0, x1, y1 = (float(v) for v in box)
    dx, dy = context * (x1 - x0), context * (y1 - y0)
    x0, x1, y0, y1 = x0 - dx, x1 + dx, y0 - dy, y1 + dy
    spans = [[y0, y1, height], [x0, x1, width]]
    if square:
        side = max(y1 - y0, x1 - x0)
        for span in spans:
            centre = (span[0] + span[1]) / 2
            lo, hi = centre - side / 2, centre + side / 2
            if side <= span[2]:  # fits: slide it inside rather than cut it, so that it stays square
                shift = max(0.0, -lo) - max(0.0, hi - span[2])
                lo, hi = lo + shift, hi + shift
            span[0], span[1] = lo, hi
    window = []
    for lo, hi, limit in spans:
        lo, hi = min(max(0, math.floor(lo + 0.5)), limit - 1), min(max(0, math.floor(hi + 0.5)), limit)
        window += [lo, max(hi, lo + 1)]  # at least one pixel, even for a degenerate box
    return tuple(window)


def _flag(text):
    return float((text or "").strip()) > 0


def _read_objects(path):
    """Every `<object>` of a VOC annotation, in file order: `(name, box or None, {action: bool} or None)`."""
    objects = []
    for obj in ET.parse(path).getroot().findall("object"):
        name = (obj.findtext("name") or "").strip().lower()
        box = None
        bndbox = obj.find("bndbox")
        if bndbox is not None:
            # VOC pixel coordinates are 1-based and inclusive: (xmin - 1, xmax) is 0-based and end-exclusive.
            xmin, ymin, xmax, ymax = (float(bndbox.findtext(k).strip()) for k in ("xmin", "ymin", "xmax", "ymax"))
            box = (xmin - 1, ymin - 1, xmax, ymax)
        actions = obj.find("actions")
        flags = None if actions is None else {child.tag.strip().lower(): _flag(child.text) for child in actions}
        objects.append((name, box, flags))
    return objects


def _find_voc_dir(root, year):
    """`root` itself, `root/VOC20XX` or `root/VOCdevkit/VOC20XX` (newest year first), whichever has ImageSets/Action."""
    wanted = None if year is None else f"VOC{year}"

    def years(directory):
        try:
            names = os.listdir(directory)
        except OSError:
            return []
        names = sorted((n for n in names if re.fullmatch(r"VOC20\d\d", n)), reverse=True)
        return [os.path.join(directory, n) for n in names if wanted in (None, n)]

    own = os.path.basename(os.path.normpath(root))
    candidates = [] if (wanted and re.fullmatch(r"VOC20\d\d", own) and own != wanted) else [root]
    candidates += years(root) + years(os.path.join(root, "VOCdevkit"))
    for candidate in candidates:
        if os.path.isdir(os.path.join(candidate, "ImageSets", "Action")):
            return candidate
    where = (
        f"{root}/ImageSets/Action, {root}/VOC{year or '20XX'}/ImageSets/Action or "
        f"{root}/VOCdevkit/VOC{year or '20XX'}/ImageSets/Action"
    )
    raise DatasetLayoutError(
        f"VOCActions: no action image sets found: none of {where} exists. Expected the official layout "
        f"{_LAYOUT.format(subset='train')}. Unpack VOCtrainval_11-May-2012.tar (or the 2010/2011 trainval archive) "
        "and pass its VOCdevkit folder, or the VOC20XX folder inside it."
    )


def _read_class_list(path):
    """`<image id> <object index> <1|-1|0>` lines of `<action>_<subset>.txt` → [(id, index, value)]."""
    rows = []
    for number, line in numbered_lines(path, "VOCActions"):
        parts = line.split()
        try:
            image_id, index, value = parts[0], int(parts[1]), int(parts[2])
            if len(parts) != 3 or index < 1 or value not in (-1, 0, 1):
                raise ValueError
        except (IndexError, ValueError):
            raise DatasetLayoutError(
                f"VOCActions: {path} line {number} is {line!r}; expected '<image id> <object index> <1|-1|0>' "
                "(e.g. '2010_006088 1 -1'), as in the devkit's ImageSets/Action lists."
            ) from None
        image_id = listed_path(image_id, "JPEGImages/ and Annotations/", path, number, line, "VOCActions")
        rows.append((image_id, index, value))
    return rows


def _read_class_lists(action_dir, subset):
    """The actions with an `<action>_<subset>.txt` list (devkit order first) and {(id, index): {action: value}}."""
    suffix = f"_{subset}.txt"
    names = [n[: -len(suffix)] for n in os.listdir(action_dir) if n.endswith(suffix)]
    actions = [a for a in VOC_ACTIONS if a in names] + sorted(a for a in names if a not in VOC_ACTIONS + (OTHER,))
    values = {}
    for action in actions:
        for image_id, index, value in _read_class_list(os.path.join(action_dir, action + suffix)):
            values.setdefault((image_id, index), {})[action] = value
    return actions, values


def _subset_persons(action_dir, subset, list_values, layout):
    """{image id: listed object indices, or None for every object with an <actions> block}, sorted by id."""
    if list_values:
        persons_of = {}
        for image_id, index in sorted(list_values):
            persons_of.setdefault(image_id, []).append(index)
        return persons_of
    ids_file = os.path.join(action_dir, subset + ".txt")
    if not os.path.isfile(ids_file):
        raise DatasetLayoutError(
            f"VOCActions: neither {ids_file} nor any <action>_{subset}.txt in {action_dir} lists the {subset!r} "
            f"persons; expected {layout}."
        )
    ids = {
        listed_path(line.split()[0], "JPEGImages/ and Annotations/", ids_file, number, line, "VOCActions")
        for number, line in numbered_lines(ids_file, "VOCActions")
    }
    return {image_id: None for image_id in sorted(ids)}


def _read_persons(voc, persons_of, list_values):
    """Reads each image's annotation once → person records `(image path, box, id, index, flags, where)`, the
    `(where, reason)` of what had to be skipped, and the action tags seen."""
    lookup = _CaseInsensitiveDir()
    records, skipped, found_actions = [], [], set()
    for image_id, wanted in persons_of.items():
        xml_path = os.path.join(voc, "Annotations", image_id + ".xml")
        try:
            objects = _read_objects(xml_path)
        except FileNotFoundError:
            skipped.append((xml_path, "annotation missing"))
            continue
        except (OSError, ET.ParseError, ValueError, TypeError, AttributeError) as e:
            skipped.append((xml_path, f"annotation unparsable ({type(e).__name__}: {e})"))
            continue
        image_path = lookup.find(os.path.join(voc, "JPEGImages"), image_id + ".jpg")
        if image_path is None:
            skipped.append((os.path.join(voc, "JPEGImages", image_id + ".jpg"), "missing"))
            continue
        if wanted is None:  # no per-class lists: every object with an <actions> block takes part
            wanted = [k + 1 for k, (_, _, flags) in enumerate(objects) if flags is not None]
        for index in wanted:
            where = f"{xml_path} object {index}"
            if index > len(objects) or objects[index - 1][0] != "person":
                skipped.append((where, "listed person not in the annotation"))
                continue
            _, box, flags = objects[index - 1]
            if box is None or box[2] <= box[0] or box[3] <= box[1]:
                skipped.append((where, "person without a valid <bndbox>"))
                continue
            if flags is None:  # no <actions> block: the lists' +1 entries (a 0 there means "not annotated")
                flags = {a: v == 1 for a, v in list_values[image_id, index].items()}
            found_actions.update(flags)
            records.append((image_path, box, image_id, index, flags, where))
    return records, skipped, found_actions


class VOCActions(ImageDataset):
    """PASCAL VOC 2010/2011/2012 Action Classification persons of the official train, val or trainval set.

    One item per annotated person: `paths[i]` is its image (an image with several persons appears once per person),
    `boxes[i]` its box `(x0, y0, x1, y1)` (0-based, end-exclusive pixels), `labels[i]` its action and `load(i)` the
    person crop: the box grown by `context` (a fraction of its width / height on each side, 0.1 by default: some
    surroundings — horse, bike, instrument — help), optionally made square, clipped to the image, then resized as
    `ImageDataset.load` does. `crop=False` gives whole images instead.

    `root` is the `VOC20XX` folder or a folder holding it (`VOCdevkit`, or the folder the archive was unpacked in;
    the newest year unless `year=` is given). The persons of a subset are the `(image id, object index)` pairs of
    `ImageSets/Action/<action>_<subset>.txt` (index 1-based over all `<object>`s of the annotation), or, without
    these lists, every `<object>` with an `<actions>` block in the images of `ImageSets/Action/<subset>.txt`.
    Classes are the actions with a list file (else the action tags of the annotations) in the devkit order
    (`VOC_ACTIONS`; VOC 2010 lacks jumping); a person's actions are the 0/1 flags of its `<actions>` block (the
    lists' +1 entries for a person without one; a 0 there, "not annotated for this action", counts as negative).
    Persons of one image share `image_ids[i]`: split by it (`split_groups(ds.image_ids, ...)`) to keep them together.

    Rules, each counted rather than silent:
      * `other` persons (no action of the ten) are left out and counted in `num_other`, unless `keep_other=True`
        makes `other` a last class;
      * a person with several positive actions is skipped (`multi_label="skip"`, one warning for all of them, each
        in `self.skips`) or labeled with the first of them in class order (`multi_label="first"`); all its actions
        stay in the multi-hot `actions` matrix (N, num_classes) either way;
      * a listed image whose annotation or JPEG is missing or unparsable, and a listed person without a box, are
        skipped with a warning and counted in `self.skips`.
    The test set's action labels were never released, so `subset="test"` is refused.

    >>> train = VOCActions("data/VOCdevkit", subset="train")            # doctest: +SKIP
    >>> person = train.load(0, size=224)                                 # doctest: +SKIP
    >>> image = train.load(0, crop=False)                                # doctest: +SKIP
    """

    kind = "person"

    def __init__(
        self,
        root,
        subset="train",
        year=None,
        crop=True,
        context=0.1,
        square=False,
        keep_other=False,
        multi_label="skip",
    ):
        if subset == "test":
            raise ValueError(
                "VOCActions: the VOC Actions test set has no public labels (only the evaluation server has them); "
                "use subset='val' to evaluate and 'train' to learn, as papers that test on VOC Actions do."
            )
        if subset not in SUBSETS:
            raise ValueError(f"VOCActions: subset must be one of {SUBSETS}, got {subset!r}")
        if multi_label not in MULTI_LABEL_RULES:
            raise ValueError(f"VOCActions: multi_label must be one of {MULTI_LABEL_RULES}, got {multi_label!r}")
        if context < 0:
            raise ValueError(f"VOCActions: context must be >= 0, got {context}")
        root = os.fspath(root)
        voc = _find_voc_dir(root, year)
        action_dir = os.path.join(voc, "ImageSets", "Action")
        layout = _LAYOUT.replace("<VOC20XX>", voc).format(subset=subset)
        for folder in ("Annotations", "JPEGImages"):
            if not os.path.isdir(os.path.join(voc, folder)):
                raise DatasetLayoutError(
                    f"VOCActions: {os.path.join(voc, folder)} not found; expected {layout}. The trainval archive "
                    "holds both folders next to ImageSets: unpack it whole."
                )

        listed_actions, list_values = _read_class_lists(action_dir, subset)
        persons_of = _subset_persons(action_dir, subset, list_values, layout)
        records, skipped, found_actions = _read_persons(voc, persons_of, list_values)

        class_names = listed_actions or (
            [a for a in VOC_ACTIONS if a in found_actions]
            + sorted(a for a in found_actions if a not in VOC_ACTIONS and a != OTHER)
        )
        if keep_other:
            class_names = class_names + [OTHER]
        paths, labels, boxes, ids, indices, actions, several = [], [], [], [], [], [], []
        num_other = 0
        for image_path, box, image_id, index, flags, where in records:
            hot = [int(bool(flags.get(a))) for a in class_names]
            if not any(hot):
                if flags.get(OTHER):
                    num_other += 1
                else:
                    skipped.append((where, "no positive action"))
                continue
            if sum(hot) > 1 and multi_label == "skip":
                several.append((where, "several actions: " + ", ".join(a for a, h in zip(class_names, hot) if h)))
                continue
            paths.append(image_path)
            labels.append(hot.index(1))
            boxes.append(box)
            ids.append(image_id)
            indices.append(index)
            actions.append(hot)

        year_name = os.path.basename(os.path.normpath(voc))
        name = f"{year_name if re.fullmatch(r'VOC20[0-9][0-9]', year_name) else 'VOC'} Actions {subset}"
        super().__init__(paths, labels, class_names, name=name)
        self.root, self.voc_dir, self.subset_name = root, voc, subset
        self.crop, self.context, self.square = bool(crop), float(context), bool(square)
        self.keep_other, self.multi_label, self.num_other = keep_other, multi_label, num_other
        self.boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        self.image_ids = ids
        self.object_indices = np.asarray(indices, np.int64)
        self.actions = np.asarray(actions, np.uint8).reshape(-1, len(class_names))
        if not paths:
            reasons = f" ({len(skipped + several)} skipped, e.g. {(skipped + several)[0]})" if skipped + several else ""
            raise DatasetLayoutError(
                f"VOCActions: no usable person in the {subset!r} set of {voc}{reasons}; expected {layout}."
            )
        for where, reason in skipped:
            self.skips.skip(where, reason)
        if several:
            # A rule, not bad input: one warning for all of them, each still listed in self.skips.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                for where, reason in several:
                    self.skips.skip(where, reason)
            warnings.warn(
                f"{self.name}: skipped {len(several)} person(s) with several actions, e.g. {several[0][0]} "
                f"({several[0][1]}); multi_label='first' keeps them under their first action.",
                RuntimeWarning,
                stacklevel=2,
            )

    def subset(self, indices, name=None):
        out = super().subset(indices, name)
        indices = np.asarray(indices, np.int64).reshape(-1)
        out.boxes, out.object_indices, out.actions = (
            self.boxes[indices],
            self.object_indices[indices],
            self.actions[indices],
        )
        out.image_ids = [self.image_ids[i] for i in indices]
        return out

    def window(self, i, height, width, context=None, square=None):
        """`person_window` of item `i` in its `height` x `width` image, with the dataset's context and squareness."""
        return person_window(
            self.boxes[i],
            height,
            width,
            self.context if context is None else context,
            self.square if square is None else square,
        )

    def load(self, i, size=None, crop=None, context=None, square=None):
        """The person crop of item `i` (or its whole image with `crop=False`), uint8 RGB, resized per `size`."""
        from keras_motion.video import read_image, resize_frame

        image = read_image(self.paths[i])
        if self.crop if crop is None else crop:
            top, bottom, left, right = self.window(i, *image.shape[:2], context=context, square=square)
            image = image[top:bottom, left:right]
        return resize_frame(image, size)
