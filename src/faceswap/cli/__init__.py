"""The ``faceswap`` command line."""
