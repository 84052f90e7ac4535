"""The DiscoGAN model of the book chapter: graph, training loop, samples and checkpoints.

One training iteration is one `session.run`. In the book's schedule it runs the generator step, then the
discriminator step on fakes drawn from the image pool, ordered by control dependencies; with the authors'
`--update_interval 3` an iteration runs one of the two. The input batch comes from a tf.data iterator and the
options from `discogan.options.config.TrainConfig`.
"""
import math
import shutil
import signal
import time
import types
from pathlib import Path

from discogan.data import pipeline
from discogan.data.image_io import encode_png, make_grid, save_image, to_uint8
from discogan.gan import networks
from discogan.gan.image_pool import ImagePool
from discogan.gan.losses import Direction, discriminator_losses, generator_losses
from discogan.gan.ops import collect_update_ops
from discogan.inference import evaluation
from discogan.options.config import TrainConfig
from discogan.runs import checkpoint
from discogan.runtime.precision import LOSS_SCALE_SCOPE, choose, loss_scaled
from discogan.runtime.session import session_config
from discogan.runtime.tf_compat import tf, v1
from discogan.util.progress import format_seconds


SAMPLE_COUNT = 8
KEEP_CHECKPOINTS = 5  # the newest checkpoints kept on disk, across restarts too
POOL_SCOPE = "image_pool_"


def linear_decay_learning_rate(epoch, l_r, epochs, epoch_step):
    """The book's schedule: l_r until `epoch_step`, then linearly down to 0 at `epochs`."""
    epoch = tf.cast(epoch, tf.float32)
    decayed = l_r * (epochs - epoch) / max(epochs - epoch_step, 1)
    return tf.where(epoch < epoch_step, tf.constant(l_r, tf.float32), tf.maximum(decayed, 0.0))


def reconstruction_weight(global_step, config):
    """lambda_l2, or curriculum_lambda_l2 for the first gan_curriculum iterations (the authors' curriculum)."""
    if not config.gan_curriculum:
        return config.lambda_l2
    return tf.where(global_step < config.gan_curriculum, config.curriculum_lambda_l2, config.lambda_l2)


def format_loss(value):
    """A loss for the progress line; '-' before its first step (not nan, which reads as a diverged run)."""
    return "-" if value is None else f"{value:.4f}"


def with_weight_decay(gradients, weight_decay):
    """Add weight_decay * w to each gradient, as PyTorch's Adam(weight_decay=...) does (L2, not AdamW)."""
    if not weight_decay:
        return gradients
    return [(gradient + weight_decay * variable, variable) for gradient, variable in gradients]


