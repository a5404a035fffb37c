#!/usr/bin/env python3
"""Suggestion quality side by side in one run: airm and fastText on the same fixed folds.

  tools/bench/quality.py [--build-dir BUILD] [--shared FOLDER] [--sets mit,incidents] [--json FILE]
                         [--word-vectors FILE]

Set `mit`: the MIT mitigation database with ../shared/data/mit-mitigations/folds-5.csv (single-label).
airm: `airm index --format mit-csv` of the export, then `airm evaluate --folds folds-5.csv --json`.
fastText: for each fold, `fasttext supervised` (50 epochs, lr 1.0, word bigrams, one thread) on the other
folds' Action Name + Action Definition, then `predict` of the top 3 on the held-out fold. Scored as
top-1 accuracy, top-3 hit rate, category accuracy (first code segment of the top suggestion) and
macro-F1 of the top suggestion over every code that is a gold or a predicted code.

Set `incidents`: the incident mitigations of ../shared/data/incident-mitigations with its folds-5.csv
(multi-label, silver labels). The three classification-*.csv files and labels_normalized.tsv are
converted to airm's native JSON Lines (id, text = the `mitigation_taken` sentences joined, flat facet
`subcategory` = the labels of labels_normalized.tsv). `airm index --map` cannot read these files
as they are: the labels live in a second file (labels_normalized.tsv), and the CSV's own label column
uses two separators (178 cells use ',' where the others use '; ', and two label names contain a comma).
airm: `airm index` of that file, then `airm evaluate --field subcategory --folds folds-5.csv --json`.
fastText: for each fold, `fasttext supervised -loss ova -epoch 25 -lr 0.5 -wordNgrams 2 -thread 1` on
the other folds' texts, then `predict-prob` k = 5 on the held-out fold. Scored with airm's definitions
(query/suggest/evaluate.cpp): P@1 (the first suggestion is one of the record's labels), top-3 hit (one of the
first three is), R@3 (hits in the first three / number of labels), F1@3 (per record, harmonic mean of
hits/3 and R@3, 0 without a hit, averaged over records), NDCG@5 (binary relevance, ideal = the
record's labels ranked first), macro-F1 of the first suggestion (over labels true or suggested).

For both sets the script checks airm's --json report against itself: P@1 = the sum of the per-code
`correct` counts / n, macro-F1 = the mean of the per-code F1 (recomputed from support, predicted and
correct with this script's formula), and, on the incident set, that the per-code supports add up to
the number of labels converted. fastText sees the same texts lower-cased and split into words
(Unicode word characters, inner apostrophes and hyphens kept).
With --word-vectors, each set is also evaluated with `airm evaluate --word-vectors FILE` (the
word-vector member joins airm's ensemble) and reported as its own row, airm+vectors.
Working files go to BUILD/quality-work, never into the repository. Standard library only.
"""
import argparse
import ast
import csv
import datetime
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# Words of any script, with inner apostrophes (straight or curly) and hyphens: fastText splits on
# white space only, so punctuation is dropped here. ASCII-only words would split "garde à vue".
TOKEN = re.compile(r"\w+(?:['\u2019\-]\w+)*")
SETS = ('mit', 'incidents')


def words(text):
    return ' '.join(TOKEN.findall(text.lower()))


def scores(gold, ranked, hierarchical=False):
    """gold: id -> set of codes; ranked: id -> [code, ...] best first. airm's definitions."""
    n = len(gold)
    top1 = top3 = r3 = f13 = ndcg5 = category = 0.0
    support, predicted, correct = {}, {}, {}
    for i, g in gold.items():
        r = ranked.get(i, [])
        hits3 = sum(1 for c in r[:3] if c in g)
        top1 += 1 if r and r[0] in g else 0
        top3 += 1 if hits3 else 0
        recall = hits3 / len(g)
        r3 += recall
        f13 += 0.0 if hits3 == 0 else 2 * (hits3 / 3.0) * recall / (hits3 / 3.0 + recall)
        dcg = sum(1.0 / math.log2(k + 2) for k, c in enumerate(r[:5]) if c in g)
        ideal = sum(1.0 / math.log2(k + 2) for k in range(min(5, len(g))))
        ndcg5 += dcg / ideal
        if hierarchical and r:
            category += 1 if r[0].split('.')[0] in {c.split('.')[0] for c in g} else 0
        for c in g:
            support[c] = support.get(c, 0) + 1
        if r:
            predicted[r[0]] = predicted.get(r[0], 0) + 1
            if r[0] in g:
                correct[r[0]] = correct.get(r[0], 0) + 1
    out = {'n': n, 'top1': top1 / n, 'top3': top3 / n, 'r_at_3': r3 / n, 'f1_at_3': f13 / n,
           'ndcg_at_5': ndcg5 / n, 'macro_f1': macro_f1(support, predicted, correct)}
    if hierarchical:
        out['category_accuracy'] = category / n
    return out


