"""What OpenAPI 3.0 cannot say about assetmap's requests, for schemathesis.

A GeoJSON position is [longitude, latitude, height?]: OpenAPI 3.0 has no
tuple schemas, so /api says in words that the longitude is within ±180 and
the latitude within ±90 (the height is any number). Generated bodies that
break only those spoken rules are left out here; every check still runs on
every other case.
"""
import schemathesis


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _position_ok(body):
    try:
        lon, lat = body["geometry"]["coordinates"][:2]
    except (TypeError, KeyError, ValueError):
        return True
    if _number(lon) and not -180 <= lon <= 180:
        return False
    return not _number(lat) or -90 <= lat <= 90


@schemathesis.hook
def filter_body(ctx, body):
    return _position_ok(body)
