"""Helpers for tests and benchmarks: tiny ONNX stand-ins of the real models, known faces of the test photos."""
