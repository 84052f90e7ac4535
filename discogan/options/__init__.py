"""What a run is made of: every option with its check, and the named presets; nothing heavy is imported."""
