#!/usr/bin/env python3
"""Reference outputs of MediaPipe's own runtime for the selfie segmentation models.

MediaPipe's runtime is the only TFLite runtime that knows the models' custom op
(Convolution2DTransposeBias), and it brings heavy dependencies, so it runs once, here, in a venv,
and its outputs are kept as small golden files under Tests/Support/mediapipe/ that the tests
compare the converted TorchScript models against (no pip install in CI).

    /usr/bin/python3 -m venv Models/.venv-mediapipe
    Models/.venv-mediapipe/bin/pip install mediapipe==0.10.14
    Models/.venv-mediapipe/bin/python Models/make_mediapipe_goldens.py

Inputs are public-domain photos that Debian packages ship (python3-skimage or python3-imageio:
NASA's astronaut portrait; python-matplotlib-data: Grace Hopper), centre-cropped to each model's
aspect and resized to its input size before MediaPipe sees them, so its own resizing is the
identity and does not blur the comparison. Written:

- `<photo>_<w>x<h>.png`: the input picture (RGB).
- `<photo>_<w>x<h>.person.png`: MediaPipe's person probability, 16-bit grey, value = round(p·65535).
- `sample_<frame>.mask.png`: for frames of Samples/sample.mp4, MediaPipe's mask (p > 0.5) at the
  frame's size, 8-bit (0 or 255), for the IoU test of the annotated sample.
"""

import os
import subprocess
import sys

import mediapipe as mp
import numpy
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "Tests", "Support", "mediapipe")
PHOTOS = {
    "astronaut": ["/usr/lib/python3/dist-packages/skimage/data/astronaut.png",
                  "/usr/lib/python3/dist-packages/imageio/resources/images/astronaut.png"],
    "grace_hopper": ["/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"],
}
# model_selection 0: 256x256 (general); 1: 256x144 (landscape).
MODELS = {0: (256, 256), 1: (256, 144)}
SAMPLE_FRAMES = [25, 75, 150, 225]


def first_existing(paths):
    for path in paths:
        if os.path.exists(path):
            return path
    sys.exit(f"make_mediapipe_goldens: none of {paths} exists (install the Debian package that ships it)")


def crop_resize(image, width, height):
    """Centre crop to width:height, then resize to exactly width x height."""
    w, h = image.size
    target = width / height
    if w / h > target:
        new_w = round(h * target)
        image = image.crop(((w - new_w) // 2, 0, (w - new_w) // 2 + new_w, h))
    else:
        new_h = round(w / target)
        image = image.crop((0, (h - new_h) // 2, w, (h - new_h) // 2 + new_h))
    return image.resize((width, height), Image.BILINEAR)


def person_probability(segmenter, rgb):
    result = segmenter.process(numpy.ascontiguousarray(rgb))
    return numpy.asarray(result.segmentation_mask, dtype=numpy.float32)


def sample_frame(index):
    """Frame `index` of the sample as RGB, decoded by ffmpeg."""
    sample = os.path.join(REPO, "Samples", "sample.mp4")
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", sample, "-vf", f"select=eq(n\\,{index})", "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    return numpy.frombuffer(raw, dtype=numpy.uint8).reshape(720, 1280, 3)


def main():
    os.makedirs(OUT, exist_ok=True)
    for selection, (width, height) in MODELS.items():
        with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=selection) as segmenter:
            for name, paths in PHOTOS.items():
                picture = crop_resize(Image.open(first_existing(paths)).convert("RGB"), width, height)
                stem = os.path.join(OUT, f"{name}_{width}x{height}")
                picture.save(stem + ".png")
                probability = person_probability(segmenter, numpy.asarray(picture))
                assert probability.shape == (height, width), probability.shape
                Image.fromarray(numpy.round(probability * 65535).astype(numpy.uint16)).save(stem + ".person.png")
                print(f"{stem}: person {float((probability > 0.5).mean()):.3f} of the picture", file=sys.stderr)
            if selection == 1:
                for index in SAMPLE_FRAMES:
                    probability = person_probability(segmenter, sample_frame(index))
                    mask = ((probability > 0.5) * 255).astype(numpy.uint8)
                    Image.fromarray(mask).save(os.path.join(OUT, f"sample_{index:03d}.mask.png"))
                    print(f"sample frame {index}: person {float((mask > 0).mean()):.3f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
