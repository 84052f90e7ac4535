"""The official DiscoGAN networks and the authors' training iteration, in PyTorch (SKTBrain/DiscoGAN, Kim et al.
2017: discogan/model.py and image_translation.py), written once for both peers our benchmarks run."""
import contextlib

import torch
from torch import nn

CODE_CHANNELS = 100  # the 1x1 code of the release's extra_layers generator (the book's network)


def down(cin, cout, norm=True):
    """A stride-2 4x4 convolution, batch norm (not on the first layer), LeakyReLU 0.2."""
    return [nn.Conv2d(cin, cout, 4, 2, 1, bias=False), *([nn.BatchNorm2d(cout)] if norm else []),
            nn.LeakyReLU(0.2, inplace=True)]


def up(cin, cout, stride=2, padding=1):
    """A 4x4 transposed convolution, batch norm, ReLU."""
    return [nn.ConvTranspose2d(cin, cout, 4, stride, padding, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]


def generator(code=False, width=64):
    """Encoder 64x64 -> 4x4x(8 width), decoder back to 3 channels in [0, 1] (sigmoid), no biases.

    code=False is the release's default, which the authors trained; code=True is its extra_layers variant with a
    4x4 valid convolution to a 1x1 code and back, the book's network.
    """
    w = width
    layers = [*down(3, w, norm=False), *down(w, 2 * w), *down(2 * w, 4 * w), *down(4 * w, 8 * w)]
    if code:
        layers += [nn.Conv2d(8 * w, CODE_CHANNELS, 4, 1, 0, bias=False), nn.BatchNorm2d(CODE_CHANNELS),
                   nn.LeakyReLU(0.2, inplace=True), *up(CODE_CHANNELS, 8 * w, stride=1, padding=0)]
    layers += [*up(8 * w, 4 * w), *up(4 * w, 2 * w), *up(2 * w, w),
               nn.ConvTranspose2d(w, 3, 4, 2, 1, bias=False), nn.Sigmoid()]
    return nn.Sequential(*layers)


class Discriminator(nn.Module):
    """Four stride-2 convolutions and a 4x4 valid one to a logit; also returns the activations after the 2nd to
    4th layers, which the authors' feature matching compares."""

    def __init__(self, width=64):
        super().__init__()
        w = width
        self.blocks = nn.ModuleList([nn.Sequential(*down(3, w, norm=False), *down(w, 2 * w)),
                                     nn.Sequential(*down(2 * w, 4 * w)), nn.Sequential(*down(4 * w, 8 * w))])
        self.logit = nn.Conv2d(8 * w, 1, 4, 1, 0, bias=False)

    def forward(self, x):
        features = []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        return self.logit(x).flatten(1), features


def autocast(bfloat16):
    """torch.autocast to bfloat16 on the CPU when asked, else nothing: the setting a PyTorch user turns on."""
    return torch.autocast("cpu", dtype=torch.bfloat16) if bfloat16 else contextlib.nullcontext()


class AuthorsRecipe:
    """The authors' training iteration. Every iteration runs both cycles and both discriminators; it then steps
    the discriminators every `update_interval`-th iteration and the generators otherwise (so 2 G : 1 D).
    Generator loss per direction: (0.1 GAN + 0.9 feature matching) (1 - rate) + rate * reconstruction MSE,
    rate `starting_rate` for the first `gan_curriculum` iterations, then `default_rate`. Adam lr 2e-4, betas
    (0.5, 0.999), weight decay 1e-5. g_ab translates A to B (the release's generator_B)."""

    def __init__(self, width=64, gan_curriculum=10000, starting_rate=0.01, default_rate=0.5, update_interval=3,
                 bfloat16=False):
        self.g_ab, self.g_ba = generator(width=width), generator(width=width)
        self.d_a, self.d_b = Discriminator(width), Discriminator(width)
        adam = dict(lr=2e-4, betas=(0.5, 0.999), weight_decay=1e-5)
        self.g_optimizer = torch.optim.Adam([*self.g_ab.parameters(), *self.g_ba.parameters()], **adam)
        self.d_optimizer = torch.optim.Adam([*self.d_a.parameters(), *self.d_b.parameters()], **adam)
        self.gan_curriculum, self.update_interval = gan_curriculum, update_interval
        self.starting_rate, self.default_rate = starting_rate, default_rate
        self.bfloat16 = bfloat16
        self.iteration = 0

    @property
    def networks(self):
        return self.g_ab, self.g_ba, self.d_a, self.d_b

    def step(self, x_a, x_b):
        """One iteration on a batch of each domain (NCHW in [0, 1])."""
        for network in self.networks:
            network.zero_grad()
        with autocast(self.bfloat16):
            x_ab, x_ba = self.g_ab(x_a), self.g_ba(x_b)
            x_aba, x_bab = self.g_ba(x_ab), self.g_ab(x_ba)
            judged = [self.d_a(x_a), self.d_a(x_ba), self.d_b(x_b), self.d_b(x_ab)]
        # The losses in float32, as autocast would for BCE and MSE.
        real_a, fake_a, real_b, fake_b = [(torch.sigmoid(logit.float()), [f.float() for f in features])
                                          for logit, features in judged]
        if self.iteration % self.update_interval == 0:
            loss = discriminator_loss(real_a[0], fake_a[0]) + discriminator_loss(real_b[0], fake_b[0])
            optimizer = self.d_optimizer
        else:
            rate = self.starting_rate if self.iteration < self.gan_curriculum else self.default_rate
            loss = (generator_loss(real_b, fake_b, x_aba.float(), x_a, rate)
                    + generator_loss(real_a, fake_a, x_bab.float(), x_b, rate))
            optimizer = self.g_optimizer
        loss.backward()
        optimizer.step()
        self.iteration += 1

    @torch.no_grad()
    def translate(self, x_a, x_b):
        """(A->B, A->B->A, B->A, B->A->B) in inference mode (batch norm with its running statistics)."""
        for network in (self.g_ab, self.g_ba):
            network.eval()
        x_ab, x_ba = self.g_ab(x_a), self.g_ba(x_b)
        return x_ab, self.g_ba(x_ab), x_ba, self.g_ab(x_ba)


def discriminator_loss(real, fake):
    """BCE of the discriminator's probabilities: real images towards 1, translations towards 0."""
    bce = nn.functional.binary_cross_entropy
    return 0.5 * bce(real, torch.ones_like(real)) + 0.5 * bce(fake, torch.zeros_like(fake))


def generator_loss(real, fake, reconstruction, original, rate):
    """One direction's generator loss in the authors' weighting; `real` and `fake` are (probability, features)
    of the target domain's discriminator."""
    gan = nn.functional.binary_cross_entropy(fake[0], torch.ones_like(fake[0]))
    return (0.1 * gan + 0.9 * feature_matching(real[1], fake[1])) * (1 - rate) \
        + rate * nn.functional.mse_loss(reconstruction, original)


def feature_matching(real_features, fake_features):
    """The release's feature matching: HingeEmbeddingLoss (target 1, i.e. the mean) of the squared difference
    of the batch-mean activations, summed over the layers."""
    hinge = nn.HingeEmbeddingLoss()
    total = 0
    for real, fake in zip(real_features, fake_features):
        squared = (real.mean(0) - fake.mean(0)) ** 2
        total = total + hinge(squared, torch.ones_like(squared))
    return total
