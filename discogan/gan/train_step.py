"""One DiscoGAN training iteration as a graph: both cycles, the discriminators on real and pooled fakes, the losses
and the two Adam steps.

In the book's schedule one op runs the generator step, then the discriminator step on fakes drawn from the image
pool, ordered by control dependencies; with the authors' `--update_interval 3` an iteration runs one of the two.
"""
import functools
import types

from discogan.gan import networks
from discogan.gan.augment import diff_augment
from discogan.gan.image_pool import ImagePool
from discogan.gan.losses import Direction, discriminator_losses, generator_losses, print_encoder_loss
from discogan.gan.cpu_forms import faster_gradients
from discogan.gan.ops import collect_update_ops
from discogan.gan.weight_average import WeightAverage, generator_variables
from discogan.options.config import TrainConfig
from discogan.runtime.precision import loss_scaled
from discogan.runtime.session import session_config
from discogan.runtime.tf_compat import tf, v1


POOL_SCOPE = "image_pool_"
# The A->B and B->A halves of a step share no op but the losses' sums: two chains of ops that can run side by side.
BRANCHES = 2


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


def replicas_in_sync():
    """How many replicas tf.distribute runs this step on (1 outside a strategy); the optimisers sum their
    gradients, so each replica contributes its share of the global batch's."""
    return tf.distribute.get_replica_context().num_replicas_in_sync


def replica_share(loss):
    """This replica's share of a loss averaged over the global batch: its own batch's average over the replicas
    (the loss itself on one device, whose graph stays as it was)."""
    replicas = replicas_in_sync()
    return loss / replicas if replicas > 1 else loss


def with_weight_decay(gradients, weight_decay):
    """Add weight_decay * w to each gradient, as PyTorch's Adam(weight_decay=...) does (L2, not AdamW); each of
    several replicas adds its share."""
    if not weight_decay:
        return gradients
    share = weight_decay / replicas_in_sync()
    return [(gradient + share * variable, variable) for gradient, variable in gradients]


def training_session_config(precision):
    """The options of a session that runs this step in `precision`, thread pools sized for its BRANCHES."""
    return session_config(precision, branches=BRANCHES)


def build_train_step(x_a, x_b, learning_rate, global_step, config=TrainConfig(), precision="float32"):
    """The DiscoGAN training iteration(s) on the batches `x_a`, `x_b`, built from `config`.

    `config.update_interval` 1 (the book): one op runs the generator step, then the discriminator step on pooled
    fakes. N > 1 (the authors'): a discriminator step on every Nth iteration and a generator step on the others.
    `iteration_ops[step % len(iteration_ops)]` is the op of iteration `step`; each increments `global_step`.
    Built from input tensors so that DiscoGAN (tf.data from image folders) and benchmarks/bench_train.py
    (in-memory images) train the very same graph. `precision` is the one the session will use
    (discogan.runtime.precision): the convs' gradients take their fastest forms for it (discogan.gan.cpu_forms),
    and float16 adds loss scaling to the optimisers. Returns a namespace with the loss terms of each side
    (`g_losses`, `d_losses`, and `losses` holding both), the reconstruction weight `lambda_l2`, the pooled fakes,
    g_train, d_train, iteration_ops and `weight_average` (the generators' averaged weights, a
    discogan.gan.weight_average.WeightAverage, when `config.ema_decay` is set; else None).
    """
    with faster_gradients(precision):
        return _build_train_step(x_a, x_b, learning_rate, global_step, config, precision)


