"""The book's DiscoGAN class: where the training step's graph (discogan.gan), the loop (discogan.training.loop) and
the run's checkpoints (discogan.runs) meet, under the book's method names."""
import signal
from functools import partial
from pathlib import Path

from discogan.data import pipeline
from discogan.data.dataset_record import read_record
from discogan.data.image_io import make_grid, save_image, to_uint8
from discogan.data.output_folders import archive_folder
from discogan.gan import networks
from discogan.gan.train_step import build_train_step, linear_decay_learning_rate, training_session_config
from discogan.inference import evaluation
from discogan.options.config import TrainConfig
from discogan.runs import checkpoint
from discogan.runs.run import RunCheckpoints, check_same_run
from discogan.runtime.precision import choose
from discogan.runtime.tf_compat import tf, v1
from discogan.training import distributed
from discogan.training.loop import EvalParts, LoopParts, TrainingLoop, picture_value
from discogan.training.progress_gif import write_progress_gif
from discogan.util.stops import Stopped, stops_held


SAMPLE_COUNT = 8


class TrainingStopped(Stopped):
    """Training ended by Ctrl-C or SIGTERM after saving a checkpoint, unlike a run that reached its last epoch; its
    exit status is 128 + the signal (130 for Ctrl-C, 143 for SIGTERM), as shells report a killed command."""


def announce_stop(signum):
    print(f"\n{signal.Signals(signum).name} received: saving a checkpoint after this iteration", flush=True)


