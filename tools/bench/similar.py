#!/usr/bin/python3
"""How often `airm similar` finds records coded alike, beside a plain TF-IDF cosine neighbour list.

For every labelled record of a set, the share of its top 5 neighbours that carry the record's code
(MIT: the same subcategory code; incident set: at least one label in common), averaged over the
records. Three neighbour lists are scored side by side:

  airm             `airm similar ID --limit 5 --json` on an index of the set as airm builds it
  airm, own codes hidden
                   the same for a record that has no codes while the others keep theirs: what a
                   user adding a new, uncoded entry gets. The set's folds-5.csv splits it in five;
                   for each fold an index holds its records without codes beside the other folds'
                   coded records, and the fold's records are asked of that index
  airm, no codes   the same on an index whose records carry no codes at all (the texts alone)
  TF-IDF cosine    computed here: lower-cased words of two or more letters or digits, English stop
                   words dropped, words and word bigrams, sublinear tf (1 + ln tf), smoothed idf
                   (ln((1 + n) / (1 + df)) + 1), L2-normalised, the 5 records of highest cosine
                   (ties by record order), the record itself left out

  similar.py [--airm build/tools/airm/airm] [--shared ../shared] [--sets mit,incidents]
             [--every N] [--json FILE]

Set `mit`: ../shared/data/mit-mitigations, indexed with `airm index --format mit-csv --documents`
(text = Action Name + Action Definition for TF-IDF); the 16 catch-all codes count like any other. The
indexes with codes hidden are written as JSON Lines (title = Action Name, text = Action Definition,
facet `category` with corpus/taxonomy.json).
Set `incidents`: ../shared/data/incident-mitigations, converted as tools/bench/quality.py does (text =
the `mitigation_taken` sentences joined, flat facet `subcategory` = labels_normalized.tsv's labels).
--every N scores every Nth record only (default 1: all). Working files go to a temporary folder.
Standard library only.
"""
import argparse
import ast
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOP = 5
WORD = re.compile(r'\b\w\w+\b')
# English function words, written for this script (articles, pronouns, prepositions, conjunctions,
# auxiliaries and the commonest adverbs); words, not stems.
STOP = set('''
a about above after again against all almost also although always am among an and another any
anyone anything are around as at be because been before being below between both but by can
cannot could did do does doing done down during each either else enough etc even ever every for
from further had has have having he her here hers herself him himself his how however i if in
into is it its itself just least less many may me might more most much must my myself neither
no nor not now of off often on once one only onto or other others otherwise our ours ourselves
out over own per perhaps rather same several shall she should since so some such than that the
their theirs them themselves then there therefore these they this those though through thus to
too toward towards under until up upon us very via was we well were what whatever when whenever
where whereas wherever whether which while who whoever whom whose why will with within without
would yet you your yours yourself yourselves
'''.split())


def features(text):
    """Counts of a text's words and word bigrams (stop words dropped before pairing)."""
    words = [w for w in WORD.findall(text.lower()) if w not in STOP]
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    for a, b in zip(words, words[1:]):
        key = a + ' ' + b
        counts[key] = counts.get(key, 0) + 1
    return counts


