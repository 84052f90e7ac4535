"""Training on several devices (--devices N) or machines (--multi_worker) with TensorFlow's tf.distribute, in graph
mode, as the rest of the port runs: the strategy replicates build_train_step, splits the global batch among the
replicas and reduces their gradients; this module only chooses the strategy and wires it to the session.

Batch normalisation normalises with each replica's own batch statistics (as Keras and PyTorch's
DistributedDataParallel do unless told otherwise): synchronising them costs a collective per layer and per step,
and a replica's share of the book's batch of 64 is still a fair sample. The moving averages are mean-reduced over
the replicas, so every replica (and the checkpoint) holds one set. Each replica keeps its own image pool of
--pool_size of its own fakes (discogan.gan.image_pool): a shared one would gather images across devices each step.
"""
import contextlib
import dataclasses
import json
import os
import types

from discogan.gan.train_step import build_train_step
from discogan.runtime.precision import gpus
from discogan.runtime.tf_compat import tf, v1


def strategy_for(config):
    """The tf.distribute strategy `config` asks for, or None for one device (the graph of a single-device run)."""
    if config.multi_worker:
        return multi_worker_strategy(config.batch_size)
    if config.devices == 1:
        return None
    found = len(gpus())
    if found and config.devices > found:
        raise ValueError(f"--devices {config.devices}: this machine has {found} GPU(s)")
    kind = "GPU" if found else "CPU"
    return v1.distribute.MirroredStrategy([f"/{kind}:{index}" for index in range(config.devices)])


def multi_worker_strategy(batch_size):
    """MultiWorkerMirroredStrategy over the cluster TF_CONFIG describes, refused in one line where it cannot run."""
    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}")
    if not cluster.get("cluster", {}).get("worker") or "task" not in cluster:
        raise ValueError("--multi_worker needs TF_CONFIG naming the cluster's workers and this process's task "
                         "(docs/distributed.md)")
    strategy = v1.distribute.experimental.MultiWorkerMirroredStrategy()
    if batch_size % strategy.num_replicas_in_sync:
        raise ValueError(f"--batch_size {batch_size} does not split evenly over the cluster's "
                         f"{strategy.num_replicas_in_sync} replicas")
    return strategy


def scope(strategy):
    """The strategy's scope, or nothing without one, so the single-device graph is built exactly as before."""
    return strategy.scope() if strategy else contextlib.nullcontext()


def is_chief(strategy):
    """Whether this process writes the run's checkpoints, samples, evaluations and logs: task 0 of a cluster."""
    return strategy is None or strategy.extended.should_checkpoint


def is_multi_worker(strategy):
    return isinstance(strategy, v1.distribute.experimental.MultiWorkerMirroredStrategy)


def session_config(strategy, config, worker_timeout):
    """Session options `config` for `strategy`: one logical CPU device per replica where there are no GPUs (a
    graph-mode session sizes its devices from its own options), the strategy's collective settings, and for a
    multi-worker run a deadline on every blocking op, so a dead worker ends the run instead of hanging it."""
    if strategy is None:
        return config
    if is_multi_worker(strategy):
        config.operation_timeout_in_ms = int(worker_timeout * 1000)
    replicas = len(strategy.extended.worker_devices)
    if not gpus() and replicas > 1:
        config.device_count["CPU"] = replicas
    return strategy.update_config_proto(config)


def start_server(strategy, config):
    """This worker's tf.distribute.Server for a multi-worker run (its session runs on `server.target`), else None."""
    if not is_multi_worker(strategy):
        return None
    resolver = strategy.cluster_resolver
    return tf.distribute.Server(resolver.cluster_spec(), job_name=resolver.task_type, task_index=resolver.task_id,
                                config=config, start=True)


