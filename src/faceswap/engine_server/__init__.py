"""Our swap engine served over HTTP for workers that delegate swaps (``faceswap engine-serve``)."""
