"""The GAN itself: layer ops, the generators and discriminators, the losses and the image pool."""
