"""Session options shared by training and inference."""
import tensorflow as tf

v1 = tf.compat.v1


def session_config():
    """Session options: claim GPU memory as needed instead of all of it up front."""
    config = v1.ConfigProto(allow_soft_placement=True)
    config.gpu_options.allow_growth = True
    return config
