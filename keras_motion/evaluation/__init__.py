"""Generic evaluation protocols: multi-clip prediction, late fusion and recognition tables, Grad-CAM."""

from keras_motion.evaluation.clips import VideoClips, multi_clip_accuracy, multi_clip_predict
from keras_motion.evaluation.finetune import (LazyVideos, compile_classifier, evaluate_multi_clip, few_shot_finetune,
                                             few_shot_indices, finetune_video_classifier, labeled_video_splits,
                                             readable_videos, summarize_runs)
from keras_motion.evaluation.fusion import choose_fusion_weight, late_fusion
from keras_motion.evaluation.grad_cam import GradCamImages, grad_cam, grad_cam_strip, motion_mass_ratio
from keras_motion.evaluation.grad_cam import grad_cam_clips, grad_cam_motion_mass
from keras_motion.evaluation.recognition import accuracy, fit_stream, recognition_table

__all__ = ["GradCamImages", "VideoClips", "accuracy", "choose_fusion_weight", "fit_stream", "grad_cam",
           "grad_cam_strip", "late_fusion", "motion_mass_ratio", "multi_clip_accuracy", "multi_clip_predict",
           "recognition_table"]
__all__ += ["LazyVideos", "compile_classifier", "evaluate_multi_clip", "few_shot_finetune", "few_shot_indices",
            "finetune_video_classifier", "grad_cam_clips", "grad_cam_motion_mass", "labeled_video_splits",
            "readable_videos", "summarize_runs"]
