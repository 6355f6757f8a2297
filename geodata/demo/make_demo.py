#!/usr/bin/env python3
"""Derives the demo centre's committed files from the real data in ../shared/geodata (python3 stdlib only).

The demo centre is Kota Administrasi Jakarta Utara (31.72) and Jakarta Timur (31.75), DKI Jakarta, where real
OpenStreetMap streets exist (Kelapa Gading and Kel. Jatinegara, Kec. Cakung: `streets.osm.pbf`, made by
`scripts/osm-extract-to-pbf`). This script writes, deterministically (same input, same bytes):

* `regions.geojson`: the two kab/kota, all their kecamatan and all their kelurahan, real boundaries
  (cahyadsn/wilayah_boundaries, MIT), in the format `siaga::demo` reads (code, name, level, parent_code,
  time_zone, number_prefix).
* `land.geojson`: land polygons for the basemap builder: every kab/kota within ~0.5 degrees of the centre
  (DKI, Bekasi, Tangerang, Depok, Bogor, ... and the Kepulauan Seribu islands), so Jakarta Bay's coastline shows.
* `demo.json`: the demo OPDs (real institutions' names, marked "(DEMO)"), their units parked on real road nodes
  of the OSM extracts (ambulances at the road node nearest a real puskesmas or hospital), and the demo users.
  No faskes: the faskes files may not be redistributed (PROVENANCE.md); `siaga demo --faskes FILE` imports them.

Usage: python3 geodata/demo/make_demo.py [SHARED_GEODATA_DIR]   (default: ../shared/geodata from the repo root)
"""
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

CITIES = {"31.72": "JKU", "31.75": "JKT"}  # kab/kota code -> incident number prefix
CENTRE = (106.915, -6.18)  # between Kelapa Gading and Cakung
LAND_RADIUS_DEG = 0.5
LEVELS = {2: "regency", 3: "district", 4: "village"}

PASSWORD = "siaga112"

# Agencies: real institutions of DKI Jakarta and the two cities, marked (DEMO). A DKI-wide agency belongs to the
# province (31) and serves both demo cities.
BOTH = ["31.72", "31.75"]
AGENCIES = [
    {"code": "DINKES-DKI", "name": "Dinas Kesehatan Provinsi DKI Jakarta / PSC 119 (DEMO)",
     "agency_type": "health", "region_code": "31", "serves": BOTH, "phone": "119"},
    {"code": "GULKARMAT-DKI", "name": "Dinas Penanggulangan Kebakaran dan Penyelamatan DKI Jakarta (DEMO)",
     "agency_type": "fire", "region_code": "31", "serves": BOTH, "phone": "113"},
    {"code": "BPBD-DKI", "name": "BPBD Provinsi DKI Jakarta (DEMO)",
     "agency_type": "disaster", "region_code": "31", "serves": BOTH, "phone": None},
    {"code": "POLRES-JU", "name": "Polres Metro Jakarta Utara (DEMO)",
     "agency_type": "police", "region_code": "31.72", "serves": ["31.72"], "phone": "110"},
    {"code": "POLRES-JT", "name": "Polres Metro Jakarta Timur (DEMO)",
     "agency_type": "police", "region_code": "31.75", "serves": ["31.75"], "phone": "110"},
    {"code": "PPAPP-DKI", "name": "Dinas PPAPP Provinsi DKI Jakarta (DEMO)",
     "agency_type": "social", "region_code": "31", "serves": BOTH, "phone": None},
    {"code": "DISHUB-DKI", "name": "Dinas Perhubungan Provinsi DKI Jakarta (DEMO)",
     "agency_type": "transport", "region_code": "31", "serves": BOTH, "phone": None},
]