class DiscoGAN:
    """Unpaired translation between domain A (`trainA/`) and domain B (`trainB/`) of `dataset_dir`.

    `DiscoGAN(dataset_dir, recipe="book", **options)` takes the options of `discogan.options.config.TrainConfig`
    (`process_main --help` lists them); `model.config` is the resulting TrainConfig.
    """

    def __init__(self, dataset_dir=None, recipe="book", **options):
        if dataset_dir is None:
            raise ValueError("--dataset_dir is required (a folder with trainA/ and trainB/), or use --demo")
        self.config = config = TrainConfig.create(recipe, dataset_dir=str(dataset_dir), **options)
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.strategy = distributed.strategy_for(config)
        if not distributed.is_chief(self.strategy):
            self.config = config = distributed.worker_config(config)
        self.dataset_dir = Path(dataset_dir)
        self.eval_images = (evaluation.load_split(self.dataset_dir, "val", config.image_size, config.eval_count)
                            if config.eval_freq else None)
        self.evaluations = []  # what the last training's evaluations scored, as the loop returned them
        self.files_a = pipeline.domain_files(self.dataset_dir / "trainA", config.batch_size)
        self.files_b = pipeline.domain_files(self.dataset_dir / "trainB", config.batch_size)
        self.batch_ids = pipeline.iterations_per_epoch(self.files_a, self.files_b, config.train_size, config.batch_size)
        self.total_steps = config.epochs * self.batch_ids
        run_name = config.run_name or self.dataset_dir.resolve().name
        self.checkpoint_dir = Path(config.checkpoint_dir) / run_name
        self.sample_dir = Path(config.sample_dir) / run_name
        self.log_dir = Path(config.log_dir) / run_name
        self.precision, self.precision_reason = choose(config.precision)
        with self.graph.as_default():
            if config.seed is not None:
                v1.set_random_seed(config.seed)
            self.build_network()

    def record(self):
        """config.json: the whole config (the dataset folder made absolute), what the dataset's dataset.json records
        of its domains (None when it has none), the precision --precision chose at the start and the versions that
        wrote it."""
        return {**self.config.record(), "dataset_dir": str(self.dataset_dir.resolve()),
                "dataset": read_record(self.dataset_dir), "precision_used": self.precision}

    def build_network(self):
        """Training graph (batch statistics), inference graph for samples (moving averages, and the averaged
        weights with --ema_decay), losses, summaries.

        Every loss term the step returns is logged under its own name, with the learning rate and the
        reconstruction weight.
        """
        config = self.config
        dataset = pipeline.training_dataset(self.files_a, self.files_b, config.batch_size, self.batch_ids,
                                            config.load_size, config.fine_size, config.seed, config.flip)
        batches = None if self.strategy else v1.data.make_one_shot_iterator(dataset).get_next()
        with distributed.scope(self.strategy):
            self.build_training(dataset, batches)

    def build_training(self, dataset, batches):
        """build_network's graph, in the strategy's scope: on `batches` alone, or on `dataset` split among the
        replicas."""
        config = self.config
        self.global_step = v1.train.get_or_create_global_step()
        epoch = self.global_step // self.batch_ids
        self.learning_rate = linear_decay_learning_rate(epoch, config.l_r, config.epochs, config.epoch_step)
        if batches:
            step = build_train_step(*batches, self.learning_rate, self.global_step, config, self.precision)
        else:
            step = distributed.replicated_train_step(self.strategy, dataset, self.learning_rate, self.global_step,
                                                     config, self.precision)
        self.train_step = step
        schedule = [v1.summary.scalar("learning_rate", self.learning_rate),
                    v1.summary.scalar("lambda_l2", step.lambda_l2)]
        summaries = {side: v1.summary.merge([v1.summary.scalar(tag, value) for tag, value in terms.items()])
                     for side, terms in (("g", step.g_losses), ("d", step.d_losses))}
        summaries["g"] = v1.summary.merge([summaries["g"], *schedule])
        self.iteration_fetches = []
        for op in step.iteration_ops:  # what to run and report on each iteration of the cycle
            sides = "gd" if op is step.d_train and config.update_interval == 1 else "d" if op is step.d_train else "g"
            self.iteration_fetches.append({"train": op, "summary": [summaries[side] for side in sides],
                                           **{f"{side}_loss": step.losses[f"{side}_loss"] for side in sides}})

        image_shape = [config.image_size, config.image_size, 3]
        self.sample_a = v1.placeholder(tf.float32, [None, *image_shape], "sample_A")
        self.sample_b = v1.placeholder(tf.float32, [None, *image_shape], "sample_B")
        averaged = step.weight_average.getter() if step.weight_average else None
        with v1.variable_scope(v1.get_variable_scope(), custom_getter=averaged):
            (self.sample_ab, self.sample_aba, self.sample_ba, self.sample_bab), _ = networks.build_cycle(
                self.sample_a, self.sample_b, networks.Architecture.of(config), training=False, reuse=True)
        self.checkpoints = RunCheckpoints(self.checkpoint_dir)
        self.from_chief = distributed.from_chief(self.strategy) if distributed.is_multi_worker(self.strategy) else None

    def train_network(self):
        """Train from the newest intact checkpoint (or from scratch) to `epochs`; returns the last step.

        Ctrl-C or SIGTERM saves a checkpoint, then raises TrainingStopped; either way the samples so far become
        sample_dir/progress.gif. config.json is written when a run starts, never on resume, so it keeps recording
        what the checkpoints learned from.
        """
        config = self.config
        chief = distributed.is_chief(self.strategy)
        if config.fresh and chief:
            for folder in (self.checkpoint_dir, self.log_dir, self.sample_dir):
                target = archive_folder(folder)
                if target:
                    print(f"moved the earlier run's {folder} to {target}")
        session_config = distributed.session_config(self.strategy, training_session_config(self.precision),
                                                    config.worker_timeout)
        server = distributed.start_server(self.strategy, session_config)
        with v1.Session(server.target if server else "", self.graph, session_config) as self.sess:
            self.sess.run(v1.global_variables_initializer())
            if self.strategy:
                self.sess.run(self.train_step.input_initializer)
            resumed = chief and self.load_model()
            if self.from_chief:
                self.sess.run(self.from_chief)
            if chief and not resumed:
                checkpoint.save_config(self.checkpoint_dir, self.record())
            step = int(self.sess.run(self.global_step))
            if self.at_end(step):
                return step
            self.writer = writer = self.summary_writer(resumed) if chief else distributed.UnwrittenLogs()
            self.sample_images = (pipeline.load_samples(self.files_a, config.image_size, SAMPLE_COUNT),
                                  pipeline.load_samples(self.files_b, config.image_size, SAMPLE_COUNT))
            print(f"training {self.dataset_dir} (recipe {config.recipe}): {len(self.files_a)} A / "
                  f"{len(self.files_b)} B images, {self.batch_ids} iterations per epoch, step {step} of "
                  f"{self.total_steps}; checkpoints in {self.checkpoint_dir}, logs in {self.log_dir}, "
                  f"samples in {self.sample_dir}\nprecision {self.precision} ({self.precision_reason})", flush=True)
            # Also around the last save, so a second Ctrl-C cannot cut it short.
            with stops_held(announce_stop, act_at_end=False) as stops:
                loop = TrainingLoop(self.loop_parts(), config, writer, stops)
                with distributed.worker_loss(self):
                    step = loop.run(step)
                self.evaluations = loop.finish(step)
                if chief:
                    write_progress_gif(self.sample_dir)
        if stops:
            raise TrainingStopped(stops[0], f"{signal.Signals(stops[0]).name}: stopped at step {step} of "
                                            f"{self.total_steps}, saved in {self.checkpoint_dir}; the same command "
                                            f"goes on from there")
        return step

    def summary_writer(self, resumed):
        """The TensorBoard writer of log_dir, with the graph on a fresh run; an OSError naming the folder when it
        cannot be written."""
        try:
            return v1.summary.FileWriter(str(self.log_dir), None if resumed else self.graph)
        except tf.errors.OpError as error:
            raise OSError(f"could not write the TensorBoard logs in {self.log_dir}: "
                          f"{checkpoint.failure_reason(error)}") from error

    def loop_parts(self):
        """What the training loop uses of this model, and nothing else."""
        config = self.config
        scoring = None if self.eval_images is None else EvalParts(
            self.eval_images, self.translate_samples, self.cycle_picture,
            partial(evaluation.split_judges, self.dataset_dir, "val", self.eval_images, config.image_size,
                    config.eval_count, config.seed or 0))
        return LoopParts(self.sess, self.iteration_fetches, self.total_steps, self.batch_ids, self.sample_model,
                         self.save_model, scoring, self.checkpoint_dir, self.log_dir, self.sample_dir)

    def at_end(self, step):
        """True when a resumed run has nothing left to train; one past the end of --epochs is refused.

        Past the end happens when --epochs is lowered or --batch_size raised (fewer iterations per epoch) on resume.
        """
        if step < self.total_steps:
            return False
        message = (f"{self.checkpoint_dir} is already at step {step}, "
                   f"{'the end' if step == self.total_steps else 'past the end'} of {self.total_steps} = "
                   f"{self.config.epochs} epochs x {self.batch_ids} iterations per epoch; raise --epochs to go on")
        if step > self.total_steps:
            raise ValueError(message)
        print(message, flush=True)
        return True

    def translate_samples(self, images_a, images_b):
        """Inference-mode (moving-average batch norm; averaged weights with --ema_decay) A->B->A and B->A->B of two
        batches."""
        return self.sess.run([self.sample_ab, self.sample_aba, self.sample_ba, self.sample_bab],
                             {self.sample_a: images_a, self.sample_b: images_b})

    def cycle_picture(self, images_a, images_b, outputs=None):
        """One picture, each row real A | A->B | A->B->A | real B | B->A | B->A->B, of the first SAMPLE_COUNT."""
        images_a, images_b = images_a[:SAMPLE_COUNT], images_b[:SAMPLE_COUNT]
        outputs = self.translate_samples(images_a, images_b) if outputs is None else outputs
        x_ab, x_aba, x_ba, x_bab = (to_uint8(x[:SAMPLE_COUNT]) for x in outputs)
        real_a, real_b = to_uint8(images_a), to_uint8(images_b)
        return make_grid([[real_a[i], x_ab[i], x_aba[i], real_b[i], x_ba[i], x_bab[i]]
                          for i in range(min(len(real_a), len(real_b)))])

    def sample_model(self, epoch, idx):
        """Write the cycle picture of the fixed sample images to sample_dir/train_EE_IIII.png and to TensorBoard
        (images/train at the iteration's step); returns the file's path."""
        path = self.sample_dir / f"train_{epoch:02d}_{idx:04d}.png"
        picture = self.cycle_picture(*self.sample_images)
        save_image(path, picture)
        self.writer.add_summary(v1.Summary(value=[picture_value("images/train", picture)]),
                                epoch * self.batch_ids + idx + 1)
        return path

    def save_model(self, step):
        """Save the checkpoint of `step` in checkpoint_dir, keeping the newest five (discogan.runs.run); only the
        chief of a multi-worker run saves."""
        return self.checkpoints.save(self.sess, step) if distributed.is_chief(self.strategy) else None

    def load_model(self):
        """Restore the newest intact checkpoint of this run; False when there is none.

        Refuses a checkpoint of another architecture or dataset (discogan.runs.run.check_same_run).
        """
        prefix = self.checkpoints.resume(
            self.sess, lambda record: check_same_run(record, self.config, self.dataset_dir, self.checkpoint_dir),
            self.config.pool_size)
        if prefix is None:
            return False
        print(f"resumed from {prefix}", flush=True)
        return True
