"""What the commands share beyond GANs: command lines and progress lines."""
