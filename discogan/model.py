"""The DiscoGAN model of the book chapter: graph, training loop, samples and checkpoints.

One training iteration is one `session.run`: the generator step, then the discriminator step on fakes drawn
from the image pool, ordered by control dependencies, with the input batch coming from a tf.data iterator.
"""
import math
import shutil
import signal
import time
import types
from pathlib import Path

import tensorflow as tf

from discogan import checkpoint, data, evaluate, networks
from discogan.image_io import encode_png, make_grid, save_image, to_uint8
from discogan.image_pool import ImagePool
from discogan.losses import discriminator_losses, generator_losses
from discogan.ops import collect_update_ops
from discogan.progress import format_seconds
from discogan.session import session_config

v1 = tf.compat.v1

SAMPLE_COUNT = 8
ARCHITECTURE_KEYS = ("image_size", "gf", "df")
SUMMARY_TAGS = ("g_loss_a2b", "g_loss_b2a", "g_loss", "db_loss", "da_loss", "d_loss",
                "db_loss_real", "db_loss_fake", "da_loss_real", "da_loss_fake")


def linear_decay_learning_rate(epoch, l_r, epochs, epoch_step):
    """The book's schedule: l_r until `epoch_step`, then linearly down to 0 at `epochs`."""
    epoch = tf.cast(epoch, tf.float32)
    decayed = l_r * (epochs - epoch) / max(epochs - epoch_step, 1)
    return tf.where(epoch < epoch_step, tf.constant(l_r, tf.float32), tf.maximum(decayed, 0.0))


def build_train_step(x_a, x_b, learning_rate, global_step, gf=64, df=64, lambda_l2=1.0, pool_size=50,
                     beta1=0.5, beta2=0.99):
    """One DiscoGAN training iteration on the batches `x_a`, `x_b`: the generator step, then the
    discriminator step on pooled fakes; running `train_op` once runs both and increments `global_step`.

    Built from input tensors so that DiscoGAN (tf.data from image folders) and benchmarks/bench_train.py
    (in-memory images) train the very same graph. Returns a namespace with losses, g_vars, d_vars, the pools
    and pooled fakes, g_train and train_op.
    """
    (x_ab, x_aba, x_ba, x_bab), generator_updates = networks.build_cycle(x_a, x_b, gf)
    logits_fake_b = networks.build_discriminator(x_ab, "discriminator_B", df)
    logits_fake_a = networks.build_discriminator(x_ba, "discriminator_A", df)
    losses = generator_losses(x_a, x_b, x_aba, x_bab, logits_fake_b, logits_fake_a, lambda_l2)

    image_shape = x_a.shape[1:]
    pool_a = ImagePool(image_shape, "image_pool_A", pool_size)
    pool_b = ImagePool(image_shape, "image_pool_B", pool_size)
    pooled_fake_a = pool_a.query(x_ba)
    pooled_fake_b = pool_b.query(x_ab)
    with collect_update_ops() as discriminator_updates:
        logits_real_b = networks.build_discriminator(x_b, "discriminator_B", df, reuse=True)
        logits_pooled_b = networks.build_discriminator(pooled_fake_b, "discriminator_B", df, reuse=True)
        logits_real_a = networks.build_discriminator(x_a, "discriminator_A", df, reuse=True)
        logits_pooled_a = networks.build_discriminator(pooled_fake_a, "discriminator_A", df, reuse=True)
    losses.update(discriminator_losses(logits_real_a, logits_pooled_a, logits_real_b, logits_pooled_b))

    g_vars = [v for v in v1.trainable_variables() if v.name.startswith("generator_")]
    d_vars = [v for v in v1.trainable_variables() if v.name.startswith("discriminator_")]
    g_optimizer = v1.train.AdamOptimizer(learning_rate, beta1, beta2, name="Adam_G")
    d_optimizer = v1.train.AdamOptimizer(learning_rate, beta1, beta2, name="Adam_D")
    with tf.control_dependencies(generator_updates):
        g_train = g_optimizer.minimize(losses["g_loss"], var_list=g_vars)
    d_gradients = d_optimizer.compute_gradients(losses["d_loss"], var_list=d_vars)
    # The discriminator may only change after the generator step has read it.
    with tf.control_dependencies([g_train, *discriminator_updates]):
        train_op = d_optimizer.apply_gradients(d_gradients, global_step=global_step)
    return types.SimpleNamespace(losses=losses, g_vars=g_vars, d_vars=d_vars, pool_a=pool_a, pool_b=pool_b,
                                 pooled_fake_a=pooled_fake_a, pooled_fake_b=pooled_fake_b, g_train=g_train,
                                 train_op=train_op)


