#!/usr/bin/env python3
"""Training throughput of the official DiscoGAN networks in PyTorch: the peer of benchmarks/bench_train.py.

    python benchmarks/peers/speed.py --batch 64 --steps 5                      # the book's step, float32
    python benchmarks/peers/speed.py --batch 64 --bf16 --channels_last         # as a PyTorch user on a bf16 CPU
    python benchmarks/peers/speed.py --batch 16 --recipe official --bf16       # the authors' iteration

--recipe book (default) times the book's iteration on the 1x1-code generator: a generator step on both
directions (two reconstruction MSEs, two GAN terms), then a discriminator step on the real and the detached
translated images. --recipe official times the authors' iteration (official.AuthorsRecipe): one timed step is
the mean over a cycle of update_interval iterations (D, G, G), as bench_train.py --recipe official counts ours.
The input is one batch of random images already in memory. Prints one JSON line.
"""
import argparse
import json
import time

import torch
from torch import nn

from official import AuthorsRecipe, Discriminator, autocast, generator


class BookStep:
    """The book's iteration: a G step on both directions, then a D step (Adam lr 2e-4, betas (0.5, 0.99))."""

    def __init__(self, bfloat16):
        self.g_ab, self.g_ba = generator(code=True), generator(code=True)
        self.d_a, self.d_b = Discriminator(), Discriminator()
        adam = dict(lr=2e-4, betas=(0.5, 0.99))
        self.g_optimizer = torch.optim.Adam([*self.g_ab.parameters(), *self.g_ba.parameters()], **adam)
        self.d_optimizer = torch.optim.Adam([*self.d_a.parameters(), *self.d_b.parameters()], **adam)
        self.bfloat16 = bfloat16

    @property
    def networks(self):
        return self.g_ab, self.g_ba, self.d_a, self.d_b

    def step(self, x_a, x_b):
        bce, mse = nn.functional.binary_cross_entropy_with_logits, nn.functional.mse_loss
        with autocast(self.bfloat16):
            x_ab, x_ba = self.g_ab(x_a), self.g_ba(x_b)
            x_aba, x_bab = self.g_ba(x_ab), self.g_ab(x_ba)
            judged_b, judged_a = self.d_b(x_ab)[0].float(), self.d_a(x_ba)[0].float()
        g_loss = (mse(x_aba.float(), x_a) + mse(x_bab.float(), x_b)
                  + bce(judged_b, torch.ones_like(judged_b)) + bce(judged_a, torch.ones_like(judged_a)))
        self.g_optimizer.zero_grad()
        g_loss.backward()
        self.g_optimizer.step()
        with autocast(self.bfloat16):
            logits = [d(x)[0].float() for d, x in ((self.d_a, x_a), (self.d_b, x_b),
                                                   (self.d_a, x_ba.detach()), (self.d_b, x_ab.detach()))]
        d_loss = sum(bce(logit, torch.full_like(logit, target)) / 2
                     for logit, target in zip(logits, (1.0, 1.0, 0.0, 0.0)))
        self.d_optimizer.zero_grad()
        d_loss.backward()
        self.d_optimizer.step()


def setting_name(bfloat16, channels_last):
    """The label bench_train.py prints for a peer setting."""
    return ("bfloat16" if bfloat16 else "float32") + ("+channels_last" if channels_last else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--recipe", choices=("book", "official"), default="book")
    parser.add_argument("--bf16", action="store_true", help="torch.autocast('cpu', bfloat16) around the networks")
    parser.add_argument("--channels_last", action="store_true", help="NHWC memory format for networks and inputs")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = AuthorsRecipe(gan_curriculum=0, bfloat16=args.bf16) if args.recipe == "official" \
        else BookStep(args.bf16)
    iterations_per_step = model.update_interval if args.recipe == "official" else 1
    images = [torch.rand(args.batch, 3, 64, 64), torch.rand(args.batch, 3, 64, 64)]  # A, B in [0, 1]
    if args.channels_last:
        for network in model.networks:
            network.to(memory_format=torch.channels_last)
        images = [x.contiguous(memory_format=torch.channels_last) for x in images]

    def run_step():
        for _ in range(iterations_per_step):
            model.step(*images)

    for _ in range(args.warmup):
        run_step()
    start = time.perf_counter()
    for _ in range(args.steps):
        run_step()
    step_s = (time.perf_counter() - start) / args.steps / iterations_per_step
    print(json.dumps({"impl": "torch", "version": torch.__version__, "recipe": args.recipe,
                      "setting": setting_name(args.bf16, args.channels_last), "threads": torch.get_num_threads(),
                      "batch": args.batch, "steps": args.steps, "step_s": round(step_s, 4),
                      "pairs_per_s": round(args.batch / step_s, 2)}), flush=True)


if __name__ == "__main__":
    main()
