"""MoSI's pretext model: source images in, pseudo-motion class logits out, with the generator on device."""

import keras


def pseudo_motion_classifier(generator, backbone, channels=3, name="mosi_pretext"):
    """`images → generator → backbone` as one model: (B, H, W, `channels`) uint8 source images → logits
    (B·C_T, C_T) of the same-batch pseudo-motion clips (train it on `keras_motion.mosi.SourceImages`, whose labels
    are `generator.labels_for(B)`). The generator draws random starts, flips, masks and jitter in training and
    centred starts in inference (`evaluate` / `predict`); `backbone` needs `num_classes == generator.num_classes`.

    >>> gen = PseudoMotion(num_frames=8, crop_size=32, source_size=64)  # doctest: +SKIP
    >>> model = pseudo_motion_classifier(gen, R2Plus1D(depth=10, num_classes=gen.num_classes))  # doctest: +SKIP
    >>> model.fit(SourceImages(images, gen, batch_images=5), epochs=100)  # doctest: +SKIP
    """
    out = backbone.output_shape[-1]
    if out != generator.num_classes:
        raise ValueError(
            f"the backbone outputs {out} classes but the generator makes {generator.num_classes} "
            f"labels; build it with num_classes={generator.num_classes}"
        )
    images = keras.Input((None, None, channels), dtype="uint8", name="source_images")
    clips, _ = generator(images)
    return keras.Model(images, backbone(clips), name=name)
