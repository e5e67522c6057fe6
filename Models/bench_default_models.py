#!/usr/bin/env python3
"""Forward time at 1 thread, old vs new bundled models, frozen and frozen+optimized, one process,
interleaved model by model each round; process CPU time per forward; min and median.

    /usr/bin/python3 Models/bench_default_models.py old=OLD_DIR,new=Models 300 [optimized]
"""
import sys, time, statistics, torch
torch.set_num_threads(1)
dirs = dict(a.split('=') for a in sys.argv[1].split(','))  # tag=dir,...
rounds = int(sys.argv[2])
kinds = sys.argv[3] if len(sys.argv) > 3 else 'frozen,optimized'
for suffix, (W, H) in (('_landscape', (256, 144)), ('', (256, 256))):
    models = {}
    for tag, d in dirs.items():
        f = f'{d}/selfie_segmentation{suffix}.pt'
        if 'frozen' in kinds: models[f'{tag} frozen'] = torch.jit.freeze(torch.jit.load(f).eval())
        models[f'{tag} optimized'] = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.load(f).eval()))
    x = torch.rand(1, 3, H, W)
    times = {k: [] for k in models}
    with torch.no_grad():
        for m in models.values():
            for _ in range(5): m(x)
        for _ in range(rounds):
            for k, m in models.items():
                t = time.process_time(); m(x); times[k].append(time.process_time() - t)
    print(f'selfie_segmentation{suffix} ({W}x{H}), {rounds} rounds, forward, process CPU ms')
    for k, v in times.items():
        print(f'  {k:22s} min {min(v)*1e3:6.2f}  median {statistics.median(v)*1e3:6.2f}')
