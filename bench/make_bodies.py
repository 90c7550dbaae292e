#!/usr/bin/env python3
"""Writes realistic, varied submissions for `POST /api/v1/questionnaires/{id}/responses`, one
JSON body per line, built from the live definition so they follow the questionnaire's content.

    python3 bench/make_bodies.py http://127.0.0.1:8080 [COUNT] [SEED] > bodies.jsonl

Each body has its own business (province, sector, size, trade), its own answers (a respondent
"type" from struggling to advanced, with noise, so scores spread over all levels), and about half
give an e-mail and consents. Only the standard library is used.
"""

import json
import random
import sys
import urllib.request

QID = "dxready-sme"
NAMES = ["Cửa hàng Minh Anh", "Công ty TNHH Hải Nam", "HTX Nông sản Phú Lộc", "Xưởng may Thu Hà",
         "Nhà hàng Bếp Quê", "Công ty CP Vận tải Đông Bắc", "Cơ sở gốm Bát Tràng 5", "Tạp hóa Cô Ba"]


def profile_values(definition):
    """Allowed values of each choice field of the business profile."""
    out = {}
    for field in definition.get("profile", []):
        options = field.get("options") or []
        if options:
            out[field["id"]] = [o["value"] for o in options]
    return out


def pick_single(q, options, skill, rnd):
    usable = [o for o in options if o.get("points") is not None or q.get("scored") is False]
    if not usable:
        return None
    if q.get("scored") is False:
        return rnd.choice(usable)["value"]
    ranked = sorted(usable, key=lambda o: o["points"])
    # skill 0..1 picks a position along the ranking, with noise.
    pos = min(len(ranked) - 1, max(0, round((skill + rnd.uniform(-0.35, 0.35)) * (len(ranked) - 1))))
    if rnd.random() < 0.05 and any(o.get("not_applicable") for o in options):
        return next(o["value"] for o in options if o.get("not_applicable"))
    return ranked[pos]["value"]


def pick_many(q, options, skill, rnd):
    plain = [o for o in options if not o.get("exclusive") and not o.get("not_applicable")
             and o["value"] != "other"]
    exclusive = [o for o in options if o.get("exclusive")]
    if exclusive and rnd.random() < (1 - skill) * 0.3:
        return [exclusive[0]["value"]]
    if not plain:
        return None
    most = min(q.get("max_choices") or len(plain), len(plain))
    n = max(1, min(most, round(skill * most + rnd.uniform(-1, 1))))
    return [o["value"] for o in rnd.sample(plain, n)]


def answers(definition, skill, rnd):
    out = {}
    for section in definition["sections"]:
        for q in section["questions"]:
            options = q.get("options") or []
            kind = q["type"]
            if kind == "single_choice":
                value = pick_single(q, options, skill, rnd)
            elif kind == "multiple_choice":
                value = pick_many(q, options, skill, rnd)
            elif kind == "scale":
                lo, hi = int(q["min"]), int(q["max"])
                value = max(lo, min(hi, round(lo + (hi - lo) * (skill + rnd.uniform(-0.3, 0.3)))))
            else:
                value = None
            if value is not None:
                out[q["id"]] = value
    return out


def body(definition, values, i, rnd):
    skill = rnd.betavariate(2, 2.5)
    business = {
        "name": f"{rnd.choice(NAMES)} {i}",
        "province": rnd.choice(values["province"]),
        "sector": rnd.choice(values["sector"]),
        "employees": rnd.choice([1, 2, 3, 5, 8, 12, 20, 35, 60, 120, 250]),
        "trade": rnd.choice(values.get("trade", ["none"])),
    }
    if rnd.random() < 0.5 and "founded_year" in {f["id"] for f in definition.get("profile", [])}:
        business["founded_year"] = rnd.randint(1995, 2025)
    if rnd.random() < 0.3 and "revenue_band" in values:
        business["revenue_band"] = rnd.choice(values["revenue_band"])
    out = {"lang": rnd.choice(["vi", "vi", "vi", "en"]), "business": business,
           "answers": answers(definition, skill, rnd)}
    if rnd.random() < 0.5:
        out["contact"] = {
            "email": f"owner{i}@example.com",
            "phone": "0912 345 678" if rnd.random() < 0.5 else None,
            "consent_email": rnd.random() < 0.7,
            "consent_followup": rnd.random() < 0.4,
        }
    return out


def main():
    base = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080").rstrip("/")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    with urllib.request.urlopen(f"{base}/api/v1/questionnaires/{QID}") as res:
        definition = json.load(res)
    values = profile_values(definition)
    for i in range(count):
        print(json.dumps(body(definition, values, i, rnd), ensure_ascii=False, separators=(",", ":")))


if __name__ == "__main__":
    main()