def macro_f1(support, predicted, correct):
    codes = set(support) | set(predicted)
    f1 = [2.0 * correct.get(c, 0) / (support.get(c, 0) + predicted.get(c, 0)) for c in codes]
    return sum(f1) / len(f1) if f1 else 0.0


def check_airm(report, labels_total=None):
    """Recomputes P@1 and macro-F1 from airm's own per-code counts; returns (checks, problems)."""
    codes = report['codes']
    checks = {
        'top1_from_codes': sum(c['correct'] for c in codes) / report['n'],
        'macro_f1_from_codes': macro_f1({c['code']: c['support'] for c in codes},
                                        {c['code']: c['predicted'] for c in codes},
                                        {c['code']: c['correct'] for c in codes}),
        'support_total': sum(c['support'] for c in codes),
    }
    problems = []
    for key, mine in (('top1', checks['top1_from_codes']), ('macro_f1', checks['macro_f1_from_codes'])):
        if abs(mine - report[key]) > 1e-4:
            problems.append('%s: airm says %.4f, its per-code counts give %.4f' % (key, report[key], mine))
    if labels_total is not None and checks['support_total'] != labels_total:
        problems.append('the per-code supports add up to %d, the converted file has %d labels'
                        % (checks['support_total'], labels_total))
    checks['consistent'] = not problems
    return checks, problems


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.exit('quality: %s failed (exit %d): %s' % (' '.join(cmd), proc.returncode, proc.stderr[-2000:]))
    return proc.stdout


def timed(seconds, key, fn):
    start = time.monotonic()
    out = fn()
    seconds[key] = round(time.monotonic() - start, 1)
    return out


def read_folds(path):
    with open(path, encoding='utf-8', newline='') as f:
        return {r['id']: int(r['fold']) for r in csv.DictReader(f)}


def fasttext_folds(work, texts, gold, fold_of, train_args, predict):
    """Trains one fastText model per fold on the other folds; returns id -> ranked labels.
    Labels with white space (names such as 'Testing & Auditing') are written as __label__L<n>."""
    names = sorted({c for g in gold.values() for c in g})
    plain = not any(re.search(r'\s', c) for c in names)
    tag = {c: c if plain else 'L%d' % k for k, c in enumerate(names)}
    untag = {'__label__' + t: c for c, t in tag.items()}
    ranked = {}
    for fold in sorted(set(fold_of[i] for i in gold)):
        train = os.path.join(work, 'ft-train-%d.txt' % fold)
        test = os.path.join(work, 'ft-test-%d.txt' % fold)
        test_ids = []
        with open(train, 'w', encoding='utf-8') as tr, open(test, 'w', encoding='utf-8') as te:
            for i in gold:
                line = words(texts[i])
                if fold_of[i] == fold:
                    te.write(line + '\n')
                    test_ids.append(i)
                else:
                    tr.write(' '.join('__label__' + tag[c] for c in sorted(gold[i])) + ' ' + line + '\n')
        model = os.path.join(work, 'ft-%d' % fold)
        run(['fasttext', 'supervised', '-input', train, '-output', model] + train_args + ['-verbose', '0'])
        out = run(['fasttext'] + predict(model + '.bin', test)).splitlines()
        if len(out) != len(test_ids):
            sys.exit('quality: fastText gave %d prediction lines for %d texts in %s' % (len(out), len(test_ids), test))
        for leftover in (model + '.bin', model + '.vec'):  # about 800 MB a fold with word bigrams
            if os.path.exists(leftover):
                os.remove(leftover)
        for i, line in zip(test_ids, out):
            tokens = line.split()
            ranked[i] = [untag[t] for t in tokens if t.startswith('__label__')]
    return ranked


