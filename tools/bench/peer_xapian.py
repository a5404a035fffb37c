#!/usr/bin/python3
"""The Xapian peer of the benchmark: Xapian's own pipeline driven the way its documentation shows,
through Debian's python3-xapian. TermGenerator indexes title, text and reasoning: each field once
unprefixed with positions and field weights 3/2/1 (raw terms and Z-prefixed stems), and once with its
own prefix for field search, without positions and as prefixed stems only (airm's schema writes the
same per-field stems, except the text's, which it derives when a query asks for them). One
writer adds the documents; QueryParser (AND, phrases, stemming) answers the queries with the top 10, a snippet of each
and exact counts of the three facets from ValueCountMatchSpy.

Facet values are stored one slot per facet as the record's values joined by \\x1f; the category slot
holds every code with all its ancestors, deduplicated, so that summing the spy's counts of each
combination gives exact roll-up counts ("3" counts every record coded 3.x once).

  peer_xapian.py build CORPUS.jsonl DB          -> {"records", "seconds"}
  peer_xapian.py build-minimal CORPUS.jsonl DB  -> the same without the per-field terms (all fields
                                                   unprefixed only: no field search), as a lower bound
  peer_xapian.py compact DB OUT                  -> {"seconds"}
  peer_xapian.py search DB QUERIES.jsonl OUT.jsonl -> one result line per query (took_ms, total,
                                                     hits with snippets, facet counts)
"""
import json
import sys
import time

import xapian

FACETS = (('category', 10, True), ('lifecycle', 11, False), ('actor', 12, False))
FIELDS = (('title', 'S', 3), ('text', 'XT', 2), ('reasoning', 'XR', 1))
SEP = '\x1f'


def code_path(code):
    parts = code.split('.')
    return ['.'.join(parts[:i + 1]) for i in range(len(parts))]


def build(corpus, path, minimal=False):
    db = xapian.WritableDatabase(path, xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator()
    tg.set_stemmer(xapian.Stem('english'))
    start = time.perf_counter()
    n = 0
    with open(corpus, encoding='utf-8') as f:
        for line in f:
            r = json.loads(line)
            doc = xapian.Document()
            tg.set_document(doc)
            for field, prefix, wdf in FIELDS:
                text = r.get(field) or ''
                if not minimal:
                    # Per-field terms as airm writes them: the prefixed stem only, no raw term.
                    tg.set_stemming_strategy(xapian.TermGenerator.STEM_ALL_Z)
                    tg.index_text_without_positions(text, 1, prefix)
                    tg.set_stemming_strategy(xapian.TermGenerator.STEM_SOME)
                tg.index_text(text, wdf)
                tg.increase_termpos()
            for name, slot, hierarchical in FACETS:
                values = set()
                for v in r.get('facets', {}).get(name, []):
                    values.update(code_path(v) if hierarchical else [v])
                for v in values:
                    doc.add_boolean_term('XF%s:%s' % (name, v.lower()))
                if values:
                    doc.add_value(slot, SEP.join(sorted(values)))
            idterm = 'Q' + r['id']
            doc.add_boolean_term(idterm)
            doc.set_data(line)
            db.add_document(doc)
            n += 1
    db.commit()
    db.close()
    return {'records': n, 'seconds': time.perf_counter() - start}


def compact(path, out):
    start = time.perf_counter()
    xapian.Database(path).compact(out, xapian.Compactor.FULLER)
    return {'seconds': time.perf_counter() - start}


def search(path, queries, out):
    db = xapian.Database(path)
    stem = xapian.Stem('english')
    qp = xapian.QueryParser()
    qp.set_stemmer(stem)
    qp.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
    qp.set_default_op(xapian.Query.OP_AND)
    qp.set_database(db)
    enquire = xapian.Enquire(db)
    total_docs = db.get_doccount()
    flags = xapian.QueryParser.FLAG_DEFAULT
    with open(queries, encoding='utf-8') as f, open(out, 'w', encoding='utf-8') as o:
        for line in f:
            q = json.loads(line)
            start = time.perf_counter()
            query = qp.parse_query(q['q'], flags)
            for name, value in (q.get('filter') or {}).items():
                query = xapian.Query(xapian.Query.OP_FILTER, query,
                                     xapian.Query('XF%s:%s' % (name, value.lower())))
            enquire.set_query(query)
            enquire.clear_matchspies()
            spies = []
            for name, slot, _ in FACETS:
                spy = xapian.ValueCountMatchSpy(slot)
                enquire.add_matchspy(spy)
                spies.append((name, spy))
            mset = enquire.get_mset(0, 10, total_docs)  # check every match: exact counts
            hits = []
            for m in mset:
                r = json.loads(m.document.get_data())
                hits.append({'id': r['id'], 'snippet': mset.snippet(r['text'], 200, stem).decode('utf-8', 'replace')})
            counts = {}
            for name, spy in spies:
                c = {}
                for item in spy.values():
                    for v in item.term.decode('utf-8').split(SEP):
                        c[v] = c.get(v, 0) + item.termfreq
                counts[name] = c
            took = (time.perf_counter() - start) * 1000
            o.write(json.dumps({'q': q['q'], 'took_ms': took, 'total': mset.get_matches_estimated(),
                                'hits': hits, 'facets': counts}) + '\n')


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ''
    if cmd in ('build', 'build-minimal') and len(sys.argv) == 4:
        print(json.dumps(build(sys.argv[2], sys.argv[3], minimal=cmd == 'build-minimal')))
    elif cmd == 'compact' and len(sys.argv) == 4:
        print(json.dumps(compact(sys.argv[2], sys.argv[3])))
    elif cmd == 'search' and len(sys.argv) == 5:
        search(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
