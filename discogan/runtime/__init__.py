"""TensorFlow itself: imported quietly, session options, the precision a session runs in."""
