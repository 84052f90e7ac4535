"""Checkpoint helpers: a checkpoint that does not fit the graph is described variable by variable."""
import tensorflow as tf

from discogan.runs.checkpoint import variable_mismatches

v1 = tf.compat.v1


def test_missing_extra_and_reshaped_variables_are_named_but_optimiser_slots_are_not():
    with tf.Graph().as_default():
        with v1.variable_scope("generator_AB"):
            weights = v1.get_variable("dwn1/conv/weights", [4, 4, 3, 8])
            gamma = v1.get_variable("dwn2/bn/gamma", [16])
        saved = {"generator_AB/dwn1/conv/weights": [4, 4, 3, 8], "generator_AB/dwn1/conv/weights/Adam_G": [4, 4, 3, 8],
                 "generator_AB/dwn1/conv/biases": [8], "generator_AB/dwn1/conv/biases/Adam_G": [8],
                 "discriminator_A/dwn1/conv/weights": [4, 4, 3, 8]}
        assert variable_mismatches(saved, [weights]) == [
            "generator_AB/dwn1/conv/biases is in the checkpoint but not in this model (a checkpoint of another "
            "version?)"]
        saved["generator_AB/dwn2/bn/gamma"] = [32]
        del saved["generator_AB/dwn1/conv/biases"], saved["generator_AB/dwn1/conv/biases/Adam_G"]
        assert variable_mismatches(saved, [weights, gamma]) == [
            "generator_AB/dwn2/bn/gamma is [32] in the checkpoint, [16] for config.json"]
        del saved["generator_AB/dwn1/conv/weights"]
        assert variable_mismatches(saved, [weights])[0] == "generator_AB/dwn1/conv/weights is missing from the checkpoint"
