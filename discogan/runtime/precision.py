"""Mixed precision: which arithmetic a training run uses, chosen from the hardware, and how it is switched on.

The graph is always built in float32: variables, optimiser state, batch-norm statistics and checkpoints stay
float32, so a checkpoint written in any precision restores in any other, and translate/export/evaluate give
float32 results. A precision other than float32 is one of Grappler's rewrites in the session options, which
casts the convolutions, matmuls and the ops between them to 16 bits where that is safe and keeps the rest in
float32:
- bfloat16: the oneDNN rewrite for CPUs. Native (fast) where the processor has avx512_bf16 or amx_bf16; other
  CPUs emulate it, which is slower than float32.
- float16: the CUDA rewrite for NVIDIA GPUs (tensor cores from compute capability 7.0). float16's narrow range
  needs loss scaling, which `loss_scaled` adds to the optimisers.
"""
from pathlib import Path

from discogan.options.checks import check_precision
from discogan.runtime.tf_compat import tf, v1

NATIVE_BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")  # x86 flags in /proc/cpuinfo for bfloat16 arithmetic
TENSOR_CORES = (7, 0)  # the first compute capability with float16 tensor cores (Volta)
LOSS_SCALE_SCOPE = "loss_scale_"  # float16's loss-scale variables: a checkpoint of another precision has none


def cpu_flags(names, cpuinfo="/proc/cpuinfo"):
    """Those of the x86 flags `names` the processor has (empty where /proc/cpuinfo does not exist)."""
    try:
        words = set(Path(cpuinfo).read_text().split())
    except OSError:
        return []
    return [flag for flag in names if flag in words]


def cpu_bfloat16_flags(cpuinfo="/proc/cpuinfo"):
    """The processor's bfloat16 flags (empty where it has none, or where /proc/cpuinfo does not exist)."""
    return cpu_flags(NATIVE_BFLOAT16_FLAGS, cpuinfo)


def gpus():
    """(name, compute capability) of each visible GPU."""
    found = []
    for device in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(device)
        found.append((details.get("device_name", device.name), tuple(details.get("compute_capability", (0, 0)))))
    return found


def choose(requested, bfloat16_flags=None, visible_gpus=None):
    """(precision, reason) for --precision `requested` on this machine; float16 without a GPU is refused.

    `auto` trains in float16 on GPUs with tensor cores, in bfloat16 on CPUs with native bfloat16 arithmetic and
    in float32 elsewhere. The hardware arguments are for tests; by default they are read from the machine.
    """
    check_precision(requested)
    bfloat16_flags = cpu_bfloat16_flags() if bfloat16_flags is None else bfloat16_flags
    visible_gpus = gpus() if visible_gpus is None else visible_gpus
    tensor_core_gpus = [name for name, capability in visible_gpus if capability >= TENSOR_CORES]
    if requested == "float16" and not visible_gpus:
        raise ValueError("--precision float16 needs an NVIDIA GPU and none is visible; on a CPU use bfloat16 "
                         "(fast where the processor has avx512_bf16 or amx_bf16) or float32")
    if requested != "auto":
        if requested == "bfloat16" and not bfloat16_flags:
            return requested, "as asked; this processor has no native bfloat16 (avx512_bf16, amx_bf16): emulated, slow"
        return requested, "as asked"
    if tensor_core_gpus:
        return "float16", f"auto: {tensor_core_gpus[0]} has tensor cores"
    if visible_gpus:
        return "float32", f"auto: {visible_gpus[0][0]} has no float16 tensor cores"
    if bfloat16_flags:
        return "bfloat16", f"auto: the processor has {' and '.join(bfloat16_flags)}"
    return "float32", "auto: no GPU, and the processor has no native bfloat16 (avx512_bf16, amx_bf16)"


def enable_rewrite(config, precision):
    """Switch on the Grappler rewrite for `precision` in session options `config` (float32: none)."""
    check_precision(precision)
    rewrites = config.graph_options.rewrite_options
    on = type(rewrites).ON
    if precision == "bfloat16":
        rewrites.auto_mixed_precision_onednn_bfloat16 = on
    elif precision == "float16":
        rewrites.auto_mixed_precision = on
    return config


def loss_scaled(optimizer, precision, name):
    """`optimizer` with dynamic loss scaling for float16 (gradients come back unscaled, and a step whose gradients
    overflow is skipped while the scale drops), its variables under LOSS_SCALE_SCOPE + name; bfloat16 has
    float32's range and needs none."""
    if precision != "float16":
        return optimizer
    from tensorflow.python.util import deprecation  # after discogan.runtime.tf_compat's quiet import of TensorFlow
    # v1's loss-scale optimiser is deprecated in favour of Keras's, which does not work in graph mode: say nothing.
    with v1.variable_scope(LOSS_SCALE_SCOPE + name), deprecation.silence():
        return v1.mixed_precision.MixedPrecisionLossScaleOptimizer(optimizer, "dynamic")
