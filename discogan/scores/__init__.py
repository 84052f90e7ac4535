"""Image scores in plain numpy: quality and colour metrics, with no TensorFlow."""
