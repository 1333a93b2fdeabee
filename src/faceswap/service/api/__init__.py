"""The HTTP API (FastAPI): ``create_app(settings)``; one router per resource under :mod:`.routes`.

The API process never imports onnxruntime, cv2 or av: heavy work happens in workers, whose
modules are imported only when ``create_app`` is asked for in-process workers.
"""
