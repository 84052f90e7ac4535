"""A training run's checkpoints over its life: resume from the newest intact one, save, keep the newest five."""
import time
from pathlib import Path

from discogan.gan.networks import PRINT_ENCODER_SCOPE, Architecture
from discogan.gan.train_step import POOL_SCOPE
from discogan.gan.weight_average import averaged_name, is_average
from discogan.runs import checkpoint
from discogan.runtime.precision import LOSS_SCALE_SCOPE
from discogan.runtime.tf_compat import tf, v1

KEEP_CHECKPOINTS = 5  # the newest checkpoints kept on disk, across restarts too


def check_same_run(record, config, dataset_dir, checkpoint_dir):
    """Refuse to resume a checkpoint (config.json `record`) of another architecture or another dataset folder."""
    saved, wanted = Architecture.of(record), Architecture.of(config)
    if saved != wanted:
        details = ", ".join(f"--{key} {old} there, {new} now" for key, old, new
                            in zip(wanted._fields, saved, wanted) if old != new)
        raise ValueError(f"{checkpoint_dir} holds a different model ({details}): pass --fresh to move it "
                         f"aside, or another --checkpoint_dir")
    trained_on, dataset = record.get("dataset_dir"), str(Path(dataset_dir).resolve())
    if trained_on is not None and trained_on != dataset:
        raise ValueError(f"{checkpoint_dir} holds a model trained on {trained_on}, not on {dataset}: pass "
                         f"--run_name NAME to train a separate run, or --fresh to move the old one aside (if the "
                         f"data only moved, correct dataset_dir in {checkpoint_dir / checkpoint.CONFIG_FILE})")


class RunCheckpoints:
    """The checkpoints of one training run in `folder`, for the variables of the graph it is made in."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.saver = v1.train.Saver(max_to_keep=KEEP_CHECKPOINTS, save_relative_paths=True)  # the folder can move
        self.on_disk = []  # (prefix, time saved) of the run's checkpoints, oldest first

    def save(self, session, step):
        """Save the checkpoint of `step`, then delete all but the newest KEEP_CHECKPOINTS.

        The deleting is done here: the Saver's own goes through a deprecated TensorFlow function that warns, so
        the Saver is only ever told of the checkpoints it keeps. No meta graph: nothing reads it (translate and
        export rebuild the graph from config.json). A failed save removes what it wrote and ends the run in one line.
        """
        prefix = str(self.folder / f"{checkpoint.MODEL_NAME}-{step}")
        older = [saved for saved in self.on_disk if saved[0] != prefix]
        cut = max(len(older) - KEEP_CHECKPOINTS + 1, 0)
        stale, kept = older[:cut], older[cut:]
        self.saver.set_last_checkpoints_with_time(list(kept))  # a copy: the Saver appends to the list it holds
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.saver.save(session, str(self.folder / checkpoint.MODEL_NAME), global_step=step,
                                   write_meta_graph=False)
        except (OSError, tf.errors.OpError) as error:
            checkpoint.remove_failed_save(self.folder, step)
            raise OSError(f"could not save the checkpoint of step {step} in {self.folder}: "
                          f"{checkpoint.failure_reason(error)}; the checkpoints saved before it are kept") from error
        for old, _ in stale:
            checkpoint.remove_checkpoint(old)
        self.on_disk = [*kept, (path, time.time())]
        return path

    def resume(self, session, check_record, pool_size):
        """Restore the newest intact checkpoint into `session`, after `check_record(config.json)`; None when there is
        none, else its prefix.

        Every checkpoint on disk counts towards KEEP_CHECKPOINTS, so the newest are kept across restarts and older
        ones go at the next save; the temporaries of a save killed part-way go now.
        """
        checkpoint.remove_temporaries(self.folder)
        prefixes = checkpoint.checkpoint_prefixes(self.folder)
        self.on_disk = [(prefix, Path(f"{prefix}.index").stat().st_mtime) for prefix in prefixes]
        if not prefixes:
            return None
        check_record(checkpoint.load_config(self.folder))
        prefix = checkpoint.restore_newest_intact(
            prefixes[::-1], lambda prefix: self.restore(session, prefix, pool_size),
            f"no checkpoint in {self.folder} reads back whole: pass --fresh to move them aside and start again")
        return prefix

    def restore(self, session, prefix, pool_size):
        """Restore the checkpoint at `prefix`; image pools saved at another --pool_size start empty, float16's
        loss scale starts afresh from a checkpoint written in another precision, averaged weights missing from
        a checkpoint written without --ema_decay start from the restored weights, and a print encoder missing from
        one written without --lambda_print starts untrained.

        Resuming beats refusing: a pool only holds fakes of the last pool_size / batch_size iterations, so an
        empty one costs what the first iterations of any run cost, and refills by itself; the loss scale finds its
        level in a few steps.
        """
        saved = checkpoint.variable_shapes(prefix)
        variables = session.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
        restart = [v for v in variables if (v.op.name.startswith((POOL_SCOPE, LOSS_SCALE_SCOPE, PRINT_ENCODER_SCOPE))
                                            or is_average(v.op.name)) and saved.get(v.op.name) != v.shape.as_list()]
        if not restart:
            self.saver.restore(session, prefix)
            return
        with session.graph.as_default():
            v1.train.Saver([v for v in variables if v not in restart]).restore(session, prefix)
        if any(v.op.name.startswith(POOL_SCOPE) for v in restart):
            print(f"the image pools were saved with --pool_size {saved.get(f'{POOL_SCOPE}A/buffer', [0])[0]}, now "
                  f"{pool_size}: they start empty", flush=True)
        averages = [v for v in restart if is_average(v.op.name)]
        if averages:
            averaged = {averaged_name(v.op.name): v for v in variables}
            with session.graph.as_default():
                session.run([v.assign(averaged[v.op.name]) for v in averages])
            print("the checkpoint has no averaged weights (it was trained without --ema_decay): the average starts "
                  "from its weights", flush=True)
        if any(v.op.name.startswith(PRINT_ENCODER_SCOPE) for v in restart):
            print("the checkpoint has no print encoder (it was trained without --lambda_print): it starts untrained",
                  flush=True)
        if any(v.op.name.startswith(LOSS_SCALE_SCOPE) for v in restart):
            print("the checkpoint was written in another precision: the float16 loss scale starts afresh", flush=True)