# Units: (agency, call sign, type, city the parking node must lie in, anchor). An anchor is a faskes id of
# faskes_kemenkes_bppsdmk_2019.geojson (the unit parks at the road node nearest that puskesmas/hospital) or a
# lon/lat spot spreading the fleet over the street extracts (fire and police stations are not in the shared
# data, PROVENANCE.md section 5, so those parking spots are road nodes, not real stations).
UNITS = [
    ("DINKES-DKI", "AMB-01", "ambulance", "31.72", "P3175050101"),  # Puskesmas Kec. Kelapa Gading
    ("DINKES-DKI", "AMB-02", "ambulance", "31.72", "R3175385"),  # RS Mitra Keluarga Kelapa Gading
    ("DINKES-DKI", "AMB-03", "ambulance", "31.75", "P3172080202"),  # Puskesmas Kel. Rawa Teratai (Cakung)
    ("DINKES-DKI", "AMB-04", "ambulance", "31.75", "P3172080205"),  # Puskesmas Kel. Penggilingan II (Cakung)
    ("GULKARMAT-DKI", "DMK-01", "fire_engine", "31.72", (106.910, -6.160)),
    ("GULKARMAT-DKI", "DMK-02", "fire_engine", "31.72", (106.915, -6.143)),
    ("GULKARMAT-DKI", "DMK-03", "fire_engine", "31.75", (106.915, -6.195)),
    ("GULKARMAT-DKI", "DMK-04", "fire_engine", "31.75", (106.930, -6.215)),
    ("BPBD-DKI", "RSC-01", "rescue", "31.72", (106.920, -6.165)),
    ("BPBD-DKI", "RSC-02", "rescue", "31.75", (106.905, -6.210)),
    ("POLRES-JU", "PTL-01", "police_patrol", "31.72", (106.905, -6.155)),
    ("POLRES-JU", "PTL-02", "police_patrol", "31.72", (106.925, -6.150)),
    ("POLRES-JT", "PTL-03", "police_patrol", "31.75", (106.925, -6.200)),
    ("POLRES-JT", "PTL-04", "police_patrol", "31.75", (106.900, -6.190)),  # a motorbike patrol: MOTORBIKES
    ("PPAPP-DKI", "SOS-01", "social_team", "31.72", (106.900, -6.165)),
    ("DISHUB-DKI", "HUB-01", "traffic", "31.75", (106.935, -6.190)),
]

# The units that drive a motorbike (the rest drive their unit type's default vehicle, a car).
MOTORBIKES = {"PTL-04"}

USERS = [
    {"username": "supervisor", "display_name": "Supervisor Demo", "role": "supervisor"},
    {"username": "operator1", "display_name": "Call Taker Satu", "role": "call_taker"},
    {"username": "operator2", "display_name": "Call Taker Dua", "role": "call_taker"},
    {"username": "dispatch.dinkes", "display_name": "Dispatcher Dinkes", "role": "dispatcher",
     "agency_code": "DINKES-DKI"},
    {"username": "dispatch.damkar", "display_name": "Dispatcher Damkar", "role": "dispatcher",
     "agency_code": "GULKARMAT-DKI"},
    {"username": "dispatch.polres", "display_name": "Dispatcher Polres Jakarta Utara", "role": "dispatcher",
     "agency_code": "POLRES-JU"},
    {"username": "dispatch.polres.jt", "display_name": "Dispatcher Polres Jakarta Timur", "role": "dispatcher",
     "agency_code": "POLRES-JT"},
    {"username": "dispatch.bpbd", "display_name": "Dispatcher BPBD", "role": "dispatcher",
     "agency_code": "BPBD-DKI"},
    {"username": "dispatch.dp3a", "display_name": "Dispatcher PPAPP", "role": "dispatcher",
     "agency_code": "PPAPP-DKI"},
    {"username": "amb01", "display_name": "Kru AMB-01", "role": "responder", "agency_code": "DINKES-DKI",
     "unit_call_sign": "AMB-01"},
    {"username": "dmk01", "display_name": "Kru DMK-01", "role": "responder", "agency_code": "GULKARMAT-DKI",
     "unit_call_sign": "DMK-01"},
    {"username": "ptl01", "display_name": "Kru PTL-01", "role": "responder", "agency_code": "POLRES-JU",
     "unit_call_sign": "PTL-01"},
]

