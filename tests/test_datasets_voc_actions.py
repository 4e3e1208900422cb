"""PASCAL VOC Actions on a small tree in the official layout: XML annotations and JPEGs with one coloured box per
person, so that crops can be checked by their pixels."""

import os
import warnings

import cv2
import numpy as np
import pytest

from keras_motion.datasets import VOC_ACTIONS, VOCActions, few_shot, person_window, split_groups
from keras_motion.errors import DatasetLayoutError

pytestmark = pytest.mark.backend_agnostic  # NumPy / OpenCV only: the same on every Keras backend

HEIGHT, WIDTH, BACKGROUND = 60, 80, (40, 40, 40)
# image id -> objects (name, VOC box (xmin, ymin, xmax, ymax) 1-based inclusive, actions or None), in file order.
TRAIN = {
    "2011_000001": [
        ("horse", (41, 31, 70, 55), None),  # not a person: object indices still count it
        ("person", (11, 6, 30, 45), {"walking"}),
        ("person", (46, 11, 65, 50), {"phoning"}),
    ],
    "2011_000002": [
        ("person", (5, 5, 24, 44), {"jumping", "running"}),  # several actions
        ("person", (41, 5, 60, 44), {"other"}),
    ],
    "2011_000003": [("person", (61, 21, 80, 60), {"ridinghorse"})],  # touches the right and bottom edges
    "2011_000004": [("person", (11, 11, 30, 40), {"reading"})],  # its JPEG is missing
    "2011_000005": [("person", (11, 11, 30, 40), {"reading"})],  # its annotation is missing
    "2011_000006": [("person", (11, 11, 30, 40), {"usingcomputer"})],  # its annotation is unparsable
}
VAL = {
    "2011_000010": [("person", (21, 11, 40, 50), {"reading"}), ("person", (51, 11, 70, 50), {"walking"})],
    "2011_000011": [("person", (31, 16, 50, 55), {"takingphoto"})],
}


def colour(image_id, index):
    """A distinct colour per person (RGB), far from the background."""
    k = int(image_id[-2:]) * 7 + index * 3
    return (80 + (k * 37) % 176, 80 + (k * 71) % 176, 80 + (k * 113) % 176)


def _xml(objects, tags):
    parts = [
        "<annotation><folder>VOC2012</folder>",
        f"<size><width>{WIDTH}</width><height>{HEIGHT}</height><depth>3</depth></size>",
    ]
    for name, (xmin, ymin, xmax, ymax), actions in objects:
        parts.append(f"<object><name>{name}</name>")
        if actions is not None:
            parts.append("<actions>" + "".join(f"<{t}>{int(t in actions)}</{t}>" for t in tags) + "</actions>")
        # The distributed files list the coordinates in this (alphabetical) order.
        parts.append(f"<bndbox><xmax>{xmax}</xmax><xmin>{xmin}</xmin><ymax>{ymax}</ymax><ymin>{ymin}</ymin></bndbox>")
        parts.append("<difficult>0</difficult><pose>Unspecified</pose></object>")
    return "".join(parts) + "</annotation>"


def _write_image(path, image_id, objects):
    rgb = np.full((HEIGHT, WIDTH, 3), BACKGROUND, np.uint8)
    for index, (name, (xmin, ymin, xmax, ymax), _) in enumerate(objects, 1):
        if name == "person":
            rgb[ymin - 1 : ymax, xmin - 1 : xmax] = colour(image_id, index)
    # Full-resolution chroma (4:4:4): OpenCV's default 4:2:0 would blur colours across the box edges.
    cv2.imwrite(
        str(path),
        rgb[..., ::-1],
        [cv2.IMWRITE_JPEG_QUALITY, 100, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444],
    )


