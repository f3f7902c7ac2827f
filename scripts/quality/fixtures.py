"""Reference numbers for labelmint-quality, from the Python implementations.

Writes crates/quality/tests/fixtures/reference.json: random crowds with their
majority-vote, weighted-vote and Dawid-Skene results (crowd-kit), Fleiss'
kappa (statsmodels), Krippendorff's alpha (krippendorff) and polygon / box
IoU (shapely). The Rust tests recompute everything from the same inputs.

    python3 -m venv target/qvenv
    target/qvenv/bin/pip install --no-deps --only-binary=:all: -r scripts/quality/requirements.txt
    target/qvenv/bin/python scripts/quality/fixtures.py

CI runs the same and fails if the file changes (`git diff --exit-code`).
"""

import json
import math
import pathlib
import sys

import krippendorff
import numpy as np
import pandas as pd
import shapely
from crowdkit.aggregation import DawidSkene, MajorityVote
from statsmodels.stats.inter_rater import fleiss_kappa

OUT = pathlib.Path(__file__).resolve().parents[2] / "crates/quality/tests/fixtures/reference.json"


def crowd(rng, tasks, workers, classes, per_task, accuracies):
    """Each task gets `per_task` distinct workers; a worker answers the truth
    with its accuracy, else a uniformly random other class."""
    truth = rng.integers(0, classes, tasks)
    rows = []
    for t in range(tasks):
        for w in rng.choice(workers, per_task, replace=False):
            if rng.random() < accuracies[w]:
                label = truth[t]
            else:
                label = (truth[t] + rng.integers(1, classes)) % classes
            rows.append((t, int(w), int(label)))
    return truth, rows


def aggregation_case(seed, tasks, workers, classes, per_task, spread):
    rng = np.random.default_rng(seed)
    acc = rng.uniform(*spread, workers)
    truth, rows = crowd(rng, tasks, workers, classes, per_task, acc)
    df = pd.DataFrame(rows, columns=["task", "worker", "label"])
    assert df.label.nunique() == classes
    mv = MajorityVote().fit(df)
    skills = pd.Series(rng.uniform(0.2, 3.0, workers), index=range(workers))
    wmv = MajorityVote().fit(df, skills=skills)
    ds = DawidSkene(n_iter=100, tol=1e-5).fit(df)
    probas = ds.probas_.reindex(columns=range(classes)).sort_index()
    errors = ds.errors_
    conf = []
    for w in range(workers):
        for observed in range(classes):
            for true in range(classes):
                key = (w, observed)
                conf.append(float(errors.loc[key, true]) if key in errors.index else 0.0)
    table = np.zeros((tasks, classes))
    for t, _, l in rows:
        table[t, l] += 1
    return {
        "seed": seed,
        "tasks": tasks,
        "workers": workers,
        "classes": classes,
        "responses": rows,
        "weights": [float(x) for x in skills],
        "mv_probs": mv.probas_.reindex(columns=range(classes)).sort_index().values.flatten().tolist(),
        "wmv_probs": wmv.probas_.reindex(columns=range(classes)).sort_index().values.flatten().tolist(),
        "ds_probs": probas.values.flatten().tolist(),
        "ds_labels": [int(x) for x in ds.labels_.sort_index().values],
        "ds_priors": ds.priors_.reindex(range(classes)).tolist(),
        "ds_confusion": conf,
        "ds_iterations": len(ds.loss_history_),
        "ds_loss": ds.loss_history_,
        "fleiss_kappa": float(fleiss_kappa(table, method="fleiss")),
        "truth": [int(x) for x in truth],
    }


def alpha_case(seed, coders, units, classes, missing):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, classes, units)
    data = np.where(rng.random((coders, units)) < 0.7, truth, rng.integers(0, classes, (coders, units))).astype(float)
    data[rng.random((coders, units)) < missing] = np.nan
    responses = [
        (u, c, int(data[c, u])) for c in range(coders) for u in range(units) if not math.isnan(data[c, u])
    ]
    return {
        "coders": coders,
        "units": units,
        "classes": classes,
        "responses": responses,
        "alpha": float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")),
    }


def star(rng, n, cx, cy, r):
    """A random simple (star-shaped, usually non-convex) polygon."""
    while True:
        angles = np.sort(rng.uniform(0, 2 * math.pi, n))
        radii = rng.uniform(0.3 * r, r, n)
        pts = [float(v) for a, d in zip(angles, radii) for v in (cx + d * math.cos(a), cy + d * math.sin(a))]
        if shapely.Polygon(np.array(pts).reshape(-1, 2)).is_valid:
            return pts


def iou_cases(seed, count):
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        if i % 3 == 0:
            a = [float(x) for x in (*rng.uniform(0, 50, 2), *rng.uniform(1, 60, 2))]
            b = [float(x) for x in (*rng.uniform(0, 50, 2), *rng.uniform(1, 60, 2))]
            pa = shapely.box(a[0], a[1], a[0] + a[2], a[1] + a[3])
            pb = shapely.box(b[0], b[1], b[0] + b[2], b[1] + b[3])
            shapes = [{"bbox": a}, {"bbox": b}]
        else:
            a = star(rng, int(rng.integers(3, 12)), 50, 50, 40)
            b = star(rng, int(rng.integers(3, 12)), *rng.uniform(30, 70, 2), 40)
            if i % 3 == 2:
                b = b[::-1]  # other orientation, same points read backwards
                b = [v for k in range(0, len(b), 2) for v in (b[k + 1], b[k])]
            pa = shapely.Polygon(np.array(a).reshape(-1, 2))
            pb = shapely.Polygon(np.array(b).reshape(-1, 2))
            shapes = [{"polygon": a}, {"polygon": b}]
        assert pa.is_valid and pb.is_valid
        inter = pa.intersection(pb).area
        cases.append({"a": shapes[0], "b": shapes[1], "area_a": pa.area, "intersection": inter, "iou": inter / pa.union(pb).area})
    return cases


def main():
    out = {
        "generator": "scripts/quality/fixtures.py",
        "aggregation": [
            aggregation_case(1, 300, 10, 3, 5, (0.3, 0.95)),
            aggregation_case(2, 500, 7, 5, 3, (0.5, 0.9)),
            aggregation_case(3, 200, 12, 2, 7, (0.45, 0.99)),
            aggregation_case(4, 400, 6, 10, 4, (0.2, 0.8)),
        ],
        "alpha": [alpha_case(s, c, u, k, m) for s, c, u, k, m in [(5, 3, 100, 3, 0.0), (6, 5, 200, 4, 0.3), (7, 8, 60, 2, 0.5)]],
        "iou": iou_cases(8, 60),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
