"""onnxruntime adapter: runs ONNX artifacts (preprocessing inside the graph) as a `ModelRuntime`."""