def voc_tree(root, year="VOC2012", actions=VOC_ACTIONS, class_lists=True, id_lists=True):
    """`root/VOCdevkit/<year>` with Annotations, JPEGImages and ImageSets/Action for train, val and trainval."""
    voc = root / "VOCdevkit" / year
    for folder in ("Annotations", "JPEGImages", "ImageSets/Action"):
        (voc / folder).mkdir(parents=True, exist_ok=True)
    tags = sorted(list(actions) + ["other"])
    for image_id, objects in {**TRAIN, **VAL}.items():
        (voc / "Annotations" / f"{image_id}.xml").write_text(_xml(objects, tags))
        _write_image(voc / "JPEGImages" / f"{image_id}.jpg", image_id, objects)
    os.remove(voc / "JPEGImages" / "2011_000004.jpg")
    os.remove(voc / "Annotations" / "2011_000005.xml")
    (voc / "Annotations" / "2011_000006.xml").write_text("<annotation><object><name>person</name>")
    for subset, images in (("train", TRAIN), ("val", VAL), ("trainval", {**TRAIN, **VAL})):
        if id_lists:
            (voc / "ImageSets" / "Action" / f"{subset}.txt").write_text("".join(f"{i}\n" for i in images))
        if not class_lists:
            continue
        for action in actions:
            # The official lines: "<id> <object index> <1|-1>" with the numbers right-aligned in 2 columns.
            lines = [
                f"{image_id} {index:2d} {1 if action in acts else -1:2d}\n"
                for image_id, objects in images.items()
                for index, (name, _, acts) in enumerate(objects, 1)
                if name == "person"
            ]
            (voc / "ImageSets" / "Action" / f"{action}_{subset}.txt").write_text("".join(lines))
    return voc


