#!/usr/bin/env python3
"""Sets fields of the videoseg.json metadata embedded in a TorchScript model, in place.

    /usr/bin/python3 Models/set_metadata.py model.pt scores=probabilities labels='["bg","person"]'

Each FIELD=VALUE takes a JSON value (a bare word that is not JSON is taken as a string); FIELD=
with nothing after the sign removes the field. The model is loaded and saved again by the
PyTorch that runs this (use Debian's python3-torch 1.13, which libtorch 1.13 reads back); extra
files other than videoseg.json are not carried over.
"""

import argparse
import json
import sys

import torch


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("fields", nargs="+", metavar="FIELD=VALUE")
    arguments = parser.parse_args()
    extra = {"videoseg.json": ""}
    module = torch.jit.load(arguments.model, _extra_files=extra)
    metadata = json.loads(extra["videoseg.json"] or "{}")
    for field in arguments.fields:
        key, sign, text = field.partition("=")
        if not sign:
            sys.exit(f"set_metadata: {field}: expected FIELD=VALUE")
        if text == "":
            metadata.pop(key, None)
            continue
        try:
            metadata[key] = json.loads(text)
        except json.JSONDecodeError:
            metadata[key] = text
    extra["videoseg.json"] = json.dumps(metadata)
    torch.jit.save(module, arguments.model, _extra_files=extra)
    print(f"{arguments.model}: {extra['videoseg.json']}")


if __name__ == "__main__":
    main()
