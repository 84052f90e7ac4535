"""The training loop: iterations of a built DiscoGAN until the last epoch, a stop signal or --time_limit, with a
status line (the book's progress line, shown in place or every few seconds, or every iteration with
--log_every_iteration) and samples, evaluations and checkpoints as often as the flags say, each on a line of its
own."""
import collections
import math
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, List, NamedTuple, Optional

from discogan.data.image_io import encode_png, save_image
from discogan.inference import evaluation
from discogan.runs.checkpoint import checkpoint_prefixes, failure_reason
from discogan.runtime.tf_compat import tf, v1
from discogan.util.progress import StatusLine, format_seconds


def picture_value(tag, picture):
    """A summary value of an HxWx3 uint8 picture already drawn: TensorBoard shows it without another graph run."""
    return v1.Summary.Value(tag=tag, image=v1.Summary.Image(height=picture.shape[0], width=picture.shape[1],
                                                            colorspace=3, encoded_image_string=encode_png(picture)))


def format_loss(value):
    """A loss for the progress line; '-' before its first step (not nan, which reads as a diverged run)."""
    return "-" if value is None else f"{value:.4f}"


class Diverged(ValueError):
    """The losses became infinite or NaN: a ValueError, so the command ends in one line, since its usual cause is
    a flag (a learning rate or loss weight too high) and the weights are no longer worth saving."""


def diverged(step, losses, checkpoint_dir):
    """Diverged, naming the losses that are not finite and the newest checkpoint, saved before them."""
    bad = ", ".join(f"{key} became {float(value)}" for key, value in losses.items() if not math.isfinite(value))
    saved = checkpoint_prefixes(checkpoint_dir)
    kept = (f"nothing was saved since {saved[-1]}, the last good checkpoint: resume from it" if saved
            else "nothing was saved: start again")
    return Diverged(f"training diverged at step {step}: {bad}; {kept} with a lower --l_r or loss weights")


class EvalParts(NamedTuple):
    """What an evaluation uses: the validation subset, its translation and picture, and its judges."""
    images: tuple  # (images A, images B, whether they are pairs)
    translate: Callable  # (images A, images B) -> the four translations, in inference mode
    picture: Callable  # (images A, images B, translations) -> the cycle picture
    judges: Callable  # () -> the judges, built once on the scoring thread


class LoopParts(NamedTuple):
    """What the loop uses of a built model: its session and fetches, its length, what to do at each sample, save
    and evaluation (no evaluation without --eval_freq), and the run's folders, which its messages name."""
    session: Any
    iteration_fetches: List[dict]
    total_steps: int
    batch_ids: int
    sample: Callable  # (epoch, iteration in the epoch) -> the picture's path
    save: Callable  # step -> the checkpoint's prefix
    evaluation: Optional[EvalParts]
    checkpoint_dir: Path
    log_dir: Path
    sample_dir: Path


class Every:
    """When a periodic task is due: every `iterations` iterations and every `seconds` of training since it last
    ran, whichever comes first (0 turns that trigger off). Saves and samples by the clock cost the same share of
    a run whatever its speed, where the book's every 5 and 10 iterations dominate a small model's run."""

    def __init__(self, iterations, seconds, now):
        self.iterations, self.seconds, self.last = iterations, seconds, now

    def due(self, step, now):
        if (self.iterations and step % self.iterations == 0) or (self.seconds and now - self.last >= self.seconds):
            self.last = now
            return True
        return False


