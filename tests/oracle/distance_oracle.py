#!/usr/bin/env python3
"""Goldens for the Distance Explainer (METHODS.md §3) from distance_explainer 0.6.0.

The reference package itself runs here (imported, not copied): its RISE
masks (dianna's generate_interpolated_float_masks_for_image, drawn after
np.random.seed(SEED)), its distances and its selection/aggregation. The C test
(tests/test-distance.c) checks against the file this writes:

  rise   masks of a few shapes drawn by dianna after np.random.seed: the
         grid cells, the crop offsets, every mask's sum and sampled pixels;
  image  distance_explainer on a real photo (flower.jpg, reduced to 48×40)
         with a real embedding function it can run: a small CLIP vision tower
         (transformers CLIPVisionModelWithProjection, 2 layers, seeded random
         weights); the reference point is the embedding of another photo
         (bee.jpg). Exported: the per-mask distances and the final map, and the
         split-half correlation (maps of the first and second half of the masks);
  clip   end to end on the committed tiny random-weight CLIPModel
         (tests/golden/tiny/clip) and a real photo (tests/golden/clip/rgb.png):
         CLIPImageProcessor on each masked copy, the caption's embedding the
         reference; the C test runs the whole pipeline with the same seed;
  text   distance_explainer over the tokens of a sentence embedded with
         all-MiniLM-L6-v2: the masks are 1 × U "images" of token keep-flags
         (np.random.choice((True, False), p=(p_keep, 1 − p_keep)) after
         np.random.seed), a masked token becomes [MASK], the other sentence's
         embedding is the reference. Exported: the masks, the distances, the map.

Usage (inside .venv-oracle, offline):
  HF_HUB_OFFLINE=1 .venv-oracle/bin/python tests/oracle/distance_oracle.py \
      [--out tests/golden/distance/distance-explainer.json]
"""

import argparse
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def data_dir():
    for d in (os.environ.get("LIKENESS_DATA_DIR"), os.path.join(ROOT, "shared", "data"),
              os.path.join(ROOT, "..", "shared", "data")):
        if d and os.path.isdir(d):
            return d
    raise SystemExit("no shared/data folder: set LIKENESS_DATA_DIR")


def rounded(a, digits=9):
    return [float(round(float(v), digits)) for v in np.asarray(a).ravel()]


def rise_case(seed, n, h, w, res, p_keep):
    from dianna.utils.maskers import generate_interpolated_float_masks_for_image
    np.random.seed(seed)
    masks = generate_interpolated_float_masks_for_image((h, w), p_keep, n, res)[..., 0]
    # the same stream again, to read the grid and the offsets dianna drew
    np.random.seed(seed)
    grid = np.random.choice(a=(True, False), size=(n, res, res), p=(p_keep, 1 - p_keep))
    cell = np.ceil(np.array((h, w)) / res)
    offsets = [[int(np.random.randint(0, cell[0])), int(np.random.randint(0, cell[1]))] for _ in range(n)]
    rng = np.random.RandomState(12345)
    ys, xs = rng.randint(0, h, 16), rng.randint(0, w, 16)
    return {
        "seed": seed, "n": n, "height": h, "width": w, "feature_res": res, "p_keep": p_keep,
        "grid": ["".join("1" if v else "0" for v in g.ravel()) for g in grid],
        "offsets": offsets,
        "sums": rounded(masks.astype(np.float64).sum(axis=(1, 2)), 6),
        "sample_y": ys.tolist(), "sample_x": xs.tolist(),
        "samples": [rounded(m[ys, xs], 7) for m in masks],
    }


def image_case(seed, n, res, p_keep):
    import torch
    from PIL import Image
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection
    from distance_explainer import DistanceExplainer

    torch.manual_seed(0)
    config = CLIPVisionConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                              image_size=32, patch_size=8, projection_dim=32)
    model = CLIPVisionModelWithProjection(config).eval()
    mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
    std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)

    def embed(batch):  # batch: (b, H, W, 3) floats in [0, 1]
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).permute(0, 3, 1, 2)
        x = torch.nn.functional.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
        with torch.no_grad():
            return model(pixel_values=(x - mean) / std).image_embeds.numpy()

    def photo(name):
        img = Image.open(os.path.join(data_dir(), "images", name)).convert("RGB").resize((48, 40), Image.BILINEAR)
        return np.asarray(img, dtype=np.float32) / 255.0

    image, other = photo("flower.jpg"), photo("bee.jpg")
    reference = embed(other[None])[0]
    explainer = DistanceExplainer(n_masks=n, feature_res=res, p_keep=p_keep, axis_labels=["y", "x", "channels"],
                                  batch_size=10)
    np.random.seed(seed)
    sal = np.asarray(explainer.explain_image_distance(embed, image, reference)).reshape(40, 48)
    masks = explainer.masks
    distances = DistanceExplainer.calculate_distances(explainer.predictions, reference[None])[:, 0]
    half = n // 2
    maps = []
    for lo, hi in ((0, half), (half, n)):
        e = DistanceExplainer(n_masks=hi - lo, feature_res=res, p_keep=p_keep, axis_labels=["y", "x", "channels"],
                              batch_size=10)
        maps.append(np.asarray(e.explain_image_distance(embed, image, reference, masks=masks[lo:hi])).ravel())
    return {
        "photo": "flower.jpg reduced to 48×40 (PIL bilinear); reference bee.jpg",
        "seed": seed, "n": n, "height": 40, "width": 48, "feature_res": res, "p_keep": p_keep,
        "mask_sums": rounded(masks.astype(np.float64).sum(axis=(1, 2, 3)), 6),
        "distances": rounded(distances, 12),
        "map": rounded(sal, 9),
        "split_half": float(np.corrcoef(maps[0], maps[1])[0, 1]),
    }


