"""The neural engine on ONNX Runtime: SCRFD/YuNet detection, ArcFace, inswapper and face restorers."""
