#!/usr/bin/python3
"""Relevance of airm's search beside Xapian's defaults, on the judged MIT query set.

The baseline indexes the same MIT records with Xapian's TermGenerator at its default settings
(English stemmer; the action name, then the definition, as one text) and answers with QueryParser at
its defaults (English stemmer, STEM_SOME, default operator OR, default flags) and BM25Weight's
defaults; a second row changes only the default operator to AND, as airm's. airm answers through `airm search --batch` on an index built by
`airm index --format mit-csv`. Both are scored on the top 10 with the same judgments:

  nDCG@10  gains 2^grade - 1, discount log2(rank + 1), ideal = the judged records sorted by grade
  MRR      1 / rank of the first result judged relevant (grade >= 1), 0 when none is in the top 10

The judged file's line `# held-out` splits the queries: those above it are the tuning half (airm's
settings were chosen on them), those below it are held out (never used to choose anything). Every
figure is given for both halves and for all queries. With --airm, a second airm row runs airm as a
plain BM25 engine (`--ranking "title=0 common=0 coord=0 prior=0" --no-synonyms`: no title boost, no
common-word cutoff, no coordination factor, no code prior, no synonyms: the order of Xapian's OR), and the difference in nDCG@10 between airm and Xapian's defaults gets a paired bootstrap
95% confidence interval (10,000 resamples of the queries, fixed seed).

  relevance.py --judged tests/data/judged-queries-mit.tsv --data ../shared/data/mit-mitigations \
               [--airm build/tools/airm/airm --db INDEX [--ranking "k1=1.2 b=0.5"]] [--per-query]
               [--show "a judged query" ...]

--per-query prints each query's nDCG@10 for every system; --show prints a query's top 10 from each
system side by side, each record with its grade and name, then the judged records airm missed: what
to read when a query loses.
"""
import argparse
import csv
import json
import math
import os
import random
import subprocess
import sys
import tempfile

import xapian

PLAIN = 'airm, plain BM25 (title=0 common=0 coord=0 prior=0, no synonyms)'


def read_judgments(path):
    """The judgments by query, and the queries below the `# held-out` line."""
    judged, held_out, below = {}, set(), False
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('# held-out'):
                below = True
            if not line.strip() or line.startswith('#'):
                continue
            query, rid, grade = line.rstrip('\n').split('\t')
            judged.setdefault(query, {})[rid] = int(grade)
            if below:
                held_out.add(query)
    return judged, held_out


def bootstrap_ci(a, b, resamples=10000, seed=20):
    """The paired bootstrap 95% interval of mean(a) - mean(b) over queries."""
    rng = random.Random(seed)
    n = len(a)
    diffs = [x - y for x, y in zip(a, b)]
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    return means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]


def ndcg_at_10(ranked, grades):
    dcg = sum((2 ** grades.get(rid, 0) - 1) / math.log2(i + 2) for i, rid in enumerate(ranked[:10]))
    ideal = sorted(grades.values(), reverse=True)[:10]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def reciprocal_rank(ranked, grades):
    for i, rid in enumerate(ranked[:10]):
        if grades.get(rid, 0) >= 1:
            return 1.0 / (i + 1)
    return 0.0


def xapian_rankings(data_dir, queries, default_op=None):
    db = xapian.WritableDatabase('', xapian.DB_BACKEND_INMEMORY)
    tg = xapian.TermGenerator()
    tg.set_stemmer(xapian.Stem('english'))
    path = os.path.join(data_dir, 'mitigation-database-2025-07-23.csv')
    with open(path, encoding='utf-8-sig', newline='') as f:
        for row in csv.DictReader(f):
            doc = xapian.Document()
            tg.set_document(doc)
            tg.index_text(row['Action Name'])
            tg.increase_termpos()
            tg.index_text(row['Action Definition'])
            doc.set_data(row['Action ID'])
            doc.add_boolean_term('Q' + row['Action ID'])
            db.add_document(doc)
    qp = xapian.QueryParser()
    qp.set_stemmer(xapian.Stem('english'))
    qp.set_database(db)
    if default_op is not None:
        qp.set_default_op(default_op)
    enquire = xapian.Enquire(db)
    out = {}
    for q in queries:
        enquire.set_query(qp.parse_query(q))
        out[q] = [m.document.get_data().decode('utf-8') for m in enquire.get_mset(0, 10)]
    return out


def airm_rankings(airm, db, queries, ranking=None, extra_args=()):
    with tempfile.NamedTemporaryFile('w', suffix='.jsonl', delete=False, encoding='utf-8') as f:
        for q in queries:
            f.write(json.dumps({'q': q}) + '\n')
        path = f.name
    try:
        extra = (['--ranking', ranking] if ranking else []) + list(extra_args)
        proc = subprocess.run([airm, 'search', '--db', db, '--batch', path, '--limit', '10'] + extra,
                              capture_output=True, text=True, check=True)
    finally:
        os.unlink(path)
    out = {}
    for q, line in zip(queries, proc.stdout.splitlines()):
        out[q] = [r['id'] for r in json.loads(line)['results']]
    return out


