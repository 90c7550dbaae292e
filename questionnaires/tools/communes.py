"""Writes ../reference/communes.csv: the communes, wards and special zones in force since 1 July 2025,
per current province, from the Python package vietnam-provinces.

    pip install vietnam-provinces==2025.10.1
    python3 questionnaires/tools/communes.py

Slugs are the package's codename with `-` and the official ward code, which keeps them unique
nationwide where names differ only by their diacritics (`xa-van-lang-5665`, `xa-van-lang-2143`);
keep them stable, results store them.
"""

import csv
import sys
from importlib.metadata import version
from pathlib import Path

from vietnam_provinces import Province, Ward

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent / "reference"


def main() -> None:
    ours = {}
    with open(REFERENCE / "provinces.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            ours[row["slug"]] = row["name_vi"]
    by_code = {}
    for p in Province.iter_all():
        slug = p.codename.replace("_", "-")
        if slug not in ours:
            sys.exit(f"province {p.name} ({slug}) is not in provinces.csv")
        by_code[p.code] = slug
    if len(by_code) != len(ours):
        sys.exit(f"{len(by_code)} provinces in the package, {len(ours)} in provinces.csv")
    rows = []
    seen = set()
    for w in Ward.iter_all():
        province = by_code[w.province_code]
        slug = f"{w.codename.replace('_', '-')}-{int(w.code)}"
        if slug in seen:
            sys.exit(f"duplicate commune slug {slug}")
        seen.add(slug)
        kind = w.division_type.value  # xã, phường, đặc khu
        rows.append((province, slug, int(w.code), w.name, kind))
    rows.sort(key=lambda r: (r[0], r[2]))
    out = REFERENCE / "communes.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["province", "slug", "code", "name_vi", "kind"])
        writer.writerows(rows)
    print(f"{len(rows)} communes from vietnam-provinces {version('vietnam-provinces')} -> {out}")


if __name__ == "__main__":
    main()
