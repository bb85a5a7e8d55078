#!/usr/bin/env python3
"""Writers for benches/soak.sh: editors, organizations and families writing
at once for DURATION seconds against BASE, then a check that every write the
server acknowledged is there. A 503 (the database restarting) is retried
after its Retry-After, as a client should; any other 5xx is a failure.

Usage: soak_writers.py BASE DURATION EDITOR_TOKEN ORG_TOKEN... (prints JSON)
"""
import json
import sys
import threading
import time
import urllib.error
import urllib.request

BASE, DURATION, EDITOR, ORGS = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4:]
lock = threading.Lock()
stats = {"acknowledged": 0, "refused_4xx": 0, "retried_503": 0, "failed_5xx": 0}
latencies = []
acked_assets = {}  # id -> phone acknowledged last (editor's published assets)
acked_pending = set()  # organizations' listings awaiting review
acked_suggestions = []


def call(method, path, token=None, body=None, ctype="application/json"):
    """One request, retried on 503 after Retry-After; (status, json)."""
    while True:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(BASE + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", ctype)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, payload = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, payload = e.code, e.read()
            if status == 503:
                with lock:
                    stats["retried_503"] += 1
                time.sleep(float(e.headers.get("Retry-After", "1")))
                continue
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            with lock:
                stats["failed_5xx"] += 1
            return 0, None
        with lock:
            latencies.append(time.perf_counter() - start)
            if status >= 500:
                stats["failed_5xx"] += 1
            elif status >= 400:
                stats["refused_4xx"] += 1
            else:
                stats["acknowledged"] += 1
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, None


def feature(name, lon, lat, phone):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"name": name, "category": "food", "phone": phone}}


def editor(n):
    i, mine = 0, []
    while time.time() < END:
        i += 1
        s, f = call("POST", "/collections/assets/items", EDITOR,
                    feature(f"Soak editor {n}-{i}", -122.39 + i * 1e-5, 47.67, "206-555-0100"), "application/geo+json")
        if s == 201:
            mine.append(f["id"])
            with lock:
                acked_assets[f["id"]] = "206-555-0100"
        if mine:
            target = mine[i % len(mine)]
            phone = f"206-555-{i % 10000:04d}"
            s, _ = call("PATCH", f"/collections/assets/items/{target}", EDITOR,
                        {"properties": {"phone": phone}}, "application/merge-patch+json")
            if s == 200:
                with lock:
                    acked_assets[target] = phone


def organization(token, n):
    i = 0
    while time.time() < END:
        i += 1
        s, f = call("POST", "/collections/assets/items", token,
                    feature(f"Soak org {n}-{i}", -122.38, 47.66 + i * 1e-5, "206-555-0199"), "application/geo+json")
        if s == 201:
            with lock:
                acked_pending.add(f["id"])
        time.sleep(0.05)


def family(n):
    i = 0
    while time.time() < END:
        i += 1
        name = f"Soak family {n}-{i}"
        s, _ = call("POST", "/suggestions", None, feature(name, -122.37, 47.65 + i * 1e-5, "206-555-0142"),
                    "application/geo+json")
        if s == 202:
            with lock:
                acked_suggestions.append(name)
        time.sleep(0.05)


END = time.time() + DURATION
threads = [threading.Thread(target=editor, args=(n,)) for n in range(2)]
threads += [threading.Thread(target=organization, args=(t, n)) for n, t in enumerate(ORGS)]
threads += [threading.Thread(target=family, args=(n,)) for n in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()

# Every acknowledged write is there.
missing = []
for aid, phone in acked_assets.items():
    s, f = call("GET", f"/collections/assets/items/{aid}")
    if s != 200 or f["properties"]["phone"] != phone:
        missing.append(aid)
s, queue = call("GET", "/review", EDITOR)
queued = {i["asset_id"] for i in queue["items"]} if queue else set()
suggested = {i["proposed"]["properties"]["name"] for i in queue["items"] if i.get("kind") == "family suggestion"} if queue else set()
missing += [p for p in acked_pending if p not in queued]
missing += [n for n in acked_suggestions if n not in suggested]
latencies.sort()
pct = lambda p: round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else None
print(json.dumps({
    **stats,
    "writes_checked": len(acked_assets) + len(acked_pending) + len(acked_suggestions),
    "missing": len(missing),
    "write_p50_ms": pct(0.50),
    "write_p99_ms": pct(0.99),
}))
