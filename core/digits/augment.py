"""Seeded augmentation of digit images: small shifts, rotations, scalings and a smooth elastic warp.

Copies are made in chunks into one preallocated array, so the memory is the output plus one chunk.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

ELASTIC_PX = 1.0  # typical (rms) displacement of the elastic warp in pixels, at strength 1
ELASTIC_SIGMA = 4.0  # smoothness of the warp: Gaussian sigma in pixels


def _elastic_field(n: int, side: int, rms_px: float, g: torch.Generator) -> torch.Tensor:
    """Smooth random displacements [n, side, side, 2] in grid_sample's normalised units, rms ``rms_px`` pixels."""
    field = torch.rand(n * 2, 1, side, side, generator=g) * 2 - 1
    r = int(3 * ELASTIC_SIGMA)
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-(t ** 2) / (2 * ELASTIC_SIGMA ** 2))
    k = k / k.sum()
    field = F.conv2d(F.pad(field, (r, r, 0, 0), mode="reflect" if r < side else "replicate"), k.view(1, 1, 1, -1))
    field = F.conv2d(F.pad(field, (0, 0, r, r), mode="reflect" if r < side else "replicate"), k.view(1, 1, -1, 1))
    field = field.view(n, 2, side, side)
    field = field / field.pow(2).mean((1, 2, 3), keepdim=True).sqrt().clamp(min=1e-8) * rms_px
    return field.permute(0, 2, 3, 1) * (2.0 / side)


AUGMENT_CHUNK = 256  # rows warped at once: the elastic field's smoothing (conv2d's im2col) takes ~160 kB a row


def augment_images(X: np.ndarray, strength: float, copies: int, seed: int = 0, side: int = 28,
                   out: np.ndarray | None = None, chunk: int = AUGMENT_CHUNK) -> np.ndarray:
    """Seeded augmented copies of images: X [N, side*side] -> [copies * N, side*side] float32.

    Each copy gets a random small rotation (up to 12 degrees x strength), scale (+-10%), shear,
    shift (up to 2 px) and stroke width change (thicker or thinner by about a pixel); 28x28 digits
    also get an elastic distortion (a smooth random warp, rms ELASTIC_PX px x strength), the
    augmentation that most helped MLPs on MNIST (Simard, Steinkraus and Platt 2003).

    Memory: the copies are written ``chunk`` rows at a time into one preallocated array (``out``
    when given: [copies * N, side*side] float32, e.g. the tail of the training array), so the work
    space is a chunk's, not the copies' (the elastic fields alone were 16 bytes per pixel per row at
    once). The numbers are those of warping every row at once: torch's CPU generator is serial, so
    drawing a field in row chunks gives the same values, and each copy's stroke widths (drawn after
    its fields) are applied in a second pass over the output.
    """
    n, F_ = len(X), X.shape[1]
    if copies <= 0 or strength <= 0 or n == 0:
        return np.zeros((0, F_), np.float32)
    if out is None:
        out = np.empty((copies * n, F_), np.float32)
    if out.shape != (copies * n, F_) or out.dtype != np.float32:
        raise ValueError(f"out must be float32 [{copies * n}, {F_}], got {out.dtype} {list(out.shape)}")
    g = torch.Generator().manual_seed(seed + 104_729)
    x_all = torch.as_tensor(X, dtype=torch.float32).view(-1, 1, side, side)
    chunk = max(1, int(chunk))
    for c in range(copies):
        def u(m: int = n) -> torch.Tensor:
            return torch.rand(m, generator=g) * 2 - 1
        angle = u() * (12.0 * strength) * np.pi / 180
        scale = 1 + u() * 0.10 * strength
        shear = u() * 0.15 * strength
        tx, ty = u() * 2.0 * strength / (side / 2), u() * 2.0 * strength / (side / 2)
        cos, sin = torch.cos(angle), torch.sin(angle)
        # output -> input sampling matrix (affine_grid's convention), in normalised coordinates
        theta = torch.stack([
            torch.stack([cos / scale, (-sin + shear) / scale, tx], 1),
            torch.stack([sin / scale, cos / scale, ty], 1),
        ], 1)
        dest = torch.from_numpy(out[c * n:(c + 1) * n]).view(-1, 1, side, side)
        for lo in range(0, n, chunk):  # the warp, a chunk of rows at a time (fields drawn in order)
            hi = min(n, lo + chunk)
            x = x_all[lo:hi]
            grid = F.affine_grid(theta[lo:hi], list(x.shape), align_corners=False)
            if side >= 16 and ELASTIC_PX > 0:  # elastic distortion (Simard et al. 2003): a smooth random warp
                grid = grid + _elastic_field(hi - lo, side, ELASTIC_PX * strength, g)
            dest[lo:hi] = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        # stroke width: blend towards a dilation (thicker) or an erosion (thinner)
        w = u() * strength
        wpos, wneg = w.clamp(min=0).view(-1, 1, 1, 1), (-w).clamp(min=0).view(-1, 1, 1, 1) * 0.6
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            y = dest[lo:hi]
            thick = F.max_pool2d(y, 3, 1, 1)
            thin = -F.max_pool2d(-y, 3, 1, 1)
            y = y + wpos[lo:hi] * (thick - y) - wneg[lo:hi] * (y - thin)
            y = y / y.amax((1, 2, 3), keepdim=True).clamp(min=1e-6)
            dest[lo:hi] = y.clamp(0, 1)
    return out