def score(rankings, judged):
    nd = [ndcg_at_10(rankings[q], g) for q, g in judged.items()]
    rr = [reciprocal_rank(rankings[q], g) for q, g in judged.items()]
    return nd, rr


def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--judged', required=True)
    ap.add_argument('--data', required=True, help='the mit-mitigations folder')
    ap.add_argument('--airm', help='the airm binary')
    ap.add_argument('--db', help='an airm index of the MIT data')
    ap.add_argument('--ranking', help="airm's --ranking settings (default: airm's defaults)")
    ap.add_argument('--per-query', action='store_true')
    ap.add_argument('--show', action='append', default=[], metavar='QUERY',
                    help="a judged query's top 10 from each system, side by side (repeatable)")
    args = ap.parse_args()
    judged, held_out = read_judgments(args.judged)
    unknown = [q for q in args.show if q not in judged]
    if unknown:
        ap.error('--show %r: not a judged query in %s (copy one from its first column)'
                 % (unknown[0], args.judged))
    queries = list(judged)
    xapian_name = 'Xapian defaults (TermGenerator + QueryParser)'
    systems = {xapian_name: xapian_rankings(args.data, queries),
               'Xapian, QueryParser default operator AND': xapian_rankings(args.data, queries, xapian.Query.OP_AND)}
    if args.airm and args.db:
        systems[PLAIN] = airm_rankings(args.airm, args.db, queries,
                                       'title=0 common=0 coord=0 prior=0', ['--no-synonyms'])
        systems['airm'] = airm_rankings(args.airm, args.db, queries, args.ranking)
    halves = [('tuning half', [q for q in queries if q not in held_out]),
              ('held out', [q for q in queries if q in held_out]),
              ('all', queries)]
    print('%d queries (%d tuning, %d held out), %d judgments'
          % (len(judged), len(halves[0][1]), len(halves[1][1]), sum(len(g) for g in judged.values())))
    print('| system | ' + ' | '.join('nDCG@10 %s | MRR %s' % (h, h) for h, _ in halves) + ' |')
    print('| --- |' + ' --- | --- |' * len(halves))
    details = {}
    for name, rankings in systems.items():
        nds, rrs = score(rankings, judged)
        details[name] = dict(zip(queries, zip(nds, rrs)))
        cells = []
        for _, qs in halves:
            cells += ['%.3f' % mean([details[name][q][0] for q in qs]),
                      '%.3f' % mean([details[name][q][1] for q in qs])]
        print('| %s | %s |' % (name, ' | '.join(cells)))
    if 'airm' in systems:
        print()
        for other in (xapian_name, PLAIN):
            for half, qs in halves:
                if not qs:
                    continue
                a = [details['airm'][q][0] for q in qs]
                b = [details[other][q][0] for q in qs]
                lo, hi = bootstrap_ci(a, b)
                print('airm - %s, nDCG@10, %s: %+.3f (95%% CI %+.3f .. %+.3f)'
                      % (other, half, mean(a) - mean(b), lo, hi))
    if args.per_query:
        names = list(systems)
        print('\nquery\theld out\t' + '\t'.join('nDCG %s' % n for n in names))
        for q in queries:
            print(q + '\t' + ('yes' if q in held_out else 'no') + '\t' +
                  '\t'.join('%.3f' % details[n][q][0] for n in names))

    for q in args.show:
        show(q, judged[q], {n: r[q] for n, r in systems.items()}, record_names(args.data))


def record_names(data_dir):
    path = os.path.join(data_dir, 'mitigation-database-2025-07-23.csv')
    with open(path, encoding='utf-8-sig', newline='') as f:
        return {row['Action ID']: ' '.join(row['Action Name'].split()) for row in csv.DictReader(f)}


def show(query, grades, rankings, names):
    """One query's top 10 per system, each record as 'grade id name', then what airm missed."""
    print('\n%s (%d judged)' % (query, len(grades)))
    for name, ranked in rankings.items():
        print('  %s:' % name)
        for i, rid in enumerate(ranked[:10]):
            print('    %2d. %d %s  %s' % (i + 1, grades.get(rid, 0), rid, names.get(rid, '')[:60]))
    if 'airm' in rankings:
        missed = sorted((r for r in grades if r not in rankings['airm'][:10]), key=lambda r: -grades[r])
        print('  judged, not in airm\'s top 10: ' +
              ('; '.join('%d %s %s' % (grades[r], r, names.get(r, '')[:40]) for r in missed) or 'none'))


if __name__ == '__main__':
    sys.exit(main())