def build_train_step(x_a, x_b, learning_rate, global_step, config=TrainConfig(), precision="float32"):
    """The DiscoGAN training iteration(s) on the batches `x_a`, `x_b`, built from `config`.

    `config.update_interval` 1 (the book): one op runs the generator step, then the discriminator step on pooled
    fakes. N > 1 (the authors'): a discriminator step on every Nth iteration and a generator step on the others.
    `iteration_ops[step % len(iteration_ops)]` is the op of iteration `step`; each increments `global_step`.
    Built from input tensors so that DiscoGAN (tf.data from image folders) and benchmarks/bench_train.py
    (in-memory images) train the very same graph. `precision` is the one the session will use
    (discogan.runtime.precision): float16 adds loss scaling to the optimisers. Returns a namespace with the loss terms of
    each side (`g_losses`, `d_losses`, and `losses` holding both), the reconstruction weight `lambda_l2`, the
    pooled fakes, g_train, d_train and iteration_ops.
    """
    architecture = networks.Architecture.of(config)
    df = architecture.df
    (x_ab, x_aba, x_ba, x_bab), generator_updates = networks.build_cycle(x_a, x_b, architecture)
    logits_fake_b, features_fake_b = networks.build_discriminator(x_ab, "discriminator_B", df, return_features=True)
    logits_fake_a, features_fake_a = networks.build_discriminator(x_ba, "discriminator_A", df, return_features=True)

    image_shape = x_a.shape[1:]
    pooled_fake_a = ImagePool(image_shape, f"{POOL_SCOPE}A", config.pool_size).query(x_ba)
    pooled_fake_b = ImagePool(image_shape, f"{POOL_SCOPE}B", config.pool_size).query(x_ab)
    with collect_update_ops() as discriminator_updates:
        logits_real_b, features_real_b = networks.build_discriminator(x_b, "discriminator_B", df, reuse=True,
                                                                      return_features=True)
        logits_pooled_b = networks.build_discriminator(pooled_fake_b, "discriminator_B", df, reuse=True)
        logits_real_a, features_real_a = networks.build_discriminator(x_a, "discriminator_A", df, reuse=True,
                                                                      return_features=True)
        logits_pooled_a = networks.build_discriminator(pooled_fake_a, "discriminator_A", df, reuse=True)
    lambda_l2 = reconstruction_weight(global_step, config)
    cycle = {"a2b": Direction(x_a, x_b, x_ab, x_aba, logits_fake_b, features_real_b, features_fake_b,
                              networks.generator_of("AtoB", architecture)),
             "b2a": Direction(x_b, x_a, x_ba, x_bab, logits_fake_a, features_real_a, features_fake_a,
                              networks.generator_of("BtoA", architecture))}
    g_losses = generator_losses(cycle, config, lambda_l2)
    d_losses = discriminator_losses(logits_real_a, logits_pooled_a, logits_real_b, logits_pooled_b)

    g_vars = [v for v in v1.trainable_variables() if v.name.startswith("generator_")]
    d_vars = [v for v in v1.trainable_variables() if v.name.startswith("discriminator_")]
    g_optimizer, d_optimizer = (loss_scaled(v1.train.AdamOptimizer(learning_rate, config.beta1, config.beta2,
                                                                   name=f"Adam_{side}"), precision, side)
                                for side in "GD")
    combined = config.update_interval == 1
    g_gradients = with_weight_decay(g_optimizer.compute_gradients(g_losses["g_loss"], g_vars), config.weight_decay)
    d_gradients = with_weight_decay(d_optimizer.compute_gradients(d_losses["d_loss"], d_vars), config.weight_decay)
    with tf.control_dependencies(generator_updates):
        g_train = g_optimizer.apply_gradients(g_gradients, global_step=None if combined else global_step)
    # Combined, the discriminator may only change after the generator step has read it.
    with tf.control_dependencies([*discriminator_updates, *([g_train] if combined else [])]):
        d_train = d_optimizer.apply_gradients(d_gradients, global_step=global_step)
    iteration_ops = [d_train] if combined else [d_train] + [g_train] * (config.update_interval - 1)
    return types.SimpleNamespace(g_losses=g_losses, d_losses=d_losses, losses={**g_losses, **d_losses},
                                 lambda_l2=lambda_l2, g_vars=g_vars, d_vars=d_vars, pooled_fake_a=pooled_fake_a,
                                 pooled_fake_b=pooled_fake_b, g_train=g_train, d_train=d_train,
                                 iteration_ops=iteration_ops)


