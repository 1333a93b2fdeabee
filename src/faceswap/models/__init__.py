"""The model catalog (typed data) and the on-disk registry of installed models."""