# Road classes a unit may park on (not motorways, trunks or ramps).
PARKABLE = {"primary", "secondary", "tertiary", "residential", "unclassified", "living_street"}
STREETS = ["osm_drive_jakarta_kelapagading.geojson", "osm_drive_jakarta_jatinegara.geojson"]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def polygons(geometry):
    """The polygons (lists of rings) of a Polygon or MultiPolygon."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    raise SystemExit(f"unexpected geometry {geometry['type']}")


def in_ring(x, y, ring):
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(geometry, x, y):
    for poly in polygons(geometry):
        if in_ring(x, y, poly[0]) and not any(in_ring(x, y, hole) for hole in poly[1:]):
            return True
    return False


def bbox(geometry):
    xs = [p[0] for poly in polygons(geometry) for ring in poly for p in ring]
    ys = [p[1] for poly in polygons(geometry) for ring in poly for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def metres(a, b):
    """Equirectangular distance in metres (plenty for picking the nearest node a few hundred metres away)."""
    k = math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot((a[0] - b[0]) * k, a[1] - b[1]) * 111_320.0


def region_features(shared):
    b = os.path.join(shared, "boundaries")
    sources = [(2, "idn_adm2_kabkota.geojson"), (3, "idn_adm3_kecamatan.geojson"),
               (4, "idn_adm4_desa_selected_cities.geojson")]
    out = []
    for depth, name in sources:
        feats = [f for f in load(os.path.join(b, name))["features"] if f["properties"]["code"][:5] in CITIES]
        for f in sorted(feats, key=lambda f: f["properties"]["code"]):
            code = f["properties"]["code"]
            g = f["geometry"]
            coords = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
            out.append({
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name": f["properties"]["name"],
                    "level": LEVELS[depth],
                    "parent_code": code.rsplit(".", 1)[0],
                    "time_zone": "Asia/Jakarta",
                    "number_prefix": CITIES[code[:5]],
                },
                "geometry": {"type": "MultiPolygon", "coordinates": coords},
            })
    counts = [sum(1 for f in out if f["properties"]["level"] == lv) for lv in LEVELS.values()]
    if counts != [2, 16, 96]:
        raise SystemExit(f"expected 2 kab/kota, 16 kecamatan and 96 kelurahan, found {counts}")
    return out


def land_features(shared):
    feats = load(os.path.join(shared, "boundaries", "idn_adm2_kabkota.geojson"))["features"]
    out = []
    for f in sorted(feats, key=lambda f: f["properties"]["code"]):
        x0, y0, x1, y1 = bbox(f["geometry"])
        if (x0 < CENTRE[0] + LAND_RADIUS_DEG and x1 > CENTRE[0] - LAND_RADIUS_DEG
                and y0 < CENTRE[1] + LAND_RADIUS_DEG and y1 > CENTRE[1] - LAND_RADIUS_DEG):
            g = f["geometry"]
            coords = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
            out.append({
                "type": "Feature",
                "properties": {"code": f["properties"]["code"], "name": f["properties"]["name"]},
                "geometry": {"type": "MultiPolygon", "coordinates": coords},
            })
    return out


def road_nodes(shared):
    """Parkable road nodes: (lon, lat, node id, way name) on named ways of a parkable class, sorted by id."""
    nodes = {}
    for name in STREETS:
        for f in load(os.path.join(shared, "roads", name))["features"]:
            p = f["properties"]
            if p.get("highway") not in PARKABLE or not p.get("name"):
                continue
            for ref, (lon, lat) in zip(p["nodes"], f["geometry"]["coordinates"]):
                nodes.setdefault(int(ref), (lon, lat, int(ref), p["name"]))
    return [nodes[k] for k in sorted(nodes)]


def units(shared, regions):
    faskes = {f["properties"]["id"]: f for f in
              load(os.path.join(shared, "faskes", "faskes_kemenkes_bppsdmk_2019.geojson"))["features"]}
    kab = {f["properties"]["code"]: f["geometry"] for f in regions if f["properties"]["level"] == "regency"}
    villages = [(f, bbox(f["geometry"])) for f in regions if f["properties"]["level"] == "village"]

    def city_of(lon, lat):
        """The demo city a point lies in: inside its kab/kota polygon and one of its kelurahan, in no other."""
        found = {f["properties"]["code"][:5] for f, (x0, y0, x1, y1) in villages
                 if x0 <= lon <= x1 and y0 <= lat <= y1 and contains(f["geometry"], lon, lat)}
        found &= {c for c, g in kab.items() if contains(g, lon, lat)}
        return found.pop() if len(found) == 1 else None

    candidates = [(n, city_of(n[0], n[1])) for n in road_nodes(shared)]
    used = set()
    out = []
    for agency, call_sign, unit_type, city, anchor in UNITS:
        if isinstance(anchor, str):
            f = faskes[anchor]
            spot = tuple(f["geometry"]["coordinates"])
            near = f"{f['properties']['name']} ({anchor})"
        else:
            spot, near = anchor, None
        best = min((n for n, c in candidates if c == city and n[2] not in used),
                   key=lambda n: (metres(spot, n), n[2]))
        used.add(best[2])
        unit = {"agency_code": agency, "call_sign": call_sign, "unit_type": unit_type}
        if call_sign in MOTORBIKES:
            unit["vehicle"] = "motorbike"
        unit.update({"lon": best[0], "lat": best[1], "osm_node": best[2], "street": best[3]})
        if near:
            unit["near"] = near
        out.append(unit)
    return out


def dump_features(path, name, features, comment):
    """One feature per line: compact, yet a diff shows which region changed."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"type":"FeatureCollection","name":%s,\n"_comment":%s,\n"features":[\n'
                % (json.dumps(name), json.dumps(comment)))
        f.write(",\n".join(json.dumps(feat, ensure_ascii=False, separators=(",", ":")) for feat in features))
        f.write("\n]}\n")


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(REPO), "shared", "geodata")
    regions = region_features(shared)
    dump_features(os.path.join(HERE, "regions.geojson"), "siaga-demo-regions", regions,
                  "Kota Adm. Jakarta Utara (31.72) and Jakarta Timur (31.75) with their kecamatan and kelurahan. "
                  "Real boundaries: cahyadsn/wilayah_boundaries (MIT, see LICENSES/). Made by make_demo.py.")
    land = land_features(shared)
    dump_features(os.path.join(HERE, "land.geojson"), "siaga-demo-land", land,
                  "Kab/kota polygons around Jakarta Bay, the land of the demo basemap. "
                  "cahyadsn/wilayah_boundaries (MIT, see LICENSES/). Made by make_demo.py.")
    data = {
        "_comment": "DEMO centre on real places: Jakarta Utara and Jakarta Timur. The agencies are real "
                    "institutions but these records, units and users are fictional (DEMO); units park on real "
                    "OpenStreetMap road nodes (osm_node; (c) OpenStreetMap contributors, ODbL). Made by "
                    "make_demo.py; faskes come from `siaga demo --faskes FILE`. Not for operational use.",
        "centre": "Jakarta Utara and Jakarta Timur (real boundaries and streets, DEMO agencies)",
        "password": PASSWORD,
        "admin_username": "admin",
        "agencies": AGENCIES,
        "units": units(shared, regions),
        "facilities": [],
        "users": USERS,
    }
    with open(os.path.join(HERE, "demo.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(regions)} regions, {len(land)} land polygons, {len(data['units'])} units")
    return 0


if __name__ == "__main__":
    sys.exit(main())
