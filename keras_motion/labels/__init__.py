"""Pseudo-motion labels of unlabeled videos: OTSU-filtered flow, k-means codebook, VLAD, k-means clusters."""

__all__ = []
