"""Keras layers: MoSI's pseudo-motion generator, VLAD encoding of flow vectors, the GRU motion head."""

__all__ = []
