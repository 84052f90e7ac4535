"""DiscoGAN: unpaired image-to-image translation for fashion products, in tf.compat.v1 graph mode."""

__version__ = "0.1.0"
