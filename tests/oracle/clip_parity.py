#!/usr/bin/env python3
"""CLIP parity by hand: likeness-cli against transformers on the 7 photos
and 9 captions of shared/data (PROVENANCE.md), on a CLIP model folder or
hub id (default: the random-weight ViT-B/32 that tools/fetch-models.py
generates; a real openai/clip-vit-base-patch32 snapshot works the same).

    HF_HUB_OFFLINE=1 .venv-oracle/bin/python tests/oracle/clip_parity.py build/app/cli/likeness-cli [MODEL]

Prints the cosine of each embedding to transformers' (images: PIL, EXIF
transpose, CLIPImageProcessor; texts: CLIPTokenizerFast) and the largest
difference; exits 1 if a cosine is below 0.9999.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_goldens as mg  # noqa: E402

PHOTOS = ["bee.jpg", "bike.jpg", "car2.png", "dogcar.jpg", "flower.jpg", "fly.jpg", "labradoodle1.jpg"]
CAPTIONS = ["a bee sitting on a flower", "a bee", "an image of a bee", "a fly", "a flower",
            "a labradoodle", "a car", "a dog", "a bicycle"]


def main():
    import numpy as np
    import torch
    from huggingface_hub import snapshot_download
    from PIL import Image, ImageOps
    from transformers import CLIPImageProcessor, CLIPModel, CLIPTokenizerFast

    cli = sys.argv[1]
    name = sys.argv[2] if len(sys.argv) > 2 else "likeness-random/clip-vit-base-patch32-random"
    folder = name if os.path.isdir(name) else snapshot_download(name, local_files_only=True)
    images = [os.path.join(mg.find_data_dir(), "images", p) for p in PHOTOS]
    cmd = [cli, "embed", "--format", "json", "-m", name] + [a for p in images for a in ("--image", p)] + CAPTIONS
    ours = np.array(json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout)["embeddings"])

    model = CLIPModel.from_pretrained(folder).eval()
    proc = CLIPImageProcessor.from_pretrained(folder)
    tok = CLIPTokenizerFast.from_pretrained(folder)
    pil = [ImageOps.exif_transpose(Image.open(p)).convert("RGB") for p in images]
    with torch.no_grad():
        ref_i = model.get_image_features(**proc(pil, return_tensors="pt")).numpy()
        ref_t = model.get_text_features(**tok(CAPTIONS, padding=True, return_tensors="pt")).numpy()
    ref = np.concatenate([ref_i, ref_t])
    cos = (ours * ref).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1)
    for label, c in zip(PHOTOS + CAPTIONS, cos):
        print(f"{c:.7f}  {label}")
    print(f"min cosine: images {cos[:7].min():.7f}, captions {cos[7:].min():.7f}; "
          f"max |diff| {np.abs(ours - ref).max():.3g}")
    return 0 if cos.min() >= 0.9999 else 1


if __name__ == "__main__":
    sys.exit(main())