class TrainingLoop:
    """Runs the iterations of `parts` (LoopParts) in their open session as `config` schedules them, logging to
    `writer` and to the console; stops early once `stops` (the signals noted by discogan.util.stops.stops_held) is
    not empty. `finish` returns the evaluations' scores, gathered on this thread.

    `seconds` adds up the wall time of each kind of work (the training session.run, samples, evaluations,
    checkpoints, the rest), which the closing line reports: on a GPU or a busy CPU, time outside the training
    step is time the processor waits for Python.
    """

    def __init__(self, parts, config, writer, stops):
        self.parts, self.config, self.writer, self.stops = parts, config, writer, stops
        self.start, self.start_cpu = time.time(), time.process_time()
        self.sample_schedule = Every(config.print_freq, config.sample_seconds, self.start)
        self.save_schedule = Every(config.save_freq, config.save_seconds, self.start)
        self.eval_schedule = Every(config.eval_freq, 0, self.start)
        self.seconds = collections.Counter()
        self.saved_step = None
        self.console = StatusLine(every=config.log_every_iteration)
        # One scoring at a time, beside the training: the metrics are numpy on one core, the step uses both.
        self.scoring, self.scored = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scoring"), None
        self.judges = None  # trained at the first scoring, on that thread
        self.evaluations = []  # each scoring's result, kept on the loop's own thread

    def run(self, step):
        """Train from `step`; returns the step reached."""
        self.start_step = step
        with self.console:
            return self.iterate(step)

    def iterate(self, step):
        """The iterations of `run`, their status on the console."""
        parts, config = self.parts, self.config
        last = {"d_loss": None, "g_loss": None}  # with --update_interval > 1 the G loss comes from iteration 1 on
        while step < parts.total_steps and not self.stops:
            epoch, idx = divmod(step, parts.batch_ids)
            step_start = time.time()
            result = parts.session.run(parts.iteration_fetches[step % len(parts.iteration_fetches)])
            run_end = time.time()
            self.seconds["training step"] += run_end - step_start
            step += 1
            losses = {key: value for key, value in result.items() if key.endswith("_loss")}
            if not all(math.isfinite(value) for value in losses.values()):
                raise diverged(step, losses, parts.checkpoint_dir)
            with self.saved_on_failure(step, "the TensorBoard logs", parts.log_dir):
                for summary in result["summary"]:
                    self.writer.add_summary(summary, step)
            last.update(losses)
            elapsed = time.time() - self.start
            remaining = elapsed / (step - self.start_step) * (parts.total_steps - step)
            if config.time_limit:
                remaining = min(remaining, max(config.time_limit - elapsed, 0.0))
            self.console.update(f"Epoch: [{epoch:2d}] [{idx:4d}/{parts.batch_ids:4d}] time: {elapsed:4.4f}, "
                                f"d_loss: {format_loss(last['d_loss'])}, g_loss: {format_loss(last['g_loss'])}, "
                                f"{config.batch_size * (step - self.start_step) / self.seconds['training step']:.1f} pairs/s, "
                                f"ETA {format_seconds(remaining)}")
            self.seconds["logging"] += time.time() - run_end
            if self.sample_schedule.due(step, time.time()):
                with self.saved_on_failure(step, "a sample picture", parts.sample_dir):
                    self.console.say(f"sample picture {self.timed('samples', parts.sample, epoch, idx)}")
            if self.eval_schedule.due(step, time.time()):
                with self.saved_on_failure(step, "an evaluation", parts.sample_dir):
                    self.timed("evaluations", self.evaluate, step)
            if self.save_schedule.due(step, time.time()):
                self.save(step)
            if self.out_of_time():
                break
        return step

    def timed(self, kind, function, *args):
        start = time.time()
        result = function(*args)
        self.seconds[kind] += time.time() - start
        return result

    def save(self, step):
        """A checkpoint of `step`, once: the end of a run saves only if the schedule has not just done so."""
        if self.saved_step != step:
            self.console.say(f"checkpoint {self.timed('checkpoints', self.parts.save, step)}")
            self.saved_step = step

    @contextmanager
    def saved_on_failure(self, step, written, folder):
        """A failed write of `written` in `folder` (a sample picture, an evaluation, the logs) saves the checkpoint
        of `step`, then ends the run in one line as a machine's error: a full disk or a file in the way never costs
        the training done."""
        try:
            yield
        except (OSError, tf.errors.OpError) as error:
            self.save(step)
            raise OSError(f"could not write {written} in {folder}: {failure_reason(error)}; the checkpoint of step "
                          f"{step} is saved in {self.parts.checkpoint_dir}") from error

    def finish(self, step):
        """The run's last checkpoint (unless the schedule has just saved `step`), the last scores, the logs written
        out, then the report; returns every evaluation's {"step", "elapsed_s", direction: scores}."""
        self.save(step)
        with self.saved_on_failure(step, "an evaluation", self.parts.sample_dir):
            self.timed("evaluations", self.wait_for_scores)
        self.scoring.shutdown()
        if self.judges:
            self.judges.close()
        with self.saved_on_failure(step, "the TensorBoard logs", self.parts.log_dir):
            self.writer.close()
        self.report(step - self.start_step)
        return self.evaluations

    def report(self, iterations):
        """One line: where the wall time of these iterations went, the training step's share first, and the
        process's CPU time over that wall time (200% = two cores busy throughout)."""
        wall = time.time() - self.start
        if not iterations or wall <= 0:
            return
        shares = ", ".join(f"{kind} {100 * seconds / wall:.1f}%" for kind, seconds in self.seconds.most_common())
        cpu = 100 * (time.process_time() - self.start_cpu) / wall
        self.console.say(f"{iterations} iterations in {format_seconds(wall)}: {shares} of the wall time; "
                         f"CPU {cpu:.0f}%")

    def out_of_time(self):
        """True once --time_limit seconds of training have passed (never without a limit)."""
        limit = self.config.time_limit
        if limit and time.time() - self.start >= limit:
            self.console.say(f"--time_limit {limit:g} s reached: saving a checkpoint")
            return True
        return False

    def evaluate(self, step):
        """Translate the fixed validation subset now and score it in the background (discogan.evaluate's
        metrics), so that the training goes on while one core computes them."""
        images_a, images_b, paired = self.parts.evaluation.images
        outputs = evaluation.in_batches(self.parts.evaluation.translate, images_a, images_b, self.config.batch_size)
        elapsed = round(time.time() - self.start, 1)
        self.wait_for_scores()
        self.scored = self.scoring.submit(self.log_scores, step, elapsed, outputs)

    def wait_for_scores(self):
        """Until the last scoring is done, keeping its scores; an error it met is raised here, in the training
        loop."""
        if self.scored is not None:
            self.evaluations.append(self.scored.result())
            self.scored = None

    def log_scores(self, step, elapsed, outputs):
        """Score `outputs` of the validation subset; log eval/ scalars and an images/ picture, which also goes to
        sample_dir/val_STEP.png; returns the scores with the step and the time."""
        scoring = self.parts.evaluation
        images_a, images_b, paired = scoring.images
        if self.judges is None:
            self.judges = scoring.judges()
        scores = evaluation.score(outputs, images_a, images_b, paired, judges=self.judges)
        values = [v1.Summary.Value(tag=f"eval/{direction}/{key}", simple_value=value)
                  for direction, metrics in scores.items() for key, value in metrics.items() if value is not None]
        picture = scoring.picture(images_a, images_b, outputs)
        values.append(picture_value("images/val", picture))
        self.writer.add_summary(v1.Summary(value=values), step)
        save_image(self.parts.sample_dir / f"val_{step:06d}.png", picture)
        self.console.say(f"eval at step {step}: " + "; ".join(
            f"{direction} " + ", ".join(f"{key} {value:.4f}" for key, value in metrics.items() if value is not None)
            for direction, metrics in scores.items()))
        return {"step": step, "elapsed_s": elapsed, **scores}
