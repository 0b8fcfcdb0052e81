"""The built-in trainer: a scikit-learn pipeline on candle features, exported to ONNX with skl2onnx.

Needs the `train` extra (scikit-learn, skl2onnx, onnx). Registered as trainer `sklearn`.
"""
