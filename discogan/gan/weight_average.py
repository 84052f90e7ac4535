"""Averaged generator weights (--ema_decay): an exponential moving average of every generator variable, kept beside
it in the checkpoint and used for every translation (samples, evaluation, translate, export, the app).

A GAN's last weights carry the noise of its last steps, since the generator chases a moving discriminator; their
average over the last few hundred steps translates more steadily (Yazici et al., "The Unusual Effectiveness of
Averaging in GAN Training", 2019; StyleGAN's G_ema). The batch-norm moving statistics are averaged with the weights,
as timm's ModelEma averages every buffer, so the inference-mode networks read one consistent set.
"""
from discogan.gan.networks import GENERATOR_SCOPES
from discogan.runtime.tf_compat import tf, v1

AVERAGE_SUFFIX = "ExponentialMovingAverage"  # the name v1.train.ExponentialMovingAverage gives each average


def averaged_name(name):
    """The checkpoint name of the average of variable `name`."""
    return f"{name}/{AVERAGE_SUFFIX}"


def is_average(name):
    return name.endswith(f"/{AVERAGE_SUFFIX}")


def has_averages(names):
    """Whether checkpoint variable `names` hold averaged generator weights (a run trained with --ema_decay)."""
    return any(is_average(name) and name.startswith(tuple(GENERATOR_SCOPES.values())) for name in names)


def generator_variables(variables):
    """Of `variables`, the generators' own (weights, batch-norm scales and moving statistics), not their averages
    or optimiser slots: called before the optimisers exist, it is every generator variable."""
    return [v for v in variables if v.op.name.startswith(tuple(GENERATOR_SCOPES.values())) and not is_average(v.op.name)]


class WeightAverage:
    """The averages of `variables`, each starting at its variable's initial value.

    The decay is min(decay, (1 + step) / (10 + step)) at global step `step`, TensorFlow's warm-up, so early in a
    run the average follows the weights closely and it reaches `decay` (a horizon of 1 / (1 - decay) steps) later.
    """

    def __init__(self, variables, decay, global_step):
        self.variables = list(variables)
        self.averages = v1.train.ExponentialMovingAverage(decay, num_updates=global_step)

    def after(self, op):
        """An op that runs `op`, then moves the averages towards the variables' new values."""
        with tf.control_dependencies([op]):
            return self.averages.apply(self.variables)

    def getter(self):
        """A variable_scope custom getter that hands the networks the average of each averaged variable."""
        def averaged(getter, name, *args, **kwargs):
            variable = getter(name, *args, **kwargs)
            average = self.averages.average(variable)
            return variable if average is None else average
        return averaged