def tfidf_neighbours(ids, texts, k=TOP):
    """The k nearest records of each by TF-IDF cosine, through an inverted index."""
    bags = [features(texts[i]) for i in ids]
    n = len(bags)
    df = {}
    for bag in bags:
        for t in bag:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log((1 + n) / (1 + d)) + 1 for t, d in df.items()}
    vectors = []
    postings = {}
    for doc, bag in enumerate(bags):
        vec = {t: (1 + math.log(c)) * idf[t] for t, c in bag.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vec = {t: v / norm for t, v in vec.items()}
        vectors.append(vec)
        for t, v in vec.items():
            postings.setdefault(t, []).append((doc, v))
    out = {}
    for doc, vec in enumerate(vectors):
        acc = {}
        for t, v in vec.items():
            for other, w in postings[t]:
                if other != doc:
                    acc[other] = acc.get(other, 0.0) + v * w
        best = sorted(acc.items(), key=lambda x: (-x[1], x[0]))[:k]
        out[ids[doc]] = [ids[o] for o, _ in best]
    return out


def airm_neighbours(airm, db, ids, k=TOP):
    def one(rid):
        proc = subprocess.run([airm, 'similar', rid, '--db', db, '--limit', str(k), '--json'],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit('similar: airm similar %s failed: %s' % (rid, proc.stderr.strip()))
        return [r['id'] for r in json.loads(proc.stdout)['results']]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(ids, pool.map(one, ids)))


def same_code_share(neighbours, gold, ids):
    """Mean over `ids` of (neighbours among the top 5 sharing a code) / 5."""
    total = 0.0
    for rid in ids:
        got = neighbours.get(rid, [])[:TOP]
        total += sum(1 for o in got if gold[o] & gold[rid]) / TOP
    return total / len(ids)


def read_folds(path):
    with open(path, encoding='utf-8', newline='') as f:
        return {r['id']: r['fold'] for r in csv.DictReader(f)}


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit('similar: %s failed: %s' % (' '.join(cmd), proc.stderr.strip()))
    return proc.stdout


def write_jsonl(path, ids, texts, titles, gold, facet, coded_ids):
    """Records as JSON Lines; only those in `coded_ids` carry their codes."""
    with open(path, 'w', encoding='utf-8') as f:
        for i in ids:
            rec = {'id': i, 'text': texts[i]}
            if titles is not None and titles[i].strip():
                rec['title'] = titles[i]
            if i in coded_ids:
                rec['facets'] = {facet: sorted(gold[i])}
            f.write(json.dumps(rec, ensure_ascii=False) + '\n')


def load_mit(shared, work, airm):
    data = os.path.join(shared, 'data', 'mit-mitigations')
    export = os.path.join(data, 'mitigation-database-2025-07-23.csv')
    documents = os.path.join(data, 'mitigation-database-included-documents-2025-07-23.csv')
    with open(export, encoding='utf-8-sig', newline='') as f:
        rows = list(csv.DictReader(f))
    ids = [r['Action ID'] for r in rows]
    gold = {r['Action ID']: {r['MitigationCode'].split()[0]} for r in rows}
    texts = {r['Action ID']: r['Action Name'] + ' ' + r['Action Definition'] for r in rows}
    titles = {r['Action ID']: r['Action Name'] for r in rows}
    coded = os.path.join(work, 'mit-db')
    run([airm, 'index', '--db', coded, '--format', 'mit-csv', '--documents', documents, export])
    definitions = {r['Action ID']: r['Action Definition'] for r in rows}
    taxonomy = ['--taxonomy', 'category=' + os.path.join(ROOT, 'corpus', 'taxonomy.json')]

    def build(name, coded_ids):
        db = os.path.join(work, name)
        records = db + '.jsonl'
        write_jsonl(records, ids, definitions, titles, gold, 'category', coded_ids)
        run([airm, 'index', '--db', db, records] + (taxonomy if coded_ids else []))
        return db
    return ids, gold, texts, coded, build, os.path.join(data, 'folds-5.csv')


def incident_text(cell):
    try:
        value = ast.literal_eval(cell)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        value = None
    if isinstance(value, (list, tuple)) and all(isinstance(s, str) for s in value):
        return ' '.join(s.strip() for s in value if s.strip())
    text = cell.strip()
    return text[1:-1].strip() if text.startswith('[') and text.endswith(']') else text


def load_incidents(shared, work, airm):
    data = os.path.join(shared, 'data', 'incident-mitigations')
    with open(os.path.join(data, 'labels_normalized.tsv'), encoding='utf-8', newline='') as f:
        gold = {r['id']: {c.strip() for c in r['labels_pipe_separated'].split('|') if c.strip()}
                for r in csv.DictReader(f, delimiter='\t')}
    texts = {}
    csv.field_size_limit(sys.maxsize)
    for s in ('aiid', 'aiaaic', 'oecd'):
        with open(os.path.join(data, 'classification-%s.csv' % s), encoding='utf-8', newline='') as f:
            for r in csv.DictReader(f):
                texts[r['id']] = incident_text(r['mitigation_taken'])
    ids = [i for i in texts if i in gold and gold[i] and texts[i]]
    def build(name, coded_ids):
        db = os.path.join(work, name)
        records = db + '.jsonl'
        write_jsonl(records, ids, texts, None, gold, 'subcategory', coded_ids)
        run([airm, 'index', '--db', db, records])
        return db
    return ids, gold, texts, build('incidents-db', set(ids)), build, os.path.join(data, 'folds-5.csv')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--airm', default=os.path.join(ROOT, 'build', 'tools', 'airm', 'airm'))
    ap.add_argument('--shared', default=os.path.join(os.path.dirname(ROOT), 'shared'))
    ap.add_argument('--sets', default='mit,incidents')
    ap.add_argument('--every', type=int, default=1, help='score every Nth record only')
    ap.add_argument('--json', help='write the figures to this file too')
    args = ap.parse_args()
    if args.every < 1:
        sys.exit('similar: --every must be 1 or more')
    results = {}
    with tempfile.TemporaryDirectory(prefix='airm-similar-') as work:
        for name in args.sets.split(','):
            loader = {'mit': load_mit, 'incidents': load_incidents}.get(name)
            if loader is None:
                sys.exit('similar: unknown set %r; choose mit, incidents' % name)
            started = time.time()
            ids, gold, texts, coded, build, folds_csv = loader(args.shared, work, args.airm)
            scored = ids[::args.every]
            fold_of = read_folds(folds_csv)
            hidden = {}
            for fold in sorted({fold_of[i] for i in scored}):
                asked = [i for i in scored if fold_of[i] == fold]
                db = build('%s-fold-%s' % (name, fold), {i for i in ids if fold_of.get(i) != fold})
                hidden.update(airm_neighbours(args.airm, db, asked))
            rows = {
                'airm': same_code_share(airm_neighbours(args.airm, coded, scored), gold, scored),
                "airm, the record's own codes hidden": same_code_share(hidden, gold, scored),
                'airm, no codes at all': same_code_share(
                    airm_neighbours(args.airm, build(name + '-text-db', set()), scored), gold, scored),
                'TF-IDF cosine (sublinear tf, stop words, bigrams)':
                    same_code_share(tfidf_neighbours(ids, texts), gold, scored),
            }
            results[name] = {'records': len(ids), 'scored': len(scored), 'every': args.every,
                             'share_top5_same_code': rows,
                             'seconds': round(time.time() - started, 1)}
            print('%s: %d records, %d scored (every %d), share of the top %d with the same code'
                  % (name, len(ids), len(scored), args.every, TOP))
            for system, share in rows.items():
                print('  %-50s %.3f' % (system, share))
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=2)
            f.write('\n')


if __name__ == '__main__':
    sys.exit(main())
