"""A run on disk: its checkpoint folder and config.json, read by training and by every command that uses a model."""