def _build_train_step(x_a, x_b, learning_rate, global_step, config, precision):
    """build_train_step's graph, built inside its choice of gradient forms."""
    architecture = networks.Architecture.of(config)
    df = architecture.df
    discriminator_a, discriminator_b = (f"{networks.DISCRIMINATOR_SCOPE}{domain}" for domain in "AB")
    (x_ab, x_aba, x_ba, x_bab), generator_updates = networks.build_cycle(x_a, x_b, architecture)
    weight_average = (WeightAverage(generator_variables(v1.global_variables()), config.ema_decay, global_step)
                      if config.ema_decay else None)
    seen = functools.partial(diff_augment, policy=config.diff_augment)  # what the discriminators see of an image
    logits_fake_b, features_fake_b = networks.build_discriminator(seen(x_ab), discriminator_b, df,
                                                                  return_features=True)
    logits_fake_a, features_fake_a = networks.build_discriminator(seen(x_ba), discriminator_a, df,
                                                                  return_features=True)

    image_shape = x_a.shape[1:]
    pooled_fake_a = ImagePool(image_shape, f"{POOL_SCOPE}A", config.pool_size).query(x_ba)
    pooled_fake_b = ImagePool(image_shape, f"{POOL_SCOPE}B", config.pool_size).query(x_ab)
    with collect_update_ops() as discriminator_updates:
        logits_real_b, features_real_b = networks.build_discriminator(seen(x_b), discriminator_b, df, reuse=True,
                                                                      return_features=True)
        logits_pooled_b = networks.build_discriminator(seen(pooled_fake_b), discriminator_b, df, reuse=True)
        logits_real_a, features_real_a = networks.build_discriminator(seen(x_a), discriminator_a, df, reuse=True,
                                                                      return_features=True)
        logits_pooled_a = networks.build_discriminator(seen(pooled_fake_a), discriminator_a, df, reuse=True)
    lambda_l2 = reconstruction_weight(global_step, config)
    cycle = {"a2b": Direction(x_a, x_b, x_ab, x_aba, logits_fake_b, features_real_b, features_fake_b,
                              networks.generator_of("AtoB", architecture)),
             "b2a": Direction(x_b, x_a, x_ba, x_bab, logits_fake_a, features_real_a, features_fake_a,
                              networks.generator_of("BtoA", architecture))}
    g_losses = generator_losses(cycle, config, lambda_l2)
    print_encoder = (print_encoder_loss(x_a, x_b, pooled_fake_b, pooled_fake_a, df)
                     if any(config.direction_weights("lambda_print").values()) else None)
    d_losses = discriminator_losses(logits_real_a, logits_pooled_a, logits_real_b, logits_pooled_b, print_encoder)

    g_vars = [v for v in v1.trainable_variables() if v.name.startswith(networks.GENERATOR_SCOPE)]
    d_vars = [v for v in v1.trainable_variables() if v.name.startswith(networks.DISCRIMINATOR_SCOPE)]
    g_optimizer, d_optimizer = (loss_scaled(v1.train.AdamOptimizer(learning_rate, config.beta1, config.beta2,
                                                                   name=f"Adam_{side}"), precision, side)
                                for side in "GD")
    combined = config.update_interval == 1
    g_gradients = with_weight_decay(g_optimizer.compute_gradients(replica_share(g_losses["g_loss"]), g_vars),
                                    config.weight_decay)
    d_gradients = with_weight_decay(d_optimizer.compute_gradients(replica_share(d_losses["d_loss"]), d_vars),
                                    config.weight_decay)
    with tf.control_dependencies(generator_updates):
        g_train = g_optimizer.apply_gradients(g_gradients, global_step=None if combined else global_step)
    if weight_average:
        g_train = weight_average.after(g_train)
    # Combined, the discriminator may only change after the generator step has read it.
    with tf.control_dependencies([*discriminator_updates, *([g_train] if combined else [])]):
        d_train = d_optimizer.apply_gradients(d_gradients, global_step=global_step)
    iteration_ops = [d_train] if combined else [d_train] + [g_train] * (config.update_interval - 1)
    return types.SimpleNamespace(g_losses=g_losses, d_losses=d_losses, losses={**g_losses, **d_losses},
                                 lambda_l2=lambda_l2, g_vars=g_vars, d_vars=d_vars, pooled_fake_a=pooled_fake_a,
                                 pooled_fake_b=pooled_fake_b, g_train=g_train, d_train=d_train,
                                 iteration_ops=iteration_ops, weight_average=weight_average)
