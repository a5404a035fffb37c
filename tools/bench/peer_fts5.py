#!/usr/bin/python3
"""The SQLite FTS5 peer of the benchmark, through Python's standard sqlite3 module, used the way the
FTS5 documentation shows: one FTS5 table over title, text and reasoning (porter unicode61 tokenizer,
full positional detail), filled in one transaction, and a facet table (record, facet, value) with an
index. The category rows hold every code with all its ancestors, once a record, so that GROUP BY
counts roll up exactly ("3" counts every record coded 3.x once).

A query is one MATCH (FTS5 syntax: words all must match, "quoted phrases") whose matches are kept in
a temporary table (a filter removes rows from it); the top 10 come by bm25 rank with snippet(), the
facet counts from GROUP BY over all matches.

  peer_fts5.py build CORPUS.jsonl DB.sqlite          -> {"records", "seconds"}
  peer_fts5.py compact DB.sqlite                      -> {"seconds"}  ('optimize', then VACUUM)
  peer_fts5.py search DB.sqlite QUERIES.jsonl OUT.jsonl -> one result line per query
"""
import json
import os
import sqlite3
import sys
import time

FACETS = (('category', True), ('lifecycle', False), ('actor', False))


def code_path(code):
    parts = code.split('.')
    return ['.'.join(parts[:i + 1]) for i in range(len(parts))]


def build(corpus, path):
    if os.path.exists(path):
        os.remove(path)
    con = sqlite3.connect(path)
    start = time.perf_counter()
    con.execute("CREATE TABLE records(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, data TEXT NOT NULL)")
    con.execute("CREATE VIRTUAL TABLE fts USING fts5(title, text, reasoning, tokenize='porter unicode61')")
    con.execute("CREATE TABLE facets(doc INTEGER NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL)")
    n = 0
    with con:
        with open(corpus, encoding='utf-8') as f:
            for line in f:
                r = json.loads(line)
                n += 1
                con.execute("INSERT INTO records VALUES (?, ?, ?)", (n, r['id'], line))
                con.execute("INSERT INTO fts(rowid, title, text, reasoning) VALUES (?, ?, ?, ?)",
                            (n, r.get('title') or '', r.get('text') or '', r.get('reasoning') or ''))
                rows = []
                for name, hierarchical in FACETS:
                    values = set()
                    for v in r.get('facets', {}).get(name, []):
                        values.update(code_path(v) if hierarchical else [v])
                    rows.extend((n, name, v) for v in values)
                con.executemany("INSERT INTO facets VALUES (?, ?, ?)", rows)
        con.execute("CREATE INDEX facets_by_value ON facets(facet, value, doc)")
        con.execute("CREATE INDEX facets_by_doc ON facets(doc)")
    con.close()
    return {'records': n, 'seconds': time.perf_counter() - start}


def compact(path):
    start = time.perf_counter()
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    con.execute("VACUUM")
    con.close()
    return {'seconds': time.perf_counter() - start}


def search(path, queries, out):
    con = sqlite3.connect(path)
    con.execute("CREATE TEMP TABLE m(doc INTEGER PRIMARY KEY)")
    with open(queries, encoding='utf-8') as f, open(out, 'w', encoding='utf-8') as o:
        for line in f:
            q = json.loads(line)
            start = time.perf_counter()
            con.execute("DELETE FROM m")
            hits = []
            try:
                # The match set, once; filters remove from it (a rowid IN (...) constraint beside MATCH
                # makes FTS5 evaluate the query once per filtered row).
                con.execute("INSERT INTO m SELECT rowid FROM fts WHERE fts MATCH ?", (q['q'],))
                for name, value in (q.get('filter') or {}).items():
                    con.execute("DELETE FROM m WHERE doc NOT IN (SELECT doc FROM facets WHERE facet = ? AND value = ?)",
                                (name, value))
                hits = [{'id': rid, 'snippet': snip} for rid, snip in con.execute(
                    "SELECT records.id, snippet(fts, -1, '<b>', '</b>', '...', 24) FROM fts "
                    "JOIN m ON m.doc = fts.rowid JOIN records ON records.rowid = fts.rowid "
                    "WHERE fts MATCH ? ORDER BY rank LIMIT 10", (q['q'],))]
            except sqlite3.OperationalError:
                con.execute("DELETE FROM m")  # a query FTS5 cannot parse matches nothing
            total = con.execute("SELECT count(*) FROM m").fetchone()[0]
            counts = {name: {} for name, _ in FACETS}
            for facet, value, c in con.execute(
                    "SELECT facet, value, count(*) FROM m CROSS JOIN facets ON facets.doc = m.doc GROUP BY facet, value"):
                counts[facet][value] = c
            took = (time.perf_counter() - start) * 1000
            o.write(json.dumps({'q': q['q'], 'took_ms': took, 'total': total, 'hits': hits,
                                'facets': counts}) + '\n')
    con.close()


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ''
    if cmd == 'build' and len(sys.argv) == 4:
        print(json.dumps(build(sys.argv[2], sys.argv[3])))
    elif cmd == 'compact' and len(sys.argv) == 3:
        print(json.dumps(compact(sys.argv[2])))
    elif cmd == 'search' and len(sys.argv) == 5:
        search(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
