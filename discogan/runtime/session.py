"""Session options shared by training and inference."""
import os

from discogan.runtime.precision import enable_rewrite, gpus
from discogan.runtime.tf_compat import v1


def cpu_cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on macOS or Windows
        return os.cpu_count() or 1


def thread_pools(branches, cores, has_gpu):
    """(intra-op, inter-op) pool sizes for a graph whose step runs `branches` chains of ops that share nothing
    until their losses (training: the A->B and B->A halves of the cycle); (0, 0) keeps TensorFlow's choice.

    On a CPU, each branch gets its share of the cores and its ops run one at a time on it: every convolution of
    a training step spread over every core costs a barrier per op and both branches' ops fighting for the same
    threads (benchmarks/README.md, "bench_threads.py"). Where the cores do not divide among the branches, or a GPU
    runs the ops, TensorFlow chooses.
    """
    if branches < 2 or has_gpu or cores % branches:
        return 0, 0
    return cores // branches, branches


def session_config(precision="float32", branches=1):
    """Session options: claim GPU memory as needed instead of all of it up front, the mixed-precision rewrite
    for `precision` (training only: inference keeps the float32 default, so its pixels do not depend on it), and
    thread pools for `branches` independent chains of ops per step (`thread_pools`).

    TensorFlow sizes its thread pools once per process, from the first session's options.
    """
    config = v1.ConfigProto(allow_soft_placement=True)
    config.gpu_options.allow_growth = True
    if branches > 1:
        config.intra_op_parallelism_threads, config.inter_op_parallelism_threads = thread_pools(
            branches, cpu_cores(), bool(gpus()))
    return enable_rewrite(config, precision)