def load_quietly(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return VOCActions(*args, **kwargs)


def test_one_item_per_person_with_the_devkit_classes_and_counted_skips(tmp_path):
    voc = voc_tree(tmp_path)
    with pytest.warns(RuntimeWarning) as record:
        train = VOCActions(tmp_path / "VOCdevkit", subset="train")
    assert train.class_names == list(VOC_ACTIONS) and train.num_classes == 10
    assert train.class_names[:2] == ["jumping", "phoning"] and train.class_names[-1] == "walking"
    # walking and phoning persons of image 1 (objects 2 and 3: the horse is object 1), the rider of image 3.
    assert train.image_ids == ["2011_000001", "2011_000001", "2011_000003"]
    assert train.object_indices.tolist() == [2, 3, 1]
    assert [train.class_names[label] for label in train.labels] == ["walking", "phoning", "ridinghorse"]
    assert train.paths[0] == train.paths[1] == str(voc / "JPEGImages" / "2011_000001.jpg")
    np.testing.assert_array_equal(train.boxes[0], [10, 5, 30, 45])  # 0-based, end-exclusive
    assert train.actions.shape == (3, 10) and train.actions.sum(axis=1).tolist() == [1, 1, 1]
    # the "other" person is left out and counted; the multi-action person, the missing JPEG, the missing and the
    # unparsable annotation are skipped with warnings and counted
    assert train.num_other == 1
    reasons = dict(train.skips.items)
    assert len(reasons) == 4 and train.skips.count == 4
    assert reasons[str(voc / "JPEGImages" / "2011_000004.jpg")] == "missing"
    assert reasons[str(voc / "Annotations" / "2011_000005.xml")] == "annotation missing"
    assert reasons[str(voc / "Annotations" / "2011_000006.xml")].startswith("annotation unparsable")
    assert reasons[f"{voc / 'Annotations' / '2011_000002.xml'} object 1"] == "several actions: jumping, running"
    messages = " ".join(str(w.message) for w in record)
    assert "2011_000004.jpg" in messages and "several actions" in messages and "multi_label='first'" in messages
    assert "VOC2012 Actions train" in repr(train) and "3 persons" in repr(train)

    val = VOCActions(voc, subset="val")  # the VOC2012 folder itself as root
    assert [val.class_names[label] for label in val.labels] == ["reading", "walking", "takingphoto"]
    assert val.skips.count == 0 and not set(val.paths) & set(train.paths)
    assert len(load_quietly(voc, subset="trainval")) == 6
    assert len(load_quietly(tmp_path, subset="train")) == 3  # the folder the archive was unpacked in


def test_person_crop_geometry_by_pixel_values(tmp_path):
    voc_tree(tmp_path)
    train = load_quietly(tmp_path / "VOCdevkit")
    walker = colour("2011_000001", 2)
    tight = train.load(0, context=0.0)
    assert tight.shape == (40, 20, 3) and tight.dtype == np.uint8
    assert np.abs(tight.astype(int) - walker).max() <= 12  # nothing but the person
    crop = train.load(0)  # default context 0.1: 2 px more left/right, 4 px more top/bottom
    assert train.context == 0.1 and crop.shape == (48, 24, 3)
    assert np.abs(crop[24, 12].astype(int) - walker).max() <= 12
    assert np.abs(crop[1, 12].astype(int) - BACKGROUND).max() <= 12  # above the box: background
    assert np.abs(crop[24, 0].astype(int) - BACKGROUND).max() <= 12  # left of the box
    # the rider touches the right and bottom edges: the grown box is clipped to the image
    rider = train.load(2)
    assert rider.shape == (60 - 16, 80 - 58, 3) and train.window(2, HEIGHT, WIDTH) == (16, 60, 58, 80)
    assert np.abs(rider[-1, -1].astype(int) - colour("2011_000003", 1)).max() <= 12
    # square: the short side grows to the long side about the centre, shifted inside the image
    square = train.load(0, context=0.0, square=True)
    assert square.shape == (40, 40, 3) and train.window(0, HEIGHT, WIDTH, 0.0, True) == (5, 45, 0, 40)
    assert np.abs(square[20, 20].astype(int) - walker).max() <= 12
    assert np.abs(square[20, 2].astype(int) - BACKGROUND).max() <= 12
    # resized like ImageDataset: an int is the short side, a tuple is exact
    assert train.load(0, size=12).shape == (24, 12, 3) and train.load(1, size=(8, 6)).shape == (8, 6, 3)
    phoner = train.load(1, size=(8, 6), context=0.0)
    assert np.abs(phoner.reshape(-1, 3).astype(int) - colour("2011_000001", 3)).max() <= 12


def test_whole_images_and_square_crops_as_dataset_options(tmp_path):
    voc_tree(tmp_path)
    whole = load_quietly(tmp_path / "VOCdevkit", crop=False)
    image = whole.load(0)
    assert image.shape == (HEIGHT, WIDTH, 3) and whole.load(1, size=30).shape == (30, 40, 3)
    assert np.abs(image[20, 20].astype(int) - colour("2011_000001", 2)).max() <= 12
    assert whole.load(0, crop=True, context=0.0).shape == (40, 20, 3)  # per call override
    square = load_quietly(tmp_path / "VOCdevkit", square=True, context=0.0)
    assert [square.load(i).shape[:2] for i in range(3)] == [(40, 40), (40, 40), (40, 40)]
    with pytest.raises(ValueError, match="context"):
        person_window((0, 0, 4, 4), 10, 10, context=-0.1)


def test_multi_label_first_and_keep_other(tmp_path):
    voc_tree(tmp_path)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        VOCActions(tmp_path / "VOCdevkit", multi_label="first")
    assert len(record) == 3 and not any("several actions" in str(w.message) for w in record)  # the bad files only
    first = load_quietly(tmp_path / "VOCdevkit", multi_label="first", keep_other=True)
    assert first.class_names == list(VOC_ACTIONS) + ["other"]
    assert first.image_ids == ["2011_000001", "2011_000001", "2011_000002", "2011_000002", "2011_000003"]
    names = [first.class_names[label] for label in first.labels]
    assert names == ["walking", "phoning", "jumping", "other", "ridinghorse"]
    jumper = first.actions[2]
    assert [first.class_names[k] for k in np.flatnonzero(jumper)] == ["jumping", "running"]
    assert first.num_other == 0 and first.skips.count == 3  # the three bad files only
    with pytest.raises(ValueError, match="multi_label"):
        VOCActions(tmp_path / "VOCdevkit", multi_label="all")


def test_voc2010_without_jumping_and_annotation_only_lists(tmp_path):
    ten = [a for a in VOC_ACTIONS if a != "jumping"]
    voc_tree(tmp_path, year="VOC2010", actions=ten)
    v2010 = load_quietly(tmp_path / "VOCdevkit")
    assert v2010.class_names == ten and v2010.name == "VOC2010 Actions train"
    # the jumping+running person is now a runner (jumping does not exist in 2010)
    assert [v2010.class_names[label] for label in v2010.labels] == ["walking", "phoning", "running", "ridinghorse"]
    # only ImageSets/Action/<subset>.txt (image ids): persons and classes come from the annotations
    voc_tree(tmp_path / "ids", class_lists=False)
    by_ids = load_quietly(tmp_path / "ids" / "VOCdevkit")
    assert by_ids.class_names == list(VOC_ACTIONS)
    assert by_ids.object_indices.tolist() == [2, 3, 1] and by_ids.num_other == 1
    # two years side by side: the newest by default, or the one asked for
    voc_tree(tmp_path, year="VOC2012")
    assert load_quietly(tmp_path / "VOCdevkit").name == "VOC2012 Actions train"
    assert load_quietly(tmp_path / "VOCdevkit", year=2010).num_classes == 9


def test_layout_errors_name_the_missing_path_and_the_fix(tmp_path):
    with pytest.raises(DatasetLayoutError, match="ImageSets/Action") as info:
        VOCActions(tmp_path)
    assert "VOCtrainval_11-May-2012.tar" in str(info.value) and "JPEGImages" in str(info.value)
    voc = voc_tree(tmp_path)
    with pytest.raises(ValueError, match="no public labels") as info:
        VOCActions(voc, subset="test")
    assert "subset='val'" in str(info.value)
    with pytest.raises(ValueError, match="subset"):
        VOCActions(voc, subset="training")
    with pytest.raises(DatasetLayoutError, match="VOC2013"):
        VOCActions(tmp_path, year=2013)
    # no list at all for the subset
    for name in os.listdir(voc / "ImageSets" / "Action"):
        if name.endswith("_val.txt") or name == "val.txt":
            os.remove(voc / "ImageSets" / "Action" / name)
    with pytest.raises(DatasetLayoutError, match="val.txt"):
        VOCActions(voc, subset="val")
    # a malformed list line names the file, the line and the expected format
    (voc / "ImageSets" / "Action" / "reading_train.txt").write_text("2011_000001 2 -1\n2011_000003 one 1\n")
    with pytest.raises(DatasetLayoutError, match="reading_train.txt line 2") as info:
        VOCActions(voc)
    assert "<image id> <object index>" in str(info.value)
    os.remove(voc / "ImageSets" / "Action" / "reading_train.txt")
    # a folder of the layout is missing
    os.rename(voc / "JPEGImages", voc / "images")
    with pytest.raises(DatasetLayoutError, match="JPEGImages"):
        VOCActions(voc)
    # every listed image missing: a layout error, not a data set of skips
    os.makedirs(voc / "JPEGImages")
    with pytest.raises(DatasetLayoutError, match="no usable person") as info:
        VOCActions(voc)
    assert "missing" in str(info.value)


def test_few_shot_subsets_group_splits_and_decode_skips(tmp_path):
    voc = voc_tree(tmp_path)
    trainval = load_quietly(voc, subset="trainval", multi_label="first")
    assert len(trainval) == 7
    with pytest.warns(RuntimeWarning, match="fewer than 2"):
        shot = few_shot(trainval, 2, seed=0)
    # walking has 2 persons, every other present class 1: all of them kept, each with its own box and crop
    assert len(shot) == 7 and np.bincount(shot.labels, minlength=10).tolist() == [1, 1, 0, 1, 0, 1, 0, 1, 0, 2]
    walkers = np.flatnonzero(trainval.labels == trainval.class_names.index("walking"))
    order = walkers[::-1]
    sub = trainval.subset(order)  # per-person arrays travel with their items
    assert sub.image_ids == [trainval.image_ids[i] for i in order] and sub.labels.tolist() == [9, 9]
    np.testing.assert_array_equal(sub.boxes, trainval.boxes[order])
    assert sub.actions.shape == (2, 10) and sub.object_indices.tolist() == trainval.object_indices[order].tolist()
    for k, i in enumerate(order):
        colour_k = colour(trainval.image_ids[i], int(trainval.object_indices[i]))
        assert np.abs(sub.load(k, context=0.0)[10, 10].astype(int) - colour_k).max() <= 12
    # persons of one image never fall on both sides of a split by image
    parts = split_groups(trainval.image_ids, (0.5, 0.5), seed=0)
    sides = [{trainval.image_ids[i] for i in part} for part in parts]
    assert not sides[0] & sides[1] and sum(map(len, parts)) == len(trainval)
    # a corrupt JPEG is skipped (warning + count) by iter_items, like the other image loaders
    (voc / "JPEGImages" / "2011_000003.jpg").write_bytes(np.random.default_rng(0).bytes(512))
    before = trainval.skips.count  # the three bad files of the listing
    with pytest.warns(RuntimeWarning, match="2011_000003.jpg"):
        items = list(trainval.iter_items(size=8))
    assert len(items) == 6 and trainval.skips.count == before + 1 == 4
    assert all(min(image.shape[:2]) == 8 for image, _, _ in items)