def archive_folder(folder):
    """Move an earlier run's folder aside (never delete it) so a fresh run starts empty."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        target = folder.with_name(f"{folder.name}.old-{time.strftime('%Y%m%d-%H%M%S')}")
        shutil.move(str(folder), str(target))
        print(f"moved the earlier run's {folder} to {target}")


class StopRequest:
    """Turns Ctrl-C and SIGTERM into a flag the training loop checks, so it can save before exiting."""

    def __init__(self):
        self.requested = False
        self.previous = {}

    def __enter__(self):
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self.previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def _handle(self, signum, _frame):
        self.requested = True
        print(f"\n{signal.Signals(signum).name} received: saving a checkpoint after this iteration", flush=True)

    def __exit__(self, *exc):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


class DiscoGAN:
    """Unpaired translation between domain A (`trainA/`) and domain B (`trainB/`) of `dataset_dir`.

    Args:
      dataset_dir: folder with trainA/ and trainB/ image folders.
      epochs: number of epochs to train.
      lambda_l2: weight of the reconstruction (MSE) losses.
      image_size: network input and output size (a power of two, 64 in the book).
      batch_size: image pairs per iteration.
      gf: width of the generators' first layer.
      df: width of the discriminators' first layer.
      l_r: Adam learning rate.
      beta1: Adam beta1.
      beta2: Adam beta2.
      train_size: at most this many images of each domain per epoch.
      epoch_step: epoch from which the learning rate decays linearly to zero.
      load_size: images are resized to this size, then randomly cropped to fine_size.
      fine_size: training crop size; must equal image_size.
      checkpoint_dir: checkpoints go to checkpoint_dir/<run name>.
      sample_dir: sample images go to sample_dir/<run name>.
      print_freq: write a sample image every print_freq iterations.
      save_freq: save a checkpoint every save_freq iterations (and at the end).
      log_dir: TensorBoard event files go to log_dir/<run name>.
      seed: random seed for initialisation, shuffling and augmentation (None: random).
      pool_size: image pool size (0 disables the pool).
      fresh: start afresh, moving an earlier run's checkpoints, logs and samples aside instead of resuming.
      run_name: sub-folder name for this run (default: the dataset folder's name).
      eval_freq: every eval_freq iterations evaluate on valA/valB and log eval/ scalars and images/ (0: off).
      eval_count: images per domain of the fixed evaluation subset (the first ones by name).
    """

    def __init__(self, dataset_dir, epochs=200, lambda_l2=1.0, image_size=64, batch_size=64, gf=64, df=64,
                 l_r=2e-4, beta1=0.5, beta2=0.99, train_size=10000, epoch_step=10, load_size=64, fine_size=64,
                 checkpoint_dir="checkpoint", sample_dir="sample", print_freq=5, save_freq=10, log_dir="logs",
                 seed=None, pool_size=50, fresh=False, run_name=None, eval_freq=0, eval_count=64):
        networks.check_image_size(image_size)
        for flag, value in (("epochs", epochs), ("batch_size", batch_size), ("gf", gf), ("df", df),
                            ("train_size", train_size), ("print_freq", print_freq), ("save_freq", save_freq)):
            if int(value) != value or value < 1:
                raise ValueError(f"--{flag} must be a whole number >= 1, got {value!r}")
        if fine_size != image_size:
            raise ValueError(f"--fine_size ({fine_size}) must equal --image_size ({image_size})")
        if load_size < fine_size:
            raise ValueError(f"--load_size ({load_size}) must be at least --fine_size ({fine_size})")
        for flag, value in (("eval_freq", eval_freq), ("eval_count", eval_count)):
            if int(value) != value or value < 0:
                raise ValueError(f"--{flag} must be a whole number >= 0, got {value!r}")
        if pool_size < 0 or l_r <= 0 or lambda_l2 < 0:
            raise ValueError("--pool_size and --lambda_l2 must be >= 0 and --l_r > 0")
        self.dataset_dir = Path(dataset_dir)
        self.epochs, self.lambda_l2, self.image_size, self.batch_size = epochs, lambda_l2, image_size, batch_size
        self.gf, self.df, self.l_r, self.beta1, self.beta2 = gf, df, l_r, beta1, beta2
        self.train_size, self.epoch_step, self.load_size, self.fine_size = train_size, epoch_step, load_size, fine_size
        self.print_freq, self.save_freq, self.seed, self.pool_size = print_freq, save_freq, seed, pool_size
        self.fresh, self.eval_freq = fresh, eval_freq
        self.eval_images = (evaluate.load_split(self.dataset_dir, "val", image_size, eval_count) if eval_freq
                            else None)
        self.eval_history = []
        self.files_a = data.domain_files(self.dataset_dir / "trainA", batch_size)
        self.files_b = data.domain_files(self.dataset_dir / "trainB", batch_size)
        self.batch_ids = data.iterations_per_epoch(self.files_a, self.files_b, train_size, batch_size)
        run_name = run_name or self.dataset_dir.resolve().name
        self.checkpoint_dir = Path(checkpoint_dir) / run_name
        self.sample_dir = Path(sample_dir) / run_name
        self.log_dir = Path(log_dir) / run_name
        self.graph = tf.Graph()
        with self.graph.as_default():
            if seed is not None:
                v1.set_random_seed(seed)
            self.build_network()

    @property
    def config(self):
        """What translate, export and evaluate need to rebuild the generators."""
        return {"image_size": self.image_size, "gf": self.gf, "df": self.df,
                "dataset_dir": str(self.dataset_dir.resolve())}

    def build_network(self):
        """Training graph (batch statistics), inference graph for samples (moving averages), losses, summaries."""
        x_a, x_b = data.train_batches(self.files_a, self.files_b, self.batch_size, self.batch_ids,
                                      self.load_size, self.fine_size, self.seed)
        self.global_step = v1.train.get_or_create_global_step()
        epoch = self.global_step // self.batch_ids
        self.learning_rate = linear_decay_learning_rate(epoch, self.l_r, self.epochs, self.epoch_step)
        step = build_train_step(x_a, x_b, self.learning_rate, self.global_step, self.gf, self.df, self.lambda_l2,
                                self.pool_size, self.beta1, self.beta2)
        self.losses, self.g_vars, self.d_vars = step.losses, step.g_vars, step.d_vars
        self.pool_a, self.pool_b = step.pool_a, step.pool_b
        self.pooled_fake_a, self.pooled_fake_b = step.pooled_fake_a, step.pooled_fake_b
        self.g_train, self.train_op = step.g_train, step.train_op

        image_shape = [self.image_size, self.image_size, 3]
        for tag in SUMMARY_TAGS:
            v1.summary.scalar(tag, self.losses[tag])
        v1.summary.scalar("learning_rate", self.learning_rate)
        self.summary_op = v1.summary.merge_all()

        self.sample_a = v1.placeholder(tf.float32, [None, *image_shape], "sample_A")
        self.sample_b = v1.placeholder(tf.float32, [None, *image_shape], "sample_B")
        (self.sample_ab, self.sample_aba, self.sample_ba, self.sample_bab), _ = networks.build_cycle(
            self.sample_a, self.sample_b, self.gf, training=False, reuse=True)
        self.saver = v1.train.Saver(max_to_keep=5, save_relative_paths=True)  # the folder can be moved

    def train_network(self):
        """Train from the latest checkpoint (or from scratch) to `epochs`, saving on Ctrl-C or SIGTERM."""
        if self.fresh:
            for folder in (self.checkpoint_dir, self.log_dir, self.sample_dir):
                archive_folder(folder)
        with v1.Session(graph=self.graph, config=session_config()) as self.sess:
            self.sess.run(v1.global_variables_initializer())
            resumed = self.load_model()
            checkpoint.save_config(self.checkpoint_dir, self.config)
            writer = v1.summary.FileWriter(str(self.log_dir), None if resumed else self.graph)
            self.sample_images = (data.load_batch(self.files_a[:SAMPLE_COUNT], self.image_size),
                                  data.load_batch(self.files_b[:SAMPLE_COUNT], self.image_size))
            start_step = int(self.sess.run(self.global_step))
            total_steps = self.epochs * self.batch_ids
            print(f"training {self.dataset_dir}: {len(self.files_a)} A / {len(self.files_b)} B images, "
                  f"{self.batch_ids} iterations per epoch, step {start_step} of {total_steps}; "
                  f"checkpoints in {self.checkpoint_dir}, logs in {self.log_dir}, samples in {self.sample_dir}",
                  flush=True)
            start_time = self.train_start = time.time()
            fetches = {"train": self.train_op, "summary": self.summary_op,
                       "d_loss": self.losses["d_loss"], "g_loss": self.losses["g_loss"]}
            step = start_step
            with StopRequest() as stop:
                while step < total_steps and not stop.requested:
                    epoch, idx = divmod(step, self.batch_ids)
                    step_start = time.time()
                    result = self.sess.run(fetches)
                    step += 1
                    writer.add_summary(result["summary"], step)
                    if not (math.isfinite(result["d_loss"]) and math.isfinite(result["g_loss"])):
                        raise FloatingPointError(f"loss became {result['d_loss']}/{result['g_loss']} at step {step}")
                    elapsed = time.time() - start_time
                    print(f"Epoch: [{epoch:2d}] [{idx:4d}/{self.batch_ids:4d}] time: {elapsed:4.4f}, "
                          f"d_loss: {result['d_loss']:.4f}, g_loss: {result['g_loss']:.4f}, "
                          f"{self.batch_size / (time.time() - step_start):.1f} pairs/s, ETA "
                          f"{format_seconds(elapsed / (step - start_step) * (total_steps - step))}", flush=True)
                    if step % self.print_freq == 0:
                        self.sample_model(self.sample_dir, epoch, idx)
                    if self.eval_freq and step % self.eval_freq == 0:
                        self.evaluate_model(writer, step)
                    if step % self.save_freq == 0:
                        self.save_model(self.checkpoint_dir, step)
            if step % self.save_freq:
                self.save_model(self.checkpoint_dir, step)
            writer.close()
        return step

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
        outputs = evaluate.in_batches(self.translate_samples, images_a, images_b, self.batch_size)
        scores = evaluate.score(outputs, images_a, images_b, paired)
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
        Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
        return self.saver.save(self.sess, str(Path(checkpoint_dir) / checkpoint.MODEL_NAME), global_step=step)

    def load_model(self, checkpoint_dir=None):
        """Restore the latest checkpoint of this run; False when there is none. Refuses another architecture."""
        checkpoint_dir = Path(checkpoint_dir or self.checkpoint_dir)
        prefix = checkpoint.latest_checkpoint(checkpoint_dir)
        if prefix is None:
            return False
        saved = checkpoint.load_config(checkpoint_dir)
        mismatched = {key: (saved.get(key), self.config[key]) for key in ARCHITECTURE_KEYS
                      if saved.get(key) != self.config[key]}
        if mismatched:
            details = ", ".join(f"--{key} {old} there, {new} now" for key, (old, new) in mismatched.items())
            raise ValueError(f"{checkpoint_dir} holds a different model ({details}): pass --fresh to move it "
                             f"aside, or another --checkpoint_dir")
        self.saver.restore(self.sess, prefix)
        print(f"resumed from {prefix}", flush=True)
        return True
