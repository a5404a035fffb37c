#!/usr/bin/env python3
"""Suggestion quality side by side in one run: airm and fastText on the MIT mitigation database with
the fixed folds of ../shared/data/mit-mitigations/folds-5.csv.

  tools/bench/quality.py [--build-dir BUILD] [--shared FOLDER] [--json FILE]

airm: `airm index --format mit-csv` of the export, then `airm evaluate --folds folds-5.csv --json`.
fastText: for each fold, `fasttext supervised` (50 epochs, lr 1.0, word bigrams, one thread) on the other
folds' Action Name + Action Definition, then `predict` of the top 3 on the held-out fold. Both are scored
the same way: top-1 accuracy, top-3 hit rate, category accuracy (first code segment of the top
suggestion) and macro-F1 of the top suggestion over every code that is a gold or a predicted code.
Working files go to BUILD/quality-work, never into the repository. Standard library only.
"""
import argparse
import csv
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOKEN = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")


def words(text):
    return ' '.join(TOKEN.findall(text.lower()))


def scores(gold, ranked):
    """gold: id -> code; ranked: id -> [code, ...] best first."""
    n = len(gold)
    top1 = sum(1 for i, g in gold.items() if ranked.get(i) and ranked[i][0] == g)
    top3 = sum(1 for i, g in gold.items() if g in ranked.get(i, [])[:3])
    category = sum(1 for i, g in gold.items() if ranked.get(i) and ranked[i][0].split('.')[0] == g.split('.')[0])
    support, predicted, correct = {}, {}, {}
    for i, g in gold.items():
        support[g] = support.get(g, 0) + 1
        if ranked.get(i):
            p = ranked[i][0]
            predicted[p] = predicted.get(p, 0) + 1
            if p == g:
                correct[g] = correct.get(g, 0) + 1
    codes = set(support) | set(predicted)
    f1 = [2.0 * correct.get(c, 0) / (support.get(c, 0) + predicted.get(c, 0)) for c in codes]
    return {'n': n, 'top1': top1 / n, 'top3': top3 / n, 'category_accuracy': category / n,
            'macro_f1': sum(f1) / len(f1) if f1 else 0.0}


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.exit('quality: %s failed (exit %d): %s' % (' '.join(cmd), proc.returncode, proc.stderr[-2000:]))
    return proc.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--build-dir', default=os.environ.get('AIRM_BUILD_DIR', os.path.join(ROOT, 'build')))
    ap.add_argument('--shared', default=os.path.join(os.path.dirname(ROOT), 'shared'))
    ap.add_argument('--json', help='also write the report as JSON to this file')
    args = ap.parse_args()

    data = os.path.join(args.shared, 'data', 'mit-mitigations')
    export = os.path.join(data, 'mitigation-database-2025-07-23.csv')
    folds_csv = os.path.join(data, 'folds-5.csv')
    for path in (export, folds_csv):
        if not os.path.exists(path):
            sys.exit('quality: %s is absent; pass --shared FOLDER (the folder holding data/mit-mitigations)' % path)
    airm = os.path.join(args.build_dir, 'tools', 'airm', 'airm')
    if not os.path.exists(airm):
        sys.exit('quality: %s is absent; build first (tools/setup.sh) or pass --build-dir' % airm)
    if shutil.which('fasttext') is None:
        sys.exit('quality: no fasttext binary; install it with apt-get install fasttext')
    work = os.path.join(args.build_dir, 'quality-work')
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    with open(export, encoding='utf-8-sig', newline='') as f:
        rows = list(csv.DictReader(f))
    with open(folds_csv, encoding='utf-8', newline='') as f:
        fold_of = {r['id']: int(r['fold']) for r in csv.DictReader(f)}
    gold = {r['Action ID']: r['MitigationCode'].split()[0] for r in rows}
    missing = [i for i in gold if i not in fold_of]
    if missing:
        sys.exit('quality: %d records have no fold in %s (first: %s)' % (len(missing), folds_csv, missing[0]))

    # airm
    db = os.path.join(work, 'airm-mit')
    run([airm, 'index', '--db', db, '--format', 'mit-csv', export])
    airm_report = json.loads(run([airm, 'evaluate', '--db', db, '--folds', folds_csv, '--json']))

    # fastText, on the same folds
    ranked = {}
    for fold in sorted(set(fold_of.values())):
        train = os.path.join(work, 'ft-train-%d.txt' % fold)
        test = os.path.join(work, 'ft-test-%d.txt' % fold)
        test_ids = []
        with open(train, 'w', encoding='utf-8') as tr, open(test, 'w', encoding='utf-8') as te:
            for r in rows:
                line = words(r['Action Name'] + ' ' + r['Action Definition'])
                if fold_of[r['Action ID']] == fold:
                    te.write(line + '\n')
                    test_ids.append(r['Action ID'])
                else:
                    tr.write('__label__%s %s\n' % (gold[r['Action ID']], line))
        model = os.path.join(work, 'ft-%d' % fold)
        run(['fasttext', 'supervised', '-input', train, '-output', model, '-epoch', '50', '-lr', '1.0',
             '-wordNgrams', '2', '-thread', '1', '-verbose', '0'])
        out = run(['fasttext', 'predict', model + '.bin', test, '3']).splitlines()
        for i, line in zip(test_ids, out):
            ranked[i] = [t[len('__label__'):] for t in line.split()]
    ft = scores(gold, ranked)

    report = {'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'), 'machine': platform.platform(),
              'records': len(gold),
              'airm': {k: airm_report[k] for k in ('n', 'top1', 'top3', 'category_accuracy', 'macro_f1')},
              'fasttext': ft,
              'fasttext_settings': 'supervised -epoch 50 -lr 1.0 -wordNgrams 2 -thread 1; text = Action Name + '
                                   'Action Definition'}
    lines = ['suggestion quality, %s: MIT mitigations, %d records, folds-5.csv' % (report['date'], len(gold)),
             '%-10s %7s %7s %9s %9s' % ('method', 'top1', 'top3', 'category', 'macro-F1')]
    for name, r in (('airm', report['airm']), ('fastText', ft)):
        lines.append('%-10s %7.3f %7.3f %9.3f %9.3f' % (name, r['top1'], r['top3'], r['category_accuracy'],
                                                       r['macro_f1']))
    report['table'] = '\n'.join(lines)
    print(report['table'])
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(report, f, indent=1)
            f.write('\n')


if __name__ == '__main__':
    main()
