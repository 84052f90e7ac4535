"""TensorFlow and its compat.v1 API, imported once without TensorFlow's C++ start-up lines.

On import TensorFlow prints oneDNN, CUDA-driver and `failed call to cuInit` lines to stderr (the last at
error level on every machine without a GPU), which read like failures to a new user. Every discogan module
imports TensorFlow from here: the C++ log level defaults to errors-only and the lines written during the
import itself, before TensorFlow reads that level, are dropped. DISCOGAN_VERBOSE=1 shows them all.
Python warnings raised later, by TensorFlow or by discogan, still show.
"""
import contextlib
import os
import sys


@contextlib.contextmanager
def _stderr_dropped():
    """Point file descriptor 2 at /dev/null for the block (C++ code writes there directly, past sys.stderr)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


if os.environ.get("DISCOGAN_VERBOSE") or "tensorflow" in sys.modules:
    import tensorflow as tf
else:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_dropped():
        import tensorflow as tf

v1 = tf.compat.v1