def clip_case(seed, n, res, p_keep, caption):
    """End to end on the committed tiny random-weight CLIPModel: the masked
    copies go through CLIPImageProcessor (do_rescale=False: they are floats
    in [0, 1]; its resize quantises them to 8 bits as PIL images), the
    caption's text embedding is the reference."""
    import torch
    from PIL import Image
    from transformers import CLIPImageProcessor, CLIPModel, CLIPTokenizerFast
    from distance_explainer import DistanceExplainer

    folder = os.path.join(ROOT, "tests", "golden", "tiny", "clip")
    model = CLIPModel.from_pretrained(folder).eval()
    processor = CLIPImageProcessor.from_pretrained(folder)
    tokenizer = CLIPTokenizerFast.from_pretrained(folder)
    path = os.path.join(ROOT, "tests", "golden", "clip", "rgb.png")
    image = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0

    def embed(batch):
        pixels = processor(images=list(batch), do_rescale=False, return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            return model.get_image_features(pixel_values=pixels).numpy()

    with torch.no_grad():
        reference = model.get_text_features(**tokenizer([caption], return_tensors="pt"))[0].numpy()
    explainer = DistanceExplainer(n_masks=n, feature_res=res, p_keep=p_keep, axis_labels=["y", "x", "channels"],
                                  batch_size=10)
    np.random.seed(seed)
    sal = np.asarray(explainer.explain_image_distance(embed, image, reference))
    distances = DistanceExplainer.calculate_distances(explainer.predictions, reference[None])[:, 0]
    h, w = image.shape[:2]
    return {
        "model": "tests/golden/tiny/clip", "image": "tests/golden/clip/rgb.png", "caption": caption,
        "seed": seed, "n": n, "height": h, "width": w, "feature_res": res, "p_keep": p_keep,
        "distances": rounded(distances, 12),
        "map": rounded(sal.reshape(h, w), 9),
    }


def text_case(seed, n, p_keep, text, other):
    import torch
    from sentence_transformers import SentenceTransformer
    from distance_explainer import DistanceExplainer

    model = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2", device="cpu")
    tok = model.tokenizer
    ids = tok(text)["input_ids"]
    content = [i for i, t in enumerate(ids) if t not in tok.all_special_ids]
    units = len(content)

    def embed_ids(rows):
        batch = torch.tensor(rows)
        with torch.no_grad():
            out = model({"input_ids": batch, "attention_mask": torch.ones_like(batch),
                         "token_type_ids": torch.zeros_like(batch)})
        return out["sentence_embedding"].numpy()

    def embed(masked):  # (b, 1, U, 1) keep flags
        rows = []
        for m in masked.reshape(len(masked), units):
            row = list(ids)
            for u, pos in enumerate(content):
                if m[u] < 0.5:
                    row[pos] = tok.mask_token_id
            rows.append(row)
        return embed_ids(rows)

    reference = embed_ids([tok(other)["input_ids"]])[0]
    np.random.seed(seed)
    flags = np.random.choice(a=(True, False), size=(n, units), p=(p_keep, 1 - p_keep))
    masks = flags.astype(np.float32).reshape(n, 1, units, 1)
    explainer = DistanceExplainer(n_masks=n, p_keep=p_keep, axis_labels=["y", "x", "channels"], batch_size=16)
    sal = np.asarray(explainer.explain_image_distance(embed, np.ones((1, units, 1), np.float32), reference,
                                                      masks=masks)).ravel()
    distances = DistanceExplainer.calculate_distances(explainer.predictions, reference[None])[:, 0]
    return {
        "model": "sentence-transformers/all-MiniLM-L6-v2", "a": text, "b": other, "mask_side": "a",
        "seed": seed, "n": n, "p_keep": p_keep, "units": units,
        "masks": ["".join("1" if v else "0" for v in f) for f in flags],
        "distances": rounded(distances, 12),
        "map": rounded(sal, 9),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "golden", "distance", "distance-explainer.json"))
    args = ap.parse_args()
    import distance_explainer
    out = {
        "generator": "tests/oracle/distance_oracle.py",
        "distance_explainer": distance_explainer.__version__,
        "numpy": np.__version__,
        "rise": [rise_case(7, 5, 21, 30, 4, 0.5), rise_case(42, 3, 224, 224, 8, 0.5),
                 rise_case(3, 4, 37, 19, 5, 0.3)],
        "image": image_case(11, 64, 4, 0.5),
        "clip": clip_case(21, 60, 8, 0.5, "a photo of a flower"),
        "text": text_case(5, 96, 0.5, "A man is playing a large flute on a sunny stage tonight.",
                          "Someone plays music outdoors."),
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, args.out)
    print(args.out, "split_half", out["image"]["split_half"])


if __name__ == "__main__":
    main()
