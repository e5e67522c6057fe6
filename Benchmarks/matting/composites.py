"""Composites with exact truth, made the VideoMatte240K way: a foreground with a known alpha over a
background, both moving (the person along a path, the camera panning across the background).

Material (all shipped by Debian packages, so nothing is downloaded; see README.md here):
- foregrounds: NASA's astronaut portrait (Eileen Collins; python3-skimage, public domain) and
  Grace Hopper's portrait (python-matplotlib-data; public domain, US Navy photo);
- their alpha: MediaPipe's person probability for each photo (Tests/Support/mediapipe/, made by
  Models/make_mediapipe_goldens.py), upsampled bilinearly, thresholded at 0.5 on an 8×8 supersampled
  grid and averaged back down. The composite is made with exactly that alpha, so the truth is exact
  by construction (a cut, not a real matte: no hair or transparency);
- backgrounds: scikit-image's photos (python3-skimage; terms as its `skimage.data` docstrings give
  them): coffee (Rachel Michetti, CC0), rocket (SpaceX, released into the public domain) and
  motorcycle_left (the Middlebury 2014 stereo data set, Scharstein et al., GCPR 2014, a garage).

The person moves by whole pixels (so its alpha needs no resampling and stays exact); the
background pans by whole pixels too. Everything is deterministic: the same call makes the same bytes.
"""
import math
import os

import numpy
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
FOREGROUNDS = {
    "astronaut": (f"{SKIMAGE}/astronaut.png", "astronaut_256x256.person.png"),
    "hopper": ("/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg", "grace_hopper_256x256.person.png"),
}
BACKGROUNDS = {
    "coffee": f"{SKIMAGE}/coffee.png",
    "motorcycle": f"{SKIMAGE}/motorcycle_left.png",
    "rocket": f"{SKIMAGE}/rocket.jpg",
}
SUPERSAMPLE = 8


def centre_square(image):
    w, h = image.size
    side = min(w, h)
    return image.crop(((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side))


def foreground(name, height):
    """The foreground's colour (float RGB, H×W×3) and exact alpha (H×W) at `height` pixels tall."""
    photo, mask = FOREGROUNDS[name]
    picture = centre_square(Image.open(photo).convert("RGB")).resize((height, height), Image.LANCZOS)
    probability = numpy.asarray(Image.open(f"{REPO}/Tests/Support/mediapipe/{mask}"), dtype=numpy.float64) / 65535
    # Bilinear upsampling to the supersampled grid (align_corners=False), thresholded, block-averaged.
    fine = height * SUPERSAMPLE
    source = probability.shape[0]
    coordinates = numpy.clip((numpy.arange(fine) + 0.5) * source / fine - 0.5, 0, source - 1)
    low = numpy.floor(coordinates).astype(int)
    high = numpy.minimum(low + 1, source - 1)
    t = coordinates - low
    rows = probability[low] * (1 - t)[:, None] + probability[high] * t[:, None]
    inside = numpy.empty((fine, fine), dtype=numpy.float32)
    for start in range(0, fine, 512):
        block = rows[start:start + 512]
        inside[start:start + 512] = (block[:, low] * (1 - t) + block[:, high] * t) >= 0.5
    alpha = inside.reshape(height, SUPERSAMPLE, height, SUPERSAMPLE).mean(axis=(1, 3))
    return numpy.asarray(picture, dtype=numpy.float32), alpha.astype(numpy.float32)


def background(name, width, height, pan):
    """The background scaled to cover `width + pan` × `height` (float RGB)."""
    picture = Image.open(BACKGROUNDS[name]).convert("RGB")
    w, h = picture.size
    scale = max((width + pan) / w, height / h)
    size = (max(width + pan, round(w * scale)), max(height, round(h * scale)))
    picture = picture.resize(size, Image.BICUBIC)
    top = (size[1] - height) // 2
    return numpy.asarray(picture, dtype=numpy.float32)[top:top + height, :width + pan]


class Clip:
    """One foreground over one background, `frames` frames of `width`×`height`."""

    def __init__(self, foreground_name, background_name, width=1280, height=720, frames=48):
        self.name = f"{foreground_name}-{background_name}"
        self.width, self.height, self.frames = width, height, frames
        self.person_height = round(height * 0.85)
        self.colour, self.alpha_cut = foreground(foreground_name, self.person_height)
        self.pan = max(1, width // 320) * frames
        self.room = background(background_name, width, height, self.pan)

    def placement(self, index):
        """The person's top-left corner in frame `index`: a sway across the frame and a small bob."""
        t = index / max(1, self.frames)
        x = round((self.width - self.person_height) / 2 + self.width * 0.12 * math.sin(2 * math.pi * t))
        y = self.height - self.person_height + round(self.height * 0.03 * (1 - math.cos(4 * math.pi * t)))
        return x, y

    def frame(self, index):
        """Frame `index` as uint8 RGB, and its exact alpha (float32)."""
        shift = index * self.pan // self.frames
        picture = self.room[:, shift:shift + self.width].copy()
        alpha = numpy.zeros((self.height, self.width), dtype=numpy.float32)
        x, y = self.placement(index)
        size = self.person_height
        # The part of the person inside the frame.
        x0, y0, x1, y1 = max(0, x), max(0, y), min(self.width, x + size), min(self.height, y + size)
        if x1 > x0 and y1 > y0:
            a = self.alpha_cut[y0 - y:y1 - y, x0 - x:x1 - x]
            alpha[y0:y1, x0:x1] = a
            picture[y0:y1, x0:x1] = a[..., None] * self.colour[y0 - y:y1 - y, x0 - x:x1 - x] + (1 - a[..., None]) * picture[y0:y1, x0:x1]
        return numpy.clip(numpy.rint(picture), 0, 255).astype(numpy.uint8), alpha


    def over(self, index, colour):
        """Frame `index`'s person composited with its exact alpha over a flat `colour` (float RGB):
        what `--style replace --background COLOUR` should show."""
        _, alpha = self.frame(index)
        picture = numpy.empty((self.height, self.width, 3), dtype=numpy.float32)
        picture[:] = numpy.asarray(colour, dtype=numpy.float32)
        x, y = self.placement(index)
        size = self.person_height
        x0, y0, x1, y1 = max(0, x), max(0, y), min(self.width, x + size), min(self.height, y + size)
        if x1 > x0 and y1 > y0:
            a = alpha[y0:y1, x0:x1, None]
            picture[y0:y1, x0:x1] = a * self.colour[y0 - y:y1 - y, x0 - x:x1 - x] + (1 - a) * picture[y0:y1, x0:x1]
        return picture, alpha


def clips(small=False, frames=48):
    """The benchmark's clips: every foreground over every background (small: one of each, 12 frames)."""
    if small:
        return [Clip("hopper", "coffee", frames=12)]
    return [Clip(f, b, frames=frames) for f in FOREGROUNDS for b in BACKGROUNDS]