def prepare(name, inputs, folder, work):
    """Checks that a set's inputs exist (saying which is absent) and empties its own working folder."""
    for path in inputs:
        if not os.path.exists(path):
            print('quality: skipping the %s set: %s is absent (pass --shared FOLDER, the folder holding '
                  '%s)' % (name, path, folder), file=sys.stderr)
            return False
    shutil.rmtree(work, ignore_errors=True)  # this set's own working files only
    os.makedirs(work)
    return True


def run_mit(args, airm, work):
    data = os.path.join(args.shared, 'data', 'mit-mitigations')
    export = os.path.join(data, 'mitigation-database-2025-07-23.csv')
    folds_csv = os.path.join(data, 'folds-5.csv')
    if not prepare('mit', [export, folds_csv], 'data/mit-mitigations', work):
        return None
    with open(export, encoding='utf-8-sig', newline='') as f:
        rows = list(csv.DictReader(f))
    fold_of = read_folds(folds_csv)
    gold = {r['Action ID']: {r['MitigationCode'].split()[0]} for r in rows}
    texts = {r['Action ID']: r['Action Name'] + ' ' + r['Action Definition'] for r in rows}
    missing = [i for i in gold if i not in fold_of]
    if missing:
        sys.exit('quality: %d records have no fold in %s (first: %s)' % (len(missing), folds_csv, missing[0]))

    seconds = {}
    db = os.path.join(work, 'airm-db')
    timed(seconds, 'airm_index', lambda: run([airm, 'index', '--db', db, '--format', 'mit-csv', export]))
    airm_report = json.loads(timed(seconds, 'airm_evaluate', lambda: run(
        [airm, 'evaluate', '--db', db, '--folds', folds_csv, '--json'])))
    checks, problems = check_airm(airm_report)
    vec_report = None
    if args.word_vectors:
        vec_report = json.loads(timed(seconds, 'airm_evaluate_word_vectors', lambda: run(
            [airm, 'evaluate', '--db', db, '--folds', folds_csv, '--json',
             '--word-vectors', args.word_vectors])))
        vec_checks, vec_problems = check_airm(vec_report)
        problems += ['with word vectors: ' + p for p in vec_problems]
    ranked = timed(seconds, 'fasttext', lambda: fasttext_folds(
        work, texts, gold, fold_of,
        ['-epoch', '50', '-lr', '1.0', '-wordNgrams', '2', '-thread', '1'],
        lambda model, test: ['predict', model, test, '3']))
    ft = scores(gold, ranked, hierarchical=True)
    keys = ('n', 'top1', 'top3', 'category_accuracy', 'macro_f1')
    result = {'records': len(gold), 'folds': os.path.abspath(folds_csv),
              'airm': {k: airm_report[k] for k in keys}, 'airm_checks': checks,
              'fasttext': {k: ft[k] for k in keys},
              'fasttext_settings': 'supervised -epoch 50 -lr 1.0 -wordNgrams 2 -thread 1, predict k=3; '
                                   'text = Action Name + Action Definition',
              'seconds': seconds}
    rows = [('airm', result['airm'])]
    if vec_report is not None:
        result['airm_word_vectors'] = {k: vec_report[k] for k in keys}
        result['word_vectors'] = os.path.abspath(args.word_vectors)
        rows.append(('airm+vectors', result['airm_word_vectors']))
    rows.append(('fastText', result['fasttext']))
    lines = ['MIT mitigations, %d records, single-label, folds-5.csv' % len(gold),
             '%-13s %7s %7s %9s %9s' % ('method', 'top1', 'top3', 'category', 'macro-F1')]
    for name, r in rows:
        lines.append('%-13s %7.3f %7.3f %9.3f %9.3f' % (name, r['top1'], r['top3'], r['category_accuracy'],
                                                       r['macro_f1']))
    lines.append(check_line(problems, seconds))
    return result, lines


