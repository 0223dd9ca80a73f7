#!/usr/bin/env python3
"""The reference side of `tests/bench/run distance`: distance_explainer 0.6.0
on a CLIP model folder through transformers' CLIPModel, the way its README
pairs them: the masked copies (floats in [0, 1]) go through
CLIPImageProcessor (do_rescale=False) and CLIPModel.get_image_features, the
caption's get_text_features is the reference point.

  bench-distance.py photo SRC OUT.png            a 224 × 224 centre crop of SRC
  bench-distance.py run MODEL_DIR IMAGE CAPTION --masks N --seed S --threads T --map OUT.npy
      prints one JSON line: seconds (explain_image_distance alone, the masks
      drawn inside it after np.random.seed(S)), peak_rss_gib, batch_size
"""

import argparse
import json
import resource
import sys
import time

import numpy as np


def photo(src, out):
    from PIL import Image
    img = Image.open(src).convert("RGB")
    side = min(img.size)
    left, top = (img.width - side) // 2, (img.height - side) // 2
    img.crop((left, top, left + side, top + side)).resize((224, 224), Image.BICUBIC).save(out)


def run(args):
    import torch
    from PIL import Image
    from transformers import CLIPImageProcessor, CLIPModel, CLIPTokenizerFast
    from distance_explainer import DistanceExplainer

    torch.set_num_threads(args.threads)
    model = CLIPModel.from_pretrained(args.model).eval()
    processor = CLIPImageProcessor.from_pretrained(args.model)
    tokenizer = CLIPTokenizerFast.from_pretrained(args.model)
    image = np.asarray(Image.open(args.image).convert("RGB"), dtype=np.float32) / 255.0

    def embed(batch):
        pixels = processor(images=list(batch), do_rescale=False, return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            return model.get_image_features(pixel_values=pixels).numpy()

    with torch.no_grad():
        reference = model.get_text_features(**tokenizer([args.caption], return_tensors="pt"))[0].numpy()
    explainer = DistanceExplainer(n_masks=args.masks, axis_labels=["y", "x", "channels"])
    np.random.seed(args.seed)
    t0 = time.perf_counter()
    sal = explainer.explain_image_distance(embed, image, reference)
    seconds = time.perf_counter() - t0
    np.save(args.map, np.asarray(sal, dtype=np.float64).reshape(image.shape[:2]))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    print(json.dumps({"seconds": seconds, "peak_rss_gib": rss, "batch_size": explainer.batch_size}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("photo")
    p.add_argument("src")
    p.add_argument("out")
    r = sub.add_parser("run")
    r.add_argument("model")
    r.add_argument("image")
    r.add_argument("caption")
    r.add_argument("--masks", type=int, default=1000)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--map", required=True)
    args = ap.parse_args()
    if args.cmd == "photo":
        photo(args.src, args.out)
    else:
        run(args)


if __name__ == "__main__":
    sys.exit(main())
