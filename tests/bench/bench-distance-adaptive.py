#!/usr/bin/env python3
"""`tests/bench/run distance-adaptive`: distance masking that stops once the
map is stable, against distance_explainer's 1000 masks, on the Distance
Explainer paper's photos (../shared/data/images) with their captions.

  bench-distance-adaptive.py CLI MODEL_DIR DATA_DIR OUTDIR THREADS

Per photo (a 224 x 224 centre crop, as `run distance` makes it):
  truth      our map of BENCH_DA_TRUTH_MASKS (4000) masks, seed 1001, so that
             it shares no mask with the two runs below (our masks are
             distance_explainer's: `run distance` and the parity tests)
  reference  distance_explainer 0.6.0, BENCH_DA_MASKS (1000) masks, seed 1
             (bench-distance.py run: explain_image_distance alone)
  ours       likeness-cli explain --method distance with the app's default
             stop (split-half 0.9, checked every 100 masks) and at most
             BENCH_DA_MASKS masks, seed 1 (timings.explain_seconds)
The time to reach a map that correlates with the truth at least as well as
the reference's: our adaptive run's when its map does; when it stopped short
of that, the time of our run of all BENCH_DA_MASKS masks (the same masks as
the reference's, so the same map), which is what a user would then run.
Correlations within 1e-4 of the reference's count as reached.
Model loading is excluded on both sides. Last line:
  distance_adaptive ratio=X.XX   (the reference's seconds over ours, summed)

Environment: BENCH_DA_PHOTOS (comma-separated names, default all seven),
BENCH_DA_TRUTH_MASKS, BENCH_DA_MASKS, BENCH_DA_STOP_AT (default: the app's).
"""

import base64
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# The captions the Distance Explainer paper paired with these photos
# (data/PROVENANCE.md).
PHOTOS = {
    "bee": "a bee sitting on a flower",
    "fly": "a fly",
    "flower": "a flower",
    "dogcar": "a dog",
    "bike": "a bicycle",
    "labradoodle1": "a labradoodle",
    "car2": "a car",
}


def say(msg):
    print(msg, flush=True)


def our_run(cli, model, photo, caption, out, seed, args):
    subprocess.run([cli, "explain", "--method", "distance", "--model", model, "--image", photo, caption,
                    "--seed", str(seed), "--json", out] + args, check=True, stdout=subprocess.DEVNULL)
    d = json.load(open(out))
    m = d["saliency_map"]
    values = np.frombuffer(base64.b64decode(m["values_f32le"]), "<f4").reshape(m["height"], m["width"])
    p = d["method"]["params"]
    return {"seconds": d["timings"]["explain_seconds"], "map": values.astype(np.float64),
            "used": p["n_masks_used"], "stopped": p["stopped"], "stop_at": p["stop_at"],
            "split_half": d["scores"]["split_half"]}


def corr(a, b):
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def main():
    cli, model, data, outdir, threads = sys.argv[1:6]
    names = [n for n in os.environ.get("BENCH_DA_PHOTOS", ",".join(PHOTOS)).split(",") if n]
    truth_masks = int(os.environ.get("BENCH_DA_TRUTH_MASKS", "4000"))
    masks = int(os.environ.get("BENCH_DA_MASKS", "1000"))
    stop_at = os.environ.get("BENCH_DA_STOP_AT")
    py = sys.executable
    # Without --masks the CLI runs the app's default: at most 1000 masks,
    # stopping at its split-half threshold; --masks alone would mean exactly N.
    adaptive = ([] if masks == 1000 else ["--masks", str(masks), "--stop-at", stop_at or "0.9"])
    if stop_at and masks == 1000:
        adaptive = ["--stop-at", stop_at]
    say(f"distance-adaptive: {model}; photos {', '.join(names)}; truth {truth_masks} masks (seed 1001); "
        f"reference and our cap {masks} masks (seed 1); {threads} threads")
    total_ref = total_ours = 0.0
    reached = 0
    for name in names:
        if name not in PHOTOS:
            sys.exit(f"bench-distance-adaptive: unknown photo '{name}' (expected one of {', '.join(PHOTOS)})")
        src = next(os.path.join(data, "images", f) for f in os.listdir(os.path.join(data, "images"))
                   if os.path.splitext(f)[0] == name)
        caption = PHOTOS[name]
        photo = os.path.join(outdir, f"da-{name}-224.png")
        subprocess.run([py, os.path.join(HERE, "bench-distance.py"), "photo", src, photo], check=True)
        truth = our_run(cli, model, photo, caption, os.path.join(outdir, f"da-{name}-truth.json"),
                        1001, ["--masks", str(truth_masks)])
        ref_map = os.path.join(outdir, f"da-{name}-reference.npy")
        line = subprocess.run([py, os.path.join(HERE, "bench-distance.py"), "run", model, photo, caption,
                               "--masks", str(masks), "--seed", "1", "--threads", threads, "--map", ref_map],
                              check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        ref = json.loads(line)
        ref_corr = corr(np.load(ref_map), truth["map"])
        ours = our_run(cli, model, photo, caption, os.path.join(outdir, f"da-{name}-ours.json"), 1, adaptive)
        ours_corr = corr(ours["map"], truth["map"])
        seconds, how = ours["seconds"], "adaptive run"
        # Same seed, same masks: at the cap our map is the reference's to
        # 1e-7 (`run distance`), so equal correlations may differ in the
        # last digits; 1e-4 is far below what 100 more masks change.
        if ours_corr >= ref_corr - 1e-4:
            reached += 1
        else:
            full = our_run(cli, model, photo, caption, os.path.join(outdir, f"da-{name}-full.json"),
                           1, ["--masks", str(masks)])
            how = (f"adaptive run short of it (corr {ours_corr:.4f}): our run of all {masks} masks, "
                   f"corr {corr(full['map'], truth['map']):.4f}")
            seconds = full["seconds"]
        total_ref += ref["seconds"]
        total_ours += seconds
        say(f"{name} \"{caption}\": truth split-half {truth['split_half']:.4f} ({truth['seconds']:.1f}s); "
            f"reference {masks} masks {ref['seconds']:.2f}s corr {ref_corr:.4f}; "
            f"ours {ours['used']} masks ({ours['stopped']}, stop at {ours['stop_at']:g}, split-half "
            f"{ours['split_half']:.4f}) {ours['seconds']:.2f}s corr {ours_corr:.4f}; counted {seconds:.2f}s ({how})")
    say(f"adaptive runs that reached the reference's correlation: {reached} of {len(names)}; "
        f"reference {total_ref:.2f}s, ours {total_ours:.2f}s")
    print(f"distance_adaptive ratio={total_ref / total_ours:.2f}")


if __name__ == "__main__":
    main()
