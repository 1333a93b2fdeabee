"""``python -m faceswap``: the ``faceswap`` console script (how ``worker --devices`` starts its children)."""

from faceswap.cli.main import main

if __name__ == "__main__":
    main()
