"""Using a trained model: translators restored from a checkpoint or SavedModel, evaluation, the app's model."""
