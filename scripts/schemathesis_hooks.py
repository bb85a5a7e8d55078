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


# A CQL2 filter is a language: /api gives `filter` the format "cql2" and
# names the grammar in words; a grammar cannot be written as a schema. The
# format is generated here from filters every collection can take (each has a
# geometry), in both encodings; tests/filter_oracle.rs tests filters
# thoroughly against PostGIS.
from hypothesis import strategies as st

_FILTERS = [
    "S_INTERSECTS(geometry, BBOX(-122.36, 47.58, -122.30, 47.63))",
    "S_DWITHIN(geometry, POINT(-122.3321 47.6062), 1609)",
    "NOT S_DISJOINT(geometry, POLYGON((-122.4 47.5, -122.2 47.5, -122.2 47.7, -122.4 47.5)))",
    "S_INTERSECTS(geometry, POINT(-122.3321 47.6062)) OR S_DWITHIN(geometry, POINT(-122.30 47.62), 500)",
    '{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[-122.36,47.58,-122.30,47.63]}]}',
]
schemathesis.openapi.format("cql2", st.sampled_from(_FILTERS))