def incident_text(cell):
    """The `mitigation_taken` sentences joined by a space. The cell is a Python list literal; cells
    that are not one (plain '; '-separated text, or broken quoting) are used as they are, minus
    the outer brackets."""
    try:
        value = ast.literal_eval(cell)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        value = None
    if isinstance(value, (list, tuple)) and all(isinstance(s, str) for s in value):
        return ' '.join(s.strip() for s in value if s.strip()), True
    text = cell.strip()
    if text.startswith('[') and text.endswith(']'):
        text = text[1:-1].strip()
    return text, False


def run_incidents(args, airm, work):
    data = os.path.join(args.shared, 'data', 'incident-mitigations')
    sources = [os.path.join(data, 'classification-%s.csv' % s) for s in ('aiid', 'aiaaic', 'oecd')]
    labels_tsv = os.path.join(data, 'labels_normalized.tsv')
    folds_csv = os.path.join(data, 'folds-5.csv')
    if not prepare('incidents', sources + [labels_tsv, folds_csv], 'data/incident-mitigations', work):
        return None
    fold_of = read_folds(folds_csv)
    with open(labels_tsv, encoding='utf-8', newline='') as f:
        gold = {r['id']: {c.strip() for c in r['labels_pipe_separated'].split('|') if c.strip()}
                for r in csv.DictReader(f, delimiter='\t')}
    texts, literal = {}, 0
    csv.field_size_limit(sys.maxsize)
    for path in sources:
        with open(path, encoding='utf-8', newline='') as f:
            for r in csv.DictReader(f):
                texts[r['id']], ok = incident_text(r['mitigation_taken'])
                literal += ok
    problems = ['%d ids of %s without a text' % (len(set(gold) - set(texts)), labels_tsv)] \
        if set(gold) - set(texts) else []
    problems += ['%d ids without a fold in %s' % (len(set(gold) - set(fold_of)), folds_csv)] \
        if set(gold) - set(fold_of) else []
    problems += ['%d ids without labels in %s' % (len(set(texts) - set(gold)), labels_tsv)] \
        if set(texts) - set(gold) else []
    problems += ['%d records with no label' % sum(1 for g in gold.values() if not g)] \
        if any(not g for g in gold.values()) else []
    if problems:
        sys.exit('quality: the incident set does not line up: ' + '; '.join(problems))
    ids = [i for i in fold_of if i in gold]  # the order of folds-5.csv
    records = os.path.join(work, 'records.jsonl')
    with open(records, 'w', encoding='utf-8') as f:
        for i in ids:
            f.write(json.dumps({'id': i, 'text': texts[i], 'facets': {'subcategory': sorted(gold[i])}},
                               ensure_ascii=False) + '\n')
    labels_total = sum(len(gold[i]) for i in ids)

    seconds = {}
    db = os.path.join(work, 'airm-db')
    timed(seconds, 'airm_index', lambda: run([airm, 'index', '--db', db, records]))
    airm_report = json.loads(timed(seconds, 'airm_evaluate', lambda: run(
        [airm, 'evaluate', '--db', db, '--field', 'subcategory', '--folds', folds_csv, '--json'])))
    checks, problems = check_airm(airm_report, labels_total)
    vec_report = None
    if args.word_vectors:
        vec_report = json.loads(timed(seconds, 'airm_evaluate_word_vectors', lambda: run(
            [airm, 'evaluate', '--db', db, '--field', 'subcategory', '--folds', folds_csv, '--json',
             '--word-vectors', args.word_vectors])))
        vec_checks, vec_problems = check_airm(vec_report, labels_total)
        problems += ['with word vectors: ' + p for p in vec_problems]
    ranked = timed(seconds, 'fasttext', lambda: fasttext_folds(
        work, texts, {i: gold[i] for i in ids}, fold_of,
        ['-loss', 'ova', '-epoch', '25', '-lr', '0.5', '-wordNgrams', '2', '-thread', '1'],
        lambda model, test: ['predict-prob', model, test, '5']))
    ft = scores({i: gold[i] for i in ids}, ranked)
    keys = ('n', 'top1', 'top3', 'r_at_3', 'f1_at_3', 'ndcg_at_5', 'macro_f1')
    result = {'records': len(ids), 'labels': len({c for i in ids for c in gold[i]}), 'label_assignments': labels_total,
              'texts_from_list_literal': literal, 'texts_used_as_is': len(ids) - literal,
              'folds': os.path.abspath(folds_csv), 'converted': records,
              'airm': {k: airm_report[k] for k in keys}, 'airm_checks': checks,
              'fasttext': {k: ft[k] for k in keys},
              'fasttext_settings': 'supervised -loss ova -epoch 25 -lr 0.5 -wordNgrams 2 -thread 1, '
                                   'predict-prob k=5; text = mitigation_taken sentences joined',
              'quoted_in_data_readme': {
                  'TF-IDF + one-vs-rest LinearSVC': {'top1': 0.800, 'f1_at_3': 0.564},
                  'fastText -loss ova (25 epochs, lr 0.5, word bigrams)': {'top1': 0.781, 'f1_at_3': 0.544}},
              'seconds': seconds}
    lines = ['incident mitigations, %d records, %d labels, multi-label (silver), folds-5.csv'
             % (len(ids), result['labels']),
             '%-16s %6s %6s %6s %6s %7s %9s' % ('method', 'P@1', 'top-3', 'R@3', 'F1@3', 'NDCG@5', 'macro-F1')]
    rows = [('airm', result['airm'])]
    if vec_report is not None:
        result['airm_word_vectors'] = {k: vec_report[k] for k in keys}
        result['word_vectors'] = os.path.abspath(args.word_vectors)
        rows.append(('airm+vectors', result['airm_word_vectors']))
    rows.append(('fastText ova', result['fasttext']))
    for name, r in rows:
        lines.append('%-16s %6.3f %6.3f %6.3f %6.3f %7.3f %9.3f' % (
            name, r['top1'], r['top3'], r['r_at_3'], r['f1_at_3'], r['ndcg_at_5'], r['macro_f1']))
    lines.append(check_line(problems, seconds))
    return result, lines


