"""Generic evaluation protocols: multi-clip prediction, few-shot finetuning, late fusion and recognition tables,
Grad-CAM."""

from keras_motion.evaluation.clips import VideoClips, multi_clip_accuracy, multi_clip_predict, open_videos
from keras_motion.evaluation.finetune import (
    compile_classifier,
    evaluate_multi_clip,
    few_shot_finetune,
    few_shot_indices,
    finetune_video_classifier,
    labeled_video_splits,
    summarize_runs,
)
from keras_motion.evaluation.fusion import choose_fusion_weight, late_fusion
from keras_motion.evaluation.grad_cam import (
    GradCamImages,
    grad_cam,
    grad_cam_clips,
    grad_cam_motion_mass,
    grad_cam_strip,
    motion_mass_ratio,
)
from keras_motion.evaluation.recognition import (
    accuracy,
    class_probabilities,
    fit_stream,
    outputs_logits,
    recognition_table,
)

__all__ = [
    "GradCamImages",
    "VideoClips",
    "accuracy",
    "choose_fusion_weight",
    "class_probabilities",
    "compile_classifier",
    "evaluate_multi_clip",
    "few_shot_finetune",
    "few_shot_indices",
    "finetune_video_classifier",
    "fit_stream",
    "grad_cam",
    "grad_cam_clips",
    "grad_cam_motion_mass",
    "grad_cam_strip",
    "labeled_video_splits",
    "late_fusion",
    "motion_mass_ratio",
    "multi_clip_accuracy",
    "multi_clip_predict",
    "open_videos",
    "outputs_logits",
    "recognition_table",
    "summarize_runs",
]
