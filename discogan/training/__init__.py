"""Training: the book's DiscoGAN class, where the graph, the loop and the run's checkpoints meet."""
