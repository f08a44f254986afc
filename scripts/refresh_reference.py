#!/usr/bin/env python3
"""Regenerate the committed admin-unit reference CSVs in datasets/reference/.

Development-time tool only: nothing at build, run or test time needs Python.
Source: the PyPI package `vietnamadminunits` (MIT licence), its `data/dataset.db`
(tables `admin_units_legacy` and `admin_units`) and `data/converter_2025.json`. The package
carries the units of 2025-07-01 and no later change, so every 2025 row has that effective date.

    pip install vietnamadminunits
    python3 scripts/refresh_reference.py
"""
import csv
import json
import os
import sqlite3
import sys

import vietnamadminunits
from unidecode import unidecode

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "datasets", "reference")
DATA = os.path.join(os.path.dirname(vietnamadminunits.__file__), "data")
EFFECTIVE_2025 = "2025-07-01"

# The six statistical regions (GSO), by legacy province code.
REGIONS = {
    "Trung du và miền núi phía Bắc": "02 04 06 08 10 11 12 14 15 17 19 20 24 25",
    "Đồng bằng sông Hồng": "01 22 26 27 30 31 33 34 35 36 37",
    "Bắc Trung Bộ và duyên hải miền Trung": "38 40 42 44 45 46 48 49 51 52 54 56 58 60",
    "Tây Nguyên": "62 64 66 67 68",
    "Đông Nam Bộ": "70 72 74 75 77 79",
    "Đồng bằng sông Cửu Long": "80 82 83 84 86 87 89 91 92 93 94 95 96",
}
REGION_OF = {code: region for region, codes in REGIONS.items() for code in codes.split()}


def ascii_name(name):
    return unidecode(name)


def province_type(full_name):
    return "thành phố trung ương" if full_name.startswith("Thành phố") else "tỉnh"


def write(name, header, rows):
    path = os.path.join(OUT, name)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"{name}: {len(rows)} rows")


def main():
    db = sqlite3.connect(os.path.join(DATA, "dataset.db"))
    conv = json.load(open(os.path.join(DATA, "converter_2025.json"), encoding="utf-8"))

    new_prov = {}  # provinceKey -> (code, full name, short name)
    new_ward = {}  # (provinceKey, wardKey) -> wardCode
    communes_2025 = []
    for pkey, pcode, pname, pshort, wkey, wcode, wshort, wtype in db.execute(
        "select provinceKey, provinceCode, province, provinceShort, wardKey, wardCode, wardShort, wardType"
        " from admin_units order by wardCode"
    ):
        new_prov[pkey] = (pcode, pname, pshort)
        new_ward[(pkey, wkey)] = wcode
        communes_2025.append([wcode, wshort, ascii_name(wshort), wtype.lower(), pcode, EFFECTIVE_2025])

    legacy_to_new = {}  # legacy provinceKey -> new provinceKey
    for new_key, olds in conv["DICT_PROVINCE"].items():
        for old in olds:
            legacy_to_new[old] = new_key

    # legacy ward full key -> new ward key (undivided wards map to one; divided ones take the default).
    ward_to_new = {}
    # legacy ward full key -> every (new province key, new ward key, is the package's default).
    targets = {}
    for new_pkey, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, olds in wards.items():
            for old in olds:
                ward_to_new[old] = (new_pkey, new_wkey)
                targets.setdefault(old, []).append((new_pkey, new_wkey, True))
    for new_pkey, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, options in olds.items():
            default = [o for o in options if o["isDefaultNewWard"]] or options[:1]
            ward_to_new.setdefault(old, (new_pkey, default[0]["newWardKey"]))
            for o in options:
                targets.setdefault(old, []).append((new_pkey, o["newWardKey"], o is default[0]))

    provinces, districts, communes, crosswalk = {}, {}, [], []
    for row in db.execute(
        "select provinceCode, province, provinceShort, provinceKey, districtCode, district, districtShort,"
        " districtType, districtKey, wardCode, ward, wardShort, wardType, wardKey"
        " from admin_units_legacy order by provinceCode, districtCode, wardCode"
    ):
        (pcode, pname, pshort, pkey, dcode, dname, dshort, dtype, dkey, wcode, wname, wshort, wtype, wkey) = row
        if pcode not in provinces:
            new_code = new_prov[legacy_to_new[pkey]][0]
            provinces[pcode] = [pcode, pshort, ascii_name(pshort), province_type(pname), REGION_OF[pcode], new_code]
        if dcode not in districts:
            districts[dcode] = [dcode, dshort, ascii_name(dshort), dtype.lower(), pcode]
        if wcode:
            target = ward_to_new.get(f"{pkey}_{dkey}_{wkey}")
            new_wcode = new_ward.get(target, "") if target else ""
            communes.append([wcode, wshort, ascii_name(wshort), wtype.lower(), dcode, pcode, new_wcode])
            found = {}
            for new_pkey, new_wkey, is_default in targets.get(f"{pkey}_{dkey}_{wkey}", []):
                code = new_ward[(new_pkey, new_wkey)]
                found[code] = found.get(code, False) or is_default
            if found and sum(found.values()) != 1:
                sys.exit(f"legacy commune {wcode}: {sum(found.values())} default targets")
            crosswalk.extend([wcode, code, str(d).lower(), EFFECTIVE_2025] for code, d in sorted(found.items()))

    counts = (len(provinces), len(districts), len(communes), len(new_prov), len(communes_2025))
    if counts != (63, 696, 10035, 34, 3321):
        sys.exit(f"unexpected counts (provinces, districts, communes, provinces 2025, communes 2025): {counts}")

    os.makedirs(OUT, exist_ok=True)
    write("provinces.csv", ["code", "name", "name_ascii", "type", "region", "province_2025_code"],
          sorted(provinces.values()))
    members = {}
    for p in provinces.values():
        members.setdefault(p[5], []).append(p[0])
    write("provinces_2025.csv", ["code", "name", "name_ascii", "type", "legacy_codes"],
          sorted([code, short, ascii_name(short), province_type(full), " ".join(sorted(members[code]))]
                 for code, full, short in new_prov.values()))
    write("province_crosswalk.csv", ["legacy_code", "code_2025", "effective_date"],
          sorted([p[0], p[5], EFFECTIVE_2025] for p in provinces.values()))
    write("districts.csv", ["code", "name", "name_ascii", "type", "province_code"], sorted(districts.values()))
    write("communes.csv", ["code", "name", "name_ascii", "type", "district_code", "province_code", "commune_2025_code"],
          communes)
    write("communes_2025.csv", ["code", "name", "name_ascii", "type", "province_2025_code", "effective_date"],
          communes_2025)
    write("commune_crosswalk.csv", ["legacy_code", "code_2025", "is_default", "effective_date"], crosswalk)


if __name__ == "__main__":
    main()
