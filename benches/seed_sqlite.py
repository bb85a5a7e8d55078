"""Fills an assetmap SQLite database with N generated assets over Seattle (the
benches' common data set). Usage: python3 benches/seed_sqlite.py DB N [SEED]"""
import random
import sqlite3
import sys
import uuid

db, n = sys.argv[1], int(sys.argv[2])
random.seed(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
cats = ['health', 'food', 'library', 'parks_recreation', 'youth_programs', 'community_centre']
rows = ((str(uuid.UUID(int=random.getrandbits(128), version=4)), f'Asset {i}', cats[i % len(cats)], f'{i} Example Ave', '206-555-0100', '["en"]', 'bench', str(i), 'approved', '2026-11-23T00:00:00Z', '2026-11-23T00:00:00Z', -122.45 + random.random() * 0.23, 47.48 + random.random() * 0.26) for i in range(n))
c = sqlite3.connect(db)
c.executemany("INSERT INTO assets (id, name, category, address, phone, languages, source, source_id, status, created_at, updated_at, lon, lat) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
c.commit()