def replicated_train_step(strategy, dataset, learning_rate, global_step, config, precision):
    """build_train_step on each replica of `strategy`, each on its share of the global batches of `dataset`.

    Returns build_train_step's namespace (without the pooled fakes) with the losses mean-reduced over the replicas
    and each training op running every replica's, plus `input_initializer`, the op that starts the input iterator.
    """
    from tensorflow.python.util import deprecation  # after discogan.runtime.tf_compat's quiet import of TensorFlow
    # The v1 iterator is deprecated in favour of TF2's, which does not run in graph mode: say nothing.
    with deprecation.silence():
        iterator = strategy.make_dataset_iterator(dataset)
        initializer = iterator.initializer
    first_replica = []

    def replica_step(batches):
        step = build_train_step(*batches, learning_rate, global_step, config, precision)
        first_replica.append(step)
        return step.g_losses, step.d_losses, step.lambda_l2, step.g_train, step.d_train

    g_losses, d_losses, lambda_l2, g_train, d_train = strategy.extended.call_for_each_replica(
        replica_step, args=(iterator.get_next(),))
    mean = lambda value: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)  # noqa: E731
    g_losses, d_losses = ({name: mean(value) for name, value in losses.items()} for losses in (g_losses, d_losses))
    step = first_replica[0]
    g_train, d_train = strategy.group(g_train), strategy.group(d_train)
    return types.SimpleNamespace(
        g_losses=g_losses, d_losses=d_losses, losses={**g_losses, **d_losses}, lambda_l2=mean(lambda_l2),
        g_vars=step.g_vars, d_vars=step.d_vars, g_train=g_train, d_train=d_train,
        iteration_ops=[d_train if op is step.d_train else g_train for op in step.iteration_ops],
        weight_average=step.weight_average, input_initializer=initializer)


def from_chief(strategy):
    """An op that gives every worker the chief's value of every variable (what it restored from its checkpoint),
    as the strategy's sum over the replicas of each value, counted on the chief's first replica only."""
    variables = v1.global_variables()

    def take_chief_values():
        replica = tf.distribute.get_replica_context()
        counted = tf.equal(replica.replica_id_in_sync_group, 0)
        updates = []
        for dtype in {variable.dtype.base_dtype for variable in variables}:  # one reduction per type
            typed = [variable for variable in variables if variable.dtype.base_dtype == dtype]
            values = replica.all_reduce(tf.distribute.ReduceOp.SUM, [
                tf.where(counted, variable.read_value(), tf.zeros_like(variable)) for variable in typed])
            updates += [variable.assign(value) for variable, value in zip(typed, values)]
        return tf.group(updates)

    return strategy.group(strategy.extended.call_for_each_replica(take_chief_values))


def worker_config(config):
    """The options of a worker that is not the chief: the same training, without samples, evaluations or
    checkpoints (the chief's are the run's)."""
    return dataclasses.replace(config, print_freq=0, sample_seconds=0, save_freq=0, save_seconds=0, eval_freq=0)


class UnwrittenLogs:
    """The summary writer of a worker that is not the chief, whose logs would repeat the chief's."""

    def add_summary(self, summary, step):
        pass

    def close(self):
        pass


# What TensorFlow writes before the reason of a failed run.
TRACE_LINES = ("Graph execution error", "Detected at node", "File ", "Node:", "From /job")


def session_failure(error):
    """The line of a failed session run that says what went wrong, past the graph's trace TensorFlow puts first."""
    lines = [line.strip() for line in error.message.splitlines() if line.strip()]
    return next((line for line in lines if not line.startswith(TRACE_LINES)), error.message)


class WorkerLost(ConnectionError):
    """A multi-worker run stopped because another worker stopped answering."""


@contextlib.contextmanager
def worker_loss(model):
    """Turn the error a multi-worker step meets when another worker dies into one line, after the chief has saved
    a checkpoint to resume from (its variables are whole: a step's updates wait for every worker's gradients)."""
    try:
        yield
    except tf.errors.OpError as error:
        if not is_multi_worker(model.strategy):
            raise
        step = int(model.sess.run(model.global_step))
        saved = (f"saved step {step} in {model.checkpoint_dir}" if model.save_model(step)
                 else "the chief saved the last checkpoint")
        raise WorkerLost(f"a worker stopped answering at step {step} ({type(error).__name__}: "
                         f"{session_failure(error)}); {saved}: start every worker again with the same command to "
                         f"resume") from error
