#!/usr/bin/env python3
"""Compares two conversions of the default models (folders OLD and NEW holding
selfie_segmentation.pt and selfie_segmentation_landscape.pt) on real pictures: the 250 frames of
Samples/sample.mp4 (scaled by ffmpeg to each model's size) and the golden photos in
Tests/Support/mediapipe/, through the frozen and the frozen+optimised graphs: max |Δ person
probability|, class maps (p > 0.5) equal, distance to MediaPipe's goldens, and each graph's error
against a float64 run of OLD's graph (the exact function).

    /usr/bin/python3 Models/compare_default_models.py OLD NEW    # e.g. an old checkout's Models/
"""
import os, subprocess, sys, numpy, torch
from PIL import Image
torch.set_num_threads(2)
OLD, NEW = sys.argv[1], sys.argv[2]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sample_frames(width, height):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", os.path.join(REPO, "Samples", "sample.mp4"), "-vf",
                          f"scale={width}:{height}:flags=bilinear", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    return numpy.frombuffer(raw, dtype=numpy.uint8).reshape(-1, height, width, 3)


for suffix, (W, H) in (('_landscape', (256, 144)), ('', (256, 256))):
    frames = sample_frames(W, H)
    photos = {}
    for p in ('astronaut', 'grace_hopper'):
        photos[p] = numpy.asarray(Image.open(f'{REPO}/Tests/Support/mediapipe/{p}_{W}x{H}.png').convert('RGB'))
        golden = numpy.asarray(Image.open(f'{REPO}/Tests/Support/mediapipe/{p}_{W}x{H}.person.png')).astype(numpy.float64) / 65535
        photos[p] = (photos[p], golden)
    pics = [f for f in frames] + [v[0] for v in photos.values()]
    x = torch.from_numpy(numpy.stack(pics)).permute(0, 3, 1, 2).float() / 255
    res = {}
    for tag, path in (('old', OLD), ('new', NEW)):
        f = f'{path}/selfie_segmentation{suffix}.pt'
        fr = torch.jit.freeze(torch.jit.load(f).eval())
        op = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.load(f).eval()))
        with torch.no_grad():
            res[tag, 'F'] = torch.cat([fr(x[i:i+1]) for i in range(len(x))])[:, 1].double()
            res[tag, 'O'] = torch.cat([op(x[i:i+1]) for i in range(len(x))])[:, 1].double()
    def cmp(a, b, label):
        d = (a - b).abs()
        same = ((a > 0.5) == (b > 0.5))
        print(f'  {label:28s} max|dp| {d.max().item():.2e}  (sample {d[:-2].max().item():.2e}, photos {d[-2:].max().item():.2e})'
              f'  class maps equal {same.double().mean().item()*100:.5f}% ({(~same).sum().item()} of {same.numel()} px differ)')
    print(f'selfie_segmentation{suffix} ({W}x{H}), {len(frames)} sample frames + 2 photos')
    cmp(res['old', 'F'], res['new', 'F'], 'old frozen vs new frozen')
    cmp(res['old', 'O'], res['new', 'O'], 'old opt vs new opt')
    cmp(res['old', 'F'], res['new', 'O'], 'old frozen vs new opt')
    cmp(res['old', 'O'], res['old', 'F'], '(old opt vs old frozen)')
    for tag in ('old', 'new'):
        for g in 'FO':
            m = max(numpy.abs(res[tag, g][len(frames) + i].numpy() - photos[p][1]).max() for i, p in enumerate(photos))
            print(f'  {tag} {g} vs MediaPipe goldens: max|dp| {m:.2e}')

for suffix, (W, H) in (('_landscape', (256, 144)), ('', (256, 256))):
    frames = sample_frames(W, H)
    pics = [f for f in frames] + [numpy.asarray(Image.open(f'{REPO}/Tests/Support/mediapipe/{p}_{W}x{H}.png').convert('RGB')) for p in ('astronaut', 'grace_hopper')]
    x = torch.from_numpy(numpy.stack(pics)).permute(0, 3, 1, 2).float() / 255
    ref = torch.jit.load(f'{OLD}/selfie_segmentation{suffix}.pt').eval().double()
    with torch.no_grad():
        truth = torch.cat([ref(x[i:i+1].double()) for i in range(len(x))])[:, 1]
    print(f'selfie_segmentation{suffix}: vs float64 reference')
    for tag, path in (('old', OLD), ('new', NEW)):
        f = f'{path}/selfie_segmentation{suffix}.pt'
        for g, m in (('frozen', torch.jit.freeze(torch.jit.load(f).eval())),
                     ('opt', torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.load(f).eval())))):
            with torch.no_grad():
                p = torch.cat([m(x[i:i+1]) for i in range(len(x))])[:, 1].double()
            d = (p - truth).abs()
            same = (p > 0.5) == (truth > 0.5)
            print(f'  {tag} {g:6s} max|dp| {d.max().item():.2e}  mean {d.mean().item():.2e}  99.99th pct {torch.quantile(d.flatten()[::7], 0.9999).item():.2e}  class map = fp64 {same.double().mean().item()*100:.5f}%')
