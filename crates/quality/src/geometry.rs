//! Exact IoU of boxes and simple polygons, and IoU-based consensus for
//! geometry jobs.
//!
//! Polygon intersection area is exact for simple (non-self-intersecting)
//! polygons of any shape, convex or not: a polygon's indicator function is
//! the signed sum of the triangles fanned from one of its vertices, so
//! `area(A ∩ B) = Σ_i Σ_j s_i s_j · area(Tᵃ_i ∩ Tᵇ_j)`, and the intersection
//! of two triangles is convex clipping (Sutherland–Hodgman). Cost
//! `O(|A| · |B|)` triangle clips.

#![allow(clippy::many_single_char_names)] // geometry reads best as p, q, a, b

use serde::{Deserialize, Serialize};

/// A labelled region in pixels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// `[x, y, width, height]` (COCO convention).
    Bbox([f64; 4]),
    /// Vertices `[x1, y1, x2, y2, …]`, at least 3 points, either orientation.
    Polygon(Vec<f64>),
}

type Pt = [f64; 2];

impl Shape {
    /// Whether the shape is usable: finite coordinates, non-negative box
    /// sides, polygons of at least 3 points.
    pub fn is_valid(&self) -> bool {
        match self {
            Shape::Bbox(b) => b.iter().all(|v| v.is_finite()) && b[2] >= 0.0 && b[3] >= 0.0,
            Shape::Polygon(p) => {
                p.len() >= 6 && p.len() % 2 == 0 && p.iter().all(|v| v.is_finite())
            }
        }
    }

    fn points(&self) -> Vec<Pt> {
        match self {
            Shape::Bbox([x, y, w, h]) => vec![[*x, *y], [x + w, *y], [x + w, y + h], [*x, y + h]],
            Shape::Polygon(p) => p.chunks_exact(2).map(|c| [c[0], c[1]]).collect(),
        }
    }

    /// Area in square pixels.
    pub fn area(&self) -> f64 {
        match self {
            Shape::Bbox(b) => b[2] * b[3],
            Shape::Polygon(_) => signed_area(&self.points()).abs(),
        }
    }

    /// Axis-aligned bounds `[min x, min y, max x, max y]`.
    pub fn bounds(&self) -> [f64; 4] {
        let pts = self.points();
        pts.iter().fold(
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            |b, p| {
                [
                    b[0].min(p[0]),
                    b[1].min(p[1]),
                    b[2].max(p[0]),
                    b[3].max(p[1]),
                ]
            },
        )
    }
}

