"""Session options shared by training and inference."""
from discogan.tf_compat import v1


def session_config():
    """Session options: claim GPU memory as needed instead of all of it up front."""
    config = v1.ConfigProto(allow_soft_placement=True)
    config.gpu_options.allow_growth = True
    return config
