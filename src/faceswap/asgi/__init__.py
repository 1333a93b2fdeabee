"""The HTTP edge both of our ASGI apps share (the API and ``faceswap engine-serve``): errors as answers,
bounded request bodies."""