/// Shoelace area, positive for counter-clockwise (y up) vertex order.
fn signed_area(p: &[Pt]) -> f64 {
    let n = p.len();
    (0..n)
        .map(|i| {
            let (a, b) = (p[i], p[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum::<f64>()
        / 2.0
}

/// Area of the intersection of two shapes.
pub fn intersection_area(a: &Shape, b: &Shape) -> f64 {
    if let (Shape::Bbox(p), Shape::Bbox(q)) = (a, b) {
        let w = (p[0] + p[2]).min(q[0] + q[2]) - p[0].max(q[0]);
        let h = (p[1] + p[3]).min(q[1] + q[3]) - p[1].max(q[1]);
        return w.max(0.0) * h.max(0.0);
    }
    let (ba, bb) = (a.bounds(), b.bounds());
    if ba[2] <= bb[0] || bb[2] <= ba[0] || ba[3] <= bb[1] || bb[3] <= ba[1] {
        return 0.0;
    }
    let ta = fan(&a.points());
    let tb = fan(&b.points());
    let mut total = 0.0;
    for (sa, tri_a) in &ta {
        for (sb, tri_b) in &tb {
            total += sa * sb * signed_area(&clip(tri_a, tri_b)).abs();
        }
    }
    total.abs()
}

/// Intersection over union (0 when both are empty).
pub fn iou(a: &Shape, b: &Shape) -> f64 {
    let inter = intersection_area(a, b);
    let union = a.area() + b.area() - inter;
    if union <= 0.0 {
        0.0
    } else {
        (inter / union).clamp(0.0, 1.0)
    }
}

/// Triangles fanned from the first vertex, each counter-clockwise, with the
/// sign of its original orientation (degenerate ones dropped).
fn fan(p: &[Pt]) -> Vec<(f64, [Pt; 3])> {
    let mut out = Vec::with_capacity(p.len().saturating_sub(2));
    for i in 1..p.len().saturating_sub(1) {
        let tri = [p[0], p[i], p[i + 1]];
        let s = signed_area(&tri);
        if s > 0.0 {
            out.push((1.0, tri));
        } else if s < 0.0 {
            out.push((-1.0, [tri[0], tri[2], tri[1]]));
        }
    }
    out
}

/// Sutherland–Hodgman: `subject` clipped by the counter-clockwise convex
/// polygon `clipper`.
fn clip(subject: &[Pt; 3], clipper: &[Pt; 3]) -> Vec<Pt> {
    let mut out: Vec<Pt> = subject.to_vec();
    for i in 0..3 {
        if out.is_empty() {
            break;
        }
        let (a, b) = (clipper[i], clipper[(i + 1) % 3]);
        let inside = |p: &Pt| (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0.0;
        let input = std::mem::take(&mut out);
        for j in 0..input.len() {
            let (cur, prev) = (input[j], input[(j + input.len() - 1) % input.len()]);
            match (inside(&prev), inside(&cur)) {
                (true, true) => out.push(cur),
                (true, false) => out.push(cross(prev, cur, a, b)),
                (false, true) => {
                    out.push(cross(prev, cur, a, b));
                    out.push(cur);
                }
                (false, false) => {}
            }
        }
    }
    out
}

/// Where segment `p → q` crosses the line through `a → b`.
fn cross(p: Pt, q: Pt, a: Pt, b: Pt) -> Pt {
    let d = [b[0] - a[0], b[1] - a[1]];
    let side = |x: Pt| d[0] * (x[1] - a[1]) - d[1] * (x[0] - a[0]);
    let (sp, sq) = (side(p), side(q));
    let t = sp / (sp - sq);
    [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]
}

/// One annotator's shape on one task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoLabel {
    /// Task (image) index.
    pub task: u32,
    /// Annotator index.
    pub annotator: u32,
    /// Class index.
    pub category: u32,
    /// The region.
    pub shape: Shape,
}

/// An object enough annotators agree on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsensusObject {
    /// Task (image) index.
    pub task: u32,
    /// Class index.
    pub category: u32,
    /// The member shape with the highest mean IoU to the others (medoid).
    pub shape: Shape,
    /// Annotators whose shapes matched, ascending.
    pub support: Vec<u32>,
    /// Mean pairwise IoU inside the cluster.
    pub mean_iou: f64,
}

/// Per-annotator outcome of geometry consensus.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct GeoAgreement {
    /// Shapes drawn.
    pub shapes: u32,
    /// Of those, shapes inside a consensus object.
    pub matched: u32,
}

/// Result of [`geometry_consensus`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GeoConsensus {
    /// Objects supported by at least `quorum` annotators, by task.
    pub objects: Vec<ConsensusObject>,
    /// Indexed by annotator.
    pub annotators: Vec<GeoAgreement>,
}

/// IoU consensus: per task, each shape joins the cluster of the same
/// category whose first shape it overlaps most (IoU ≥ `threshold`) and that
/// has no shape of its annotator yet; otherwise it starts a cluster. Clusters
/// with `quorum` or more annotators become consensus objects. Deterministic:
/// shapes are taken in (task, annotator, input) order.
pub fn geometry_consensus(
    labels: &[GeoLabel],
    annotators: u32,
    threshold: f64,
    quorum: usize,
) -> GeoConsensus {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by_key(|&i| (labels[i].task, labels[i].annotator));
    let mut per = vec![GeoAgreement::default(); annotators as usize];
    let mut objects = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let task = labels[order[start]].task;
        let end = start
            + order[start..]
                .iter()
                .take_while(|&&i| labels[i].task == task)
                .count();
        let mut clusters: Vec<Vec<usize>> = Vec::new();
        for &i in &order[start..end] {
            let l = &labels[i];
            if let Some(a) = per.get_mut(l.annotator as usize) {
                a.shapes += 1;
            }
            let best = clusters
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    let head = &labels[c[0]];
                    head.category == l.category
                        && c.iter().all(|&m| labels[m].annotator != l.annotator)
                })
                .map(|(n, c)| (n, iou(&labels[c[0]].shape, &l.shape)))
                .filter(|(_, v)| *v >= threshold)
                .max_by(|x, y| x.1.total_cmp(&y.1));
            match best {
                Some((n, _)) => clusters[n].push(i),
                None => clusters.push(vec![i]),
            }
        }
        for c in clusters {
            if c.len() < quorum.max(1) {
                continue;
            }
            let (medoid, mean) = medoid(labels, &c);
            let mut support: Vec<u32> = c.iter().map(|&m| labels[m].annotator).collect();
            support.sort_unstable();
            for &a in &support {
                if let Some(x) = per.get_mut(a as usize) {
                    x.matched += 1;
                }
            }
            objects.push(ConsensusObject {
                task,
                category: labels[c[0]].category,
                shape: labels[medoid].shape.clone(),
                support,
                mean_iou: mean,
            });
        }
        start = end;
    }
    GeoConsensus {
        objects,
        annotators: per,
    }
}

/// The member with the highest summed IoU to the others, and the cluster's
/// mean pairwise IoU.
#[allow(clippy::cast_precision_loss)]
fn medoid(labels: &[GeoLabel], c: &[usize]) -> (usize, f64) {
    if c.len() == 1 {
        return (c[0], 1.0);
    }
    let mut sums = vec![0.0; c.len()];
    let mut total = 0.0;
    for i in 0..c.len() {
        for j in i + 1..c.len() {
            let v = iou(&labels[c[i]].shape, &labels[c[j]].shape);
            sums[i] += v;
            sums[j] += v;
            total += v;
        }
    }
    let best = (0..c.len()).fold(0, |b, i| if sums[i] > sums[b] { i } else { b });
    let pairs = (c.len() * (c.len() - 1) / 2) as f64;
    (c[best], total / pairs)
}
