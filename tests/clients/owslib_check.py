"""Reads an assetmap server with OWSLib, as an analyst's Python script would.

Usage: owslib_check.py BASE_URL   Prints one JSON object with what it found.
"""
import json
import sys

from owslib.ogcapi.features import Features

base = sys.argv[1]
api = Features(base)
found = {}
found["collections"] = sorted(c["id"] for c in api.collections()["collections"])
found["assets_title"] = api.collection("assets")["title"]
found["queryables"] = sorted(api.collection_queryables("assets")["properties"].keys())
first = api.collection_items("assets", limit=100)
found["number_matched"] = first["numberMatched"]
found["first_page"] = first["numberReturned"]
found["bbox_matched"] = api.collection_items("assets", bbox=[-122.40, 47.66, -122.38, 47.68], limit=1)["numberMatched"]
found["libraries"] = api.collection_items("assets", category="library", limit=1)["numberMatched"]

# Page through `next` links to the complete set.
seen = set()
page = api.collection_items("assets", limit=250)
while True:
    seen.update(f["id"] for f in page["features"])
    nxt = [l["href"] for l in page["links"] if l["rel"] == "next"]
    if not nxt:
        break
    offset = int(nxt[0].split("offset=")[1].split("&")[0])
    page = api.collection_items("assets", limit=250, offset=offset)
found["paged"] = len(seen)
print(json.dumps(found))
