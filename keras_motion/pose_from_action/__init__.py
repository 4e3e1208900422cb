"""Pose from Action (Purushwalkam & Gupta, 2016): triplets of two frames and a flow stack, the verifier that learns
pose-aware appearance features from them, its verification report, and an action classifier initialised from it."""

from keras_motion.pose_from_action.triplets import (TripletBatches, TripletVideos, augment_triplet,
                                                    in_batch_negatives, triplet_dataset)
from keras_motion.pose_from_action.verification import verification_report
from keras_motion.pose_from_action.verifier import AppearanceClassifier, TripletVerifier

__all__ = ["AppearanceClassifier", "TripletBatches", "TripletVerifier", "TripletVideos", "augment_triplet",
           "in_batch_negatives", "triplet_dataset", "verification_report"]
