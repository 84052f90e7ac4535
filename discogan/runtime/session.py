"""Session options shared by training and inference."""
from discogan.runtime.precision import enable_rewrite
from discogan.runtime.tf_compat import v1


def session_config(precision="float32"):
    """Session options: claim GPU memory as needed instead of all of it up front, and the mixed-precision rewrite
    for `precision` (training only: inference keeps the float32 default, so its pixels do not depend on it)."""
    config = v1.ConfigProto(allow_soft_placement=True)
    config.gpu_options.allow_growth = True
    return enable_rewrite(config, precision)
