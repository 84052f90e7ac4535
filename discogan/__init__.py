"""DiscoGAN: unpaired image-to-image translation for fashion products, in tf.compat.v1 graph mode."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # keep TensorFlow's INFO start-up chatter off the console

__version__ = "0.1.0"
