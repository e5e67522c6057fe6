"""Writes the tests' deterministic model to argv[1]: its scores are its input, so a pixel's class is
its largest RGB channel (the same model the Swift tests define through the bridge).

Run with the Python that has torch (Debian's python3-torch: /usr/bin/python3), not the Ray venv.
"""

import json
import sys
from typing import Dict

import torch


class Channels(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        return {"out": x}


metadata = {"labels": ["red", "green", "blue"], "mean": [0, 0, 0], "std": [1, 1, 1], "input_size": 64}
torch.jit.save(torch.jit.script(Channels()), sys.argv[1], _extra_files={"videoseg.json": json.dumps(metadata)})