def check_line(problems, seconds):
    timing = ', '.join('%s %.1f s' % (k.replace('_', ' '), v) for k, v in seconds.items())
    if problems:
        return 'WARNING: airm --json is not self-consistent: %s (%s)' % ('; '.join(problems), timing)
    return 'airm --json self-check: ok (%s)' % timing


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--build-dir', default=os.environ.get('AIRM_BUILD_DIR', os.path.join(ROOT, 'build')))
    ap.add_argument('--shared', default=os.path.join(os.path.dirname(ROOT), 'shared'))
    ap.add_argument('--sets', default=','.join(SETS), help='comma-separated: mit, incidents (default: both)')
    ap.add_argument('--json', help='also write the report as JSON to this file')
    ap.add_argument('--word-vectors', help='also evaluate airm with these word vectors '
                    '(GloVe text format, e.g. from tools/fetch-word-vectors)')
    args = ap.parse_args()
    sets = [s.strip() for s in args.sets.split(',') if s.strip()]
    unknown = [s for s in sets if s not in SETS]
    if unknown or not sets:
        sys.exit('quality: --sets %r: unknown set %s; choose from %s' % (args.sets, ', '.join(unknown) or '(none)',
                                                                      ', '.join(SETS)))

    airm = os.path.join(args.build_dir, 'tools', 'airm', 'airm')
    if not os.path.exists(airm):
        sys.exit('quality: %s is absent; build first (tools/setup.sh) or pass --build-dir' % airm)
    if shutil.which('fasttext') is None:
        sys.exit('quality: no fasttext binary; install it with apt-get install fasttext')
    work = os.path.join(args.build_dir, 'quality-work')

    start = time.monotonic()
    report = {'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
              'machine': platform.platform(), 'airm': airm, 'sets': {}}
    lines = ['suggestion quality, %s, one run' % report['date']]
    for name in sets:
        got = (run_mit if name == 'mit' else run_incidents)(args, airm, os.path.join(work, name))
        if got is None:
            continue
        report['sets'][name], set_lines = got
        lines += [''] + set_lines
    if not report['sets']:
        sys.exit('quality: nothing measured: the shared data of every chosen set is absent')
    report['seconds_total'] = round(time.monotonic() - start, 1)
    lines += ['', 'total %.1f s' % report['seconds_total']]
    report['table'] = '\n'.join(lines)
    print(report['table'])
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(report, f, indent=1)
            f.write('\n')


if __name__ == '__main__':
    main()