def archive_folder(folder):
    """Move an earlier run's folder aside (never delete it) so a fresh run starts empty."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        target = folder.with_name(f"{folder.name}.old-{time.strftime('%Y%m%d-%H%M%S')}")
        shutil.move(str(folder), str(target))
        print(f"moved the earlier run's {folder} to {target}")


class TrainingStopped(KeyboardInterrupt):
    """Training ended by Ctrl-C or SIGTERM after saving a checkpoint, unlike a run that reached its last epoch.

    A KeyboardInterrupt, so discogan.util.cli.run prints its message and exits with `exit_status`, 128 + the signal
    number (130 for Ctrl-C, 143 for SIGTERM) as shells report a killed command; scripts can tell the two apart.
    """

    def __init__(self, signum, message):
        super().__init__(message)
        self.signum = signum
        self.exit_status = 128 + signum


class StopRequest:
    """Turns Ctrl-C and SIGTERM into a flag the training loop checks, so it can save before exiting.

    `signum` is the signal received (None until one is), so the run can end with the status shells expect.
    """

    def __init__(self):
        self.signum = None
        self.previous = {}

    def __enter__(self):
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self.previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def _handle(self, signum, _frame):
        self.signum = signum
        print(f"\n{signal.Signals(signum).name} received: saving a checkpoint after this iteration", flush=True)

    def __exit__(self, *exc):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


class DiscoGAN:
    """Unpaired translation between domain A (`trainA/`) and domain B (`trainB/`) of `dataset_dir`.

    `DiscoGAN(dataset_dir, recipe="book", **options)` takes the options of `discogan.options.config.TrainConfig`
    (`process_main --help` lists them); `model.config` is the resulting TrainConfig.
    """

    def __init__(self, dataset_dir=None, recipe="book", **options):
        if dataset_dir is None:
            raise ValueError("--dataset_dir is required (a folder with trainA/ and trainB/), or use --demo")
        self.config = config = TrainConfig.create(recipe, dataset_dir=str(dataset_dir), **options)
        self.dataset_dir = Path(dataset_dir)
        self.eval_images = (evaluation.load_split(self.dataset_dir, "val", config.image_size, config.eval_count)
                            if config.eval_freq else None)
        self.eval_history = []
        self.files_a = pipeline.domain_files(self.dataset_dir / "trainA", config.batch_size)
        self.files_b = pipeline.domain_files(self.dataset_dir / "trainB", config.batch_size)
        self.batch_ids = pipeline.iterations_per_epoch(self.files_a, self.files_b, config.train_size, config.batch_size)
        self.total_steps = config.epochs * self.batch_ids
        run_name = config.run_name or self.dataset_dir.resolve().name
        self.checkpoint_dir = Path(config.checkpoint_dir) / run_name
        self.sample_dir = Path(config.sample_dir) / run_name
        self.log_dir = Path(config.log_dir) / run_name
        self.precision, self.precision_reason = choose(config.precision)
        self.stale_checkpoints = []  # found beyond KEEP_CHECKPOINTS on resume; deleted once a new one is saved
        self.graph = tf.Graph()
        with self.graph.as_default():
            if config.seed is not None:
                v1.set_random_seed(config.seed)
            self.build_network()

    def record(self):
        """config.json: the whole config (the dataset folder made absolute), the precision --precision chose at the
        start and the versions that wrote it."""
        return {**self.config.record(), "dataset_dir": str(self.dataset_dir.resolve()),
                "precision_used": self.precision}

    def build_network(self):
        """Training graph (batch statistics), inference graph for samples (moving averages), losses, summaries.

        Every loss term the step returns is logged under its own name, with the learning rate and the
        reconstruction weight.
        """
        config = self.config
        x_a, x_b = pipeline.train_batches(self.files_a, self.files_b, config.batch_size, self.batch_ids,
                                      config.load_size, config.fine_size, config.seed)
        self.global_step = v1.train.get_or_create_global_step()
        epoch = self.global_step // self.batch_ids
        self.learning_rate = linear_decay_learning_rate(epoch, config.l_r, config.epochs, config.epoch_step)
        step = build_train_step(x_a, x_b, self.learning_rate, self.global_step, config, self.precision)
        self.losses, self.pooled_fake_a, self.pooled_fake_b = step.losses, step.pooled_fake_a, step.pooled_fake_b
        schedule = [v1.summary.scalar("learning_rate", self.learning_rate),
                    v1.summary.scalar("lambda_l2", step.lambda_l2)]
        summaries = {side: v1.summary.merge([v1.summary.scalar(tag, value) for tag, value in terms.items()])
                     for side, terms in (("g", step.g_losses), ("d", step.d_losses))}
        summaries["g"] = v1.summary.merge([summaries["g"], *schedule])
        self.iteration_fetches = []
        for op in step.iteration_ops:  # what to run and report on each iteration of the cycle
            sides = "gd" if op is step.d_train and config.update_interval == 1 else "d" if op is step.d_train else "g"
            self.iteration_fetches.append({"train": op, "summary": [summaries[side] for side in sides],
                                           **{f"{side}_loss": self.losses[f"{side}_loss"] for side in sides}})
        self.train_op = step.iteration_ops[0]  # the book's whole iteration (a D step with update_interval > 1)

        image_shape = [config.image_size, config.image_size, 3]
        self.sample_a = v1.placeholder(tf.float32, [None, *image_shape], "sample_A")
        self.sample_b = v1.placeholder(tf.float32, [None, *image_shape], "sample_B")
        (self.sample_ab, self.sample_aba, self.sample_ba, self.sample_bab), _ = networks.build_cycle(
            self.sample_a, self.sample_b, networks.Architecture.of(config), training=False, reuse=True)
        self.saver = v1.train.Saver(max_to_keep=KEEP_CHECKPOINTS, save_relative_paths=True)  # the folder can move

    def train_network(self):
        """Train from the newest intact checkpoint (or from scratch) to `epochs`; returns the last step.

        Ctrl-C or SIGTERM saves a checkpoint, then raises TrainingStopped. config.json is written when a run
        starts, never on resume, so it keeps recording what the checkpoints learned from.
        """
        config = self.config
        if config.fresh:
            for folder in (self.checkpoint_dir, self.log_dir, self.sample_dir):
                archive_folder(folder)
        with v1.Session(graph=self.graph, config=session_config(self.precision)) as self.sess:
            self.sess.run(v1.global_variables_initializer())
            resumed = self.load_model()
            if not resumed:
                checkpoint.save_config(self.checkpoint_dir, self.record())
            step = int(self.sess.run(self.global_step))
            if self.at_end(step):
                return step
            writer = v1.summary.FileWriter(str(self.log_dir), None if resumed else self.graph)
            self.sample_images = (pipeline.load_samples(self.files_a, config.image_size, SAMPLE_COUNT),
                                  pipeline.load_samples(self.files_b, config.image_size, SAMPLE_COUNT))
            print(f"training {self.dataset_dir} (recipe {config.recipe}): {len(self.files_a)} A / "
                  f"{len(self.files_b)} B images, {self.batch_ids} iterations per epoch, step {step} of "
                  f"{self.total_steps}; checkpoints in {self.checkpoint_dir}, logs in {self.log_dir}, "
                  f"samples in {self.sample_dir}\nprecision {self.precision} ({self.precision_reason})", flush=True)
            with StopRequest() as stop:  # also around the last save, so a second Ctrl-C cannot cut it short
                step = self.run_iterations(step, writer, stop)
                if step % config.save_freq:
                    self.save_model(self.checkpoint_dir, step)
            writer.close()
        if stop.signum is not None:
            raise TrainingStopped(stop.signum, f"{signal.Signals(stop.signum).name}: stopped at step {step} of "
                                               f"{self.total_steps}, saved in {self.checkpoint_dir}; the same command "
                                               f"goes on from there")
        return step

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

    def run_iterations(self, step, writer, stop):
        """Train until the last epoch, a stop request or --time_limit, printing a line per iteration and writing
        samples, evaluations and checkpoints as often as the flags say; returns the step reached."""
        config, total_steps, start_step = self.config, self.total_steps, step
        last = {"d_loss": None, "g_loss": None}  # with --update_interval > 1 the G loss comes from iteration 1 on
        self.train_start = time.time()
        while step < total_steps and stop.signum is None:
            epoch, idx = divmod(step, self.batch_ids)
            step_start = time.time()
            result = self.sess.run(self.iteration_fetches[step % len(self.iteration_fetches)])
            step += 1
            for summary in result["summary"]:
                writer.add_summary(summary, step)
            losses = {key: value for key, value in result.items() if key.endswith("_loss")}
            if not all(math.isfinite(value) for value in losses.values()):
                raise FloatingPointError(f"loss became {losses} at step {step}")
            last.update(losses)
            elapsed = time.time() - self.train_start
            remaining = elapsed / (step - start_step) * (total_steps - step)
            if config.time_limit:
                remaining = min(remaining, max(config.time_limit - elapsed, 0.0))
            print(f"Epoch: [{epoch:2d}] [{idx:4d}/{self.batch_ids:4d}] time: {elapsed:4.4f}, "
                  f"d_loss: {format_loss(last['d_loss'])}, g_loss: {format_loss(last['g_loss'])}, "
                  f"{config.batch_size / (time.time() - step_start):.1f} pairs/s, ETA {format_seconds(remaining)}",
                  flush=True)
            if step % config.print_freq == 0:
                self.sample_model(self.sample_dir, epoch, idx)
            if config.eval_freq and step % config.eval_freq == 0:
                self.evaluate_model(writer, step)
            if step % config.save_freq == 0:
                self.save_model(self.checkpoint_dir, step)
            if self.out_of_time():
                break
        return step

    def out_of_time(self):
        """True once --time_limit seconds of training have passed (never without a limit)."""
        limit = self.config.time_limit
        if limit and time.time() - self.train_start >= limit:
            print(f"--time_limit {limit:g} s reached: saving a checkpoint", flush=True)
            return True
        return False

    def translate_samples(self, images_a, images_b):
        """Inference-mode (moving-average batch norm) A->B->A and B->A->B of two batches."""
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

    def sample_model(self, sample_dir, epoch, idx):
        """Write the cycle picture of the fixed sample images to sample_dir/train_EE_IIII.png."""
        path = Path(sample_dir) / f"train_{epoch:02d}_{idx:04d}.png"
        save_image(path, self.cycle_picture(*self.sample_images))
        return path

    def evaluate_model(self, writer, step):
        """Score the fixed validation subset (discogan.evaluate's metrics); log eval/ scalars and an images/ picture,
        which also goes to sample_dir/val_STEP.png."""
        images_a, images_b, paired = self.eval_images
        outputs = evaluation.in_batches(self.translate_samples, images_a, images_b, self.config.batch_size)
        scores = evaluation.score(outputs, images_a, images_b, paired)
        values = [v1.Summary.Value(tag=f"eval/{direction}/{key}", simple_value=value)
                  for direction, metrics in scores.items() for key, value in metrics.items() if value is not None]
        picture = self.cycle_picture(images_a, images_b, outputs)
        values.append(v1.Summary.Value(tag="images/val", image=v1.Summary.Image(
            height=picture.shape[0], width=picture.shape[1], colorspace=3,
            encoded_image_string=encode_png(picture))))
        writer.add_summary(v1.Summary(value=values), step)
        save_image(self.sample_dir / f"val_{step:06d}.png", picture)
        self.eval_history.append({"step": step, "elapsed_s": round(time.time() - self.train_start, 1), **scores})
        print(f"eval at step {step}: " + "; ".join(
            f"{direction} " + ", ".join(f"{key} {value:.4f}" for key, value in metrics.items() if value is not None)
            for direction, metrics in scores.items()), flush=True)
        return scores

    def save_model(self, checkpoint_dir, step):
        """Save the checkpoint of `step`, then delete the stale ones a resume found beyond KEEP_CHECKPOINTS.

        No meta graph: nothing reads it (translate and export rebuild the graph from config.json) and it was the
        file a full disk left half-written. A failed save removes what it wrote and ends the run in one line.
        """
        checkpoint_dir = Path(checkpoint_dir)
        try:
            checkpoint_dir.mkdir(parents=True, exist_ok=True)
            path = self.saver.save(self.sess, str(checkpoint_dir / checkpoint.MODEL_NAME), global_step=step,
                                   write_meta_graph=False)
        except (OSError, tf.errors.OpError) as error:
            checkpoint.remove_failed_save(checkpoint_dir, step)
            raise OSError(f"could not save the checkpoint of step {step} in {checkpoint_dir}: "
                          f"{checkpoint.failure_reason(error)}; the checkpoints saved before it are kept") from error
        for prefix in self.stale_checkpoints:
            checkpoint.remove_checkpoint(prefix)
        self.stale_checkpoints = []
        return path

    def load_model(self, checkpoint_dir=None):
        """Restore the newest intact checkpoint of this run; False when there is none.

        Refuses a checkpoint of another architecture or dataset. The Saver only prunes checkpoints it knows, so it
        is told of those on disk: the newest KEEP_CHECKPOINTS are kept across restarts, older ones go at the next save.
        """
        checkpoint_dir = Path(checkpoint_dir or self.checkpoint_dir)
        prefixes = checkpoint.checkpoint_prefixes(checkpoint_dir)
        if not prefixes:
            return False
        self.check_same_run(checkpoint.load_config(checkpoint_dir), checkpoint_dir)
        prefix = checkpoint.restore_newest_intact(prefixes[::-1], self.restore, f"no checkpoint in {checkpoint_dir} "
                                                  f"reads back whole: pass --fresh to move them aside and start again")
        self.saver.recover_last_checkpoints(prefixes[-KEEP_CHECKPOINTS:])
        self.stale_checkpoints = prefixes[:-KEEP_CHECKPOINTS]
        print(f"resumed from {prefix}", flush=True)
        return True

    def check_same_run(self, record, checkpoint_dir):
        """Refuse to resume a checkpoint (config.json `record`) of another architecture or another dataset folder."""
        saved, wanted = networks.Architecture.of(record), networks.Architecture.of(self.config)
        if saved != wanted:
            details = ", ".join(f"--{key} {old} there, {new} now" for key, old, new
                                in zip(wanted._fields, saved, wanted) if old != new)
            raise ValueError(f"{checkpoint_dir} holds a different model ({details}): pass --fresh to move it "
                             f"aside, or another --checkpoint_dir")
        trained_on, dataset = record.get("dataset_dir"), str(self.dataset_dir.resolve())
        if trained_on is not None and trained_on != dataset:
            raise ValueError(f"{checkpoint_dir} holds a model trained on {trained_on}, not on {dataset}: pass "
                             f"--run_name NAME to train a separate run, or --fresh to move the old one aside (if the "
                             f"data only moved, correct dataset_dir in {checkpoint_dir / checkpoint.CONFIG_FILE})")

    def restore(self, prefix):
        """Restore the checkpoint at `prefix`; image pools saved at another --pool_size start empty, and float16's
        loss scale starts afresh from a checkpoint written in another precision.

        Resuming beats refusing: a pool only holds fakes of the last pool_size / batch_size iterations, so an
        empty one costs what the first iterations of any run cost, and refills by itself; the loss scale finds its
        level in a few steps.
        """
        saved = checkpoint.variable_shapes(prefix)
        variables = self.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
        restart = [v for v in variables if v.op.name.startswith((POOL_SCOPE, LOSS_SCALE_SCOPE))
                   and saved.get(v.op.name) != v.shape.as_list()]
        if not restart:
            self.saver.restore(self.sess, prefix)
            return
        with self.graph.as_default():
            v1.train.Saver([v for v in variables if v not in restart]).restore(self.sess, prefix)
        if any(v.op.name.startswith(POOL_SCOPE) for v in restart):
            print(f"the image pools were saved with --pool_size {saved.get(f'{POOL_SCOPE}A/buffer', [0])[0]}, now "
                  f"{self.config.pool_size}: they start empty", flush=True)
        if any(v.op.name.startswith(LOSS_SCALE_SCOPE) for v in restart):
            print("the checkpoint was written in another precision: the float16 loss scale starts afresh", flush=True)
