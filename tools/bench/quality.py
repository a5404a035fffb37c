#!/usr/bin/env python3
"""Suggestion quality side by side in one run: airm, fastText and plain TF-IDF baselines on the same
fixed folds.

  tools/bench/quality.py [--build-dir BUILD] [--shared FOLDER] [--sets mit,incidents,...] [--json FILE]
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

Sets `incidents-aiid`, `incidents-aiaaic`, `incidents-oecd`: the same, limited to the rows of one
classification-SOURCE.csv (one source of incident texts each), on folds-5.csv's folds of those rows.

Baselines on every set, trained per outer fold on the other folds (scikit-learn, Debian's
python3-sklearn): TF-IDF (sublinear tf, word unigrams and bigrams of the same words fastText sees,
vocabulary of the training folds) + one-vs-rest LinearSVC ("SVM") and + logistic regression
(liblinear, one-vs-rest; "logreg"). C of each is chosen by its own 3-fold inner cross-validation on
the training folds only (accuracy on single-label sets, P@1 on multi-label ones; the vectorizer is
refitted in every inner fold); labels are ranked by decision value and scored as above.

For every set the script checks airm's --json report against itself: P@1 = the sum of the per-code
`correct` counts / n, macro-F1 = the mean of the per-code F1 (recomputed from support, predicted and
correct with this script's formula), and, on the incident set, that the per-code supports add up to
the number of labels converted. fastText sees the same texts lower-cased and split into words
(Unicode word characters, inner apostrophes and hyphens kept).
With --word-vectors, each set is also evaluated with `airm evaluate --word-vectors FILE` (the
word-vector member joins airm's ensemble) and reported as its own row, airm+vectors.
Working files go to BUILD/quality-work, never into the repository. Needs numpy and scikit-learn.
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
import warnings

try:
    import numpy
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.svm import LinearSVC
except ImportError:
    # Debian's python3-sklearn lives in /usr/bin/python3's path; a python3 found first on PATH (a
    # pyenv one) may not see it: run again under Debian's before giving up.
    if os.path.realpath(sys.executable) != os.path.realpath('/usr/bin/python3') and \
            os.path.exists('/usr/bin/python3') and not os.environ.get('AIRM_QUALITY_REEXEC'):
        os.environ['AIRM_QUALITY_REEXEC'] = '1'
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
    sys.exit('quality: scikit-learn is missing (the SVM and logistic-regression baselines need it); '
             'install it with apt-get install python3-sklearn (tools/setup.sh does)')

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# Words of any script, with inner apostrophes (straight or curly) and hyphens: fastText splits on
# white space only, so punctuation is dropped here. ASCII-only words would split "garde à vue".
TOKEN = re.compile(r"\w+(?:['\u2019\-]\w+)*")
SOURCES = ('aiid', 'aiaaic', 'oecd')
SETS = ('mit',) + tuple('incidents-' + s for s in SOURCES) + ('incidents',)


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


# C grids of the baselines' inner cross-validation (logistic regression wants less regularisation).
C_GRID = {'svm': (0.1, 0.3, 1.0, 3.0, 10.0), 'logreg': (1.0, 3.0, 10.0, 30.0, 100.0)}
INNER_FOLDS = 3
SEED = 20250723


def top1_scorer(estimator, x, y):
    """P@1 of a multi-label classifier: its best-scored label is one of the record's labels."""
    s = estimator.decision_function(x)
    return float(numpy.mean(y[numpy.arange(len(s)), numpy.argmax(s, axis=1)]))


def linear_baselines(texts, gold, fold_of, multi_label):
    """Plain TF-IDF baselines trained per outer fold on the other folds: a one-vs-rest linear SVM
    and logistic regression, each with C chosen by its own inner cross-validation on the training
    folds only (the vectorizer refitted in every inner fold). Returns {method: (ranked, C per fold)}."""
    ids = list(gold)
    out = {'svm': ({}, {}), 'logreg': ({}, {})}
    for fold in sorted(set(fold_of[i] for i in ids)):
        train = [i for i in ids if fold_of[i] != fold]
        test = [i for i in ids if fold_of[i] == fold]
        x_train = [words(texts[i]) for i in train]
        x_test = [words(texts[i]) for i in test]
        if multi_label:
            binarizer = MultiLabelBinarizer()
            y = binarizer.fit_transform([sorted(gold[i]) for i in train])
            classes = list(binarizer.classes_)
            inner = KFold(INNER_FOLDS, shuffle=True, random_state=SEED)
            members = {'svm': OneVsRestClassifier(LinearSVC()),
                       'logreg': OneVsRestClassifier(LogisticRegression(solver='liblinear'))}
            grid_key, scoring = 'clf__estimator__C', top1_scorer
        else:
            y = numpy.array([next(iter(gold[i])) for i in train])
            classes = None
            inner = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=SEED)
            members = {'svm': LinearSVC(), 'logreg': LogisticRegression(solver='liblinear')}
            grid_key, scoring = 'clf__C', 'accuracy'
        for name, clf in members.items():
            pipe = Pipeline([('tfidf', TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2),
                                                       token_pattern=r'\S+')),
                             ('clf', clf)])
            search = GridSearchCV(pipe, {grid_key: list(C_GRID[name])}, cv=inner, scoring=scoring)
            with warnings.catch_warnings():
                # Rare codes below the inner fold count, and liblinear's iteration cap.
                warnings.simplefilter('ignore', UserWarning)
                warnings.simplefilter('ignore', ConvergenceWarning)
                search.fit(x_train, y)
            best = search.best_estimator_
            s = best.decision_function(x_test)
            names = classes if classes is not None else list(best.classes_)
            ranked, chosen = out[name]
            chosen[fold] = search.best_params_[grid_key]
            for i, row in zip(test, s):
                ranked[i] = [names[k] for k in numpy.argsort(-row, kind='stable')]
    return out


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
    linear = timed(seconds, 'svm_and_logreg', lambda: linear_baselines(texts, gold, fold_of, False))
    keys = ('n', 'top1', 'top3', 'category_accuracy', 'macro_f1')
    result = {'records': len(gold), 'folds': os.path.abspath(folds_csv),
              'airm': {k: airm_report[k] for k in keys}, 'airm_checks': checks,
              'fasttext': {k: ft[k] for k in keys},
              'fasttext_settings': 'supervised -epoch 50 -lr 1.0 -wordNgrams 2 -thread 1, predict k=3; '
                                   'text = Action Name + Action Definition',
              'seconds': seconds}
    add_linear(result, linear, gold, keys, hierarchical=True)
    rows = [('airm', result['airm'])]
    if vec_report is not None:
        result['airm_word_vectors'] = {k: vec_report[k] for k in keys}
        result['word_vectors'] = os.path.abspath(args.word_vectors)
        rows.append(('airm+vectors', result['airm_word_vectors']))
    rows += [('fastText', result['fasttext']), ('SVM', result['svm']), ('logreg', result['logreg'])]
    lines = ['MIT mitigations, %d records, single-label, folds-5.csv' % len(gold),
             '%-13s %7s %7s %9s %9s' % ('method', 'top1', 'top3', 'category', 'macro-F1')]
    for name, r in rows:
        lines.append('%-13s %7.3f %7.3f %9.3f %9.3f' % (name, r['top1'], r['top3'], r['category_accuracy'],
                                                       r['macro_f1']))
    lines.append(linear_line(result))
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


def run_incidents(args, airm, work, source=None):
    """The incident set, or with `source` only the rows of classification-SOURCE.csv (folds-5.csv's
    folds restricted to them)."""
    data = os.path.join(args.shared, 'data', 'incident-mitigations')
    sources = [os.path.join(data, 'classification-%s.csv' % s) for s in SOURCES]
    labels_tsv = os.path.join(data, 'labels_normalized.tsv')
    folds_csv = os.path.join(data, 'folds-5.csv')
    if not prepare('incidents' if source is None else 'incidents-' + source, sources + [labels_tsv, folds_csv], 'data/incident-mitigations', work):
        return None
    fold_of = read_folds(folds_csv)
    with open(labels_tsv, encoding='utf-8', newline='') as f:
        gold = {r['id']: {c.strip() for c in r['labels_pipe_separated'].split('|') if c.strip()}
                for r in csv.DictReader(f, delimiter='\t') if source is None or r['source'] == source}
    texts, literal = {}, 0
    csv.field_size_limit(sys.maxsize)
    for path in sources if source is None else [os.path.join(data, 'classification-%s.csv' % source)]:
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
    if source is not None:  # airm refuses a folds file naming records the index lacks
        folds_csv = os.path.join(work, 'folds-5-%s.csv' % source)
        with open(folds_csv, 'w', encoding='utf-8', newline='') as f:
            f.write('id,fold\n' + ''.join('%s,%d\n' % (i, fold_of[i]) for i in ids))

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
    linear = timed(seconds, 'svm_and_logreg', lambda: linear_baselines(
        texts, {i: gold[i] for i in ids}, fold_of, True))
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
    if source is not None:
        del result['quoted_in_data_readme']  # quoted for the whole set
    add_linear(result, linear, {i: gold[i] for i in ids}, keys)
    lines = ['incident mitigations%s, %d records, %d labels, multi-label (silver), folds-5.csv'
             % ('' if source is None else ' from classification-%s.csv' % source, len(ids), result['labels']),
             '%-16s %6s %6s %6s %6s %7s %9s' % ('method', 'P@1', 'top-3', 'R@3', 'F1@3', 'NDCG@5', 'macro-F1')]
    rows = [('airm', result['airm'])]
    if vec_report is not None:
        result['airm_word_vectors'] = {k: vec_report[k] for k in keys}
        result['word_vectors'] = os.path.abspath(args.word_vectors)
        rows.append(('airm+vectors', result['airm_word_vectors']))
    rows += [('fastText ova', result['fasttext']), ('SVM', result['svm']), ('logreg', result['logreg'])]
    for name, r in rows:
        lines.append('%-16s %6.3f %6.3f %6.3f %6.3f %7.3f %9.3f' % (
            name, r['top1'], r['top3'], r['r_at_3'], r['f1_at_3'], r['ndcg_at_5'], r['macro_f1']))
    lines.append(linear_line(result))
    lines.append(check_line(problems, seconds))
    return result, lines


def add_linear(result, linear, gold, keys, hierarchical=False):
    for name, (ranked, chosen) in linear.items():
        result[name] = {k: scores(gold, ranked, hierarchical)[k] for k in keys}
        result[name + '_c_per_fold'] = {str(f): c for f, c in sorted(chosen.items())}
    result['linear_settings'] = (
        'TF-IDF (sublinear tf, word uni+bigrams of the fastText words, vocabulary of the training '
        'folds) + one-vs-rest LinearSVC / LogisticRegression(liblinear), scikit-learn; C from %s by '
        'a %d-fold inner cross-validation (%s) on the training folds only' % (
            C_GRID, INNER_FOLDS, 'P@1' if 'category_accuracy' not in keys else 'accuracy'))


def linear_line(result):
    margin = result['airm']['top1'] - result['svm']['top1']
    return ('airm top-1 %+.3f against the SVM (target +0.020: %s); C per fold: SVM %s, logreg %s' % (
        margin, 'met' if margin >= 0.02 - 1e-9 else 'MISSED',
        ' '.join('%g' % c for c in result['svm_c_per_fold'].values()),
        ' '.join('%g' % c for c in result['logreg_c_per_fold'].values())))


def check_line(problems, seconds):
    timing = ', '.join('%s %.1f s' % (k.replace('_', ' '), v) for k, v in seconds.items())
    if problems:
        return 'WARNING: airm --json is not self-consistent: %s (%s)' % ('; '.join(problems), timing)
    return 'airm --json self-check: ok (%s)' % timing


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--build-dir', default=os.environ.get('AIRM_BUILD_DIR', os.path.join(ROOT, 'build')))
    ap.add_argument('--shared', default=os.path.join(os.path.dirname(ROOT), 'shared'))
    ap.add_argument('--sets', default=','.join(SETS),
                    help='comma-separated, of: %s (default: all)' % ', '.join(SETS))
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
    print(lines[0], flush=True)
    for name in sets:
        if name == 'mit':
            got = run_mit(args, airm, os.path.join(work, name))
        else:
            got = run_incidents(args, airm, os.path.join(work, name), name.partition('-')[2] or None)
        if got is None:
            continue
        report['sets'][name], set_lines = got
        lines += [''] + set_lines
        print('\n'.join([''] + set_lines), flush=True)  # each set as it ends: a run takes a while
        if args.json:
            write_json(args.json, report)
    if not report['sets']:
        sys.exit('quality: nothing measured: the shared data of every chosen set is absent')
    report['seconds_total'] = round(time.monotonic() - start, 1)
    lines += ['', 'total %.1f s' % report['seconds_total']]
    report['table'] = '\n'.join(lines)
    print(lines[-1])
    if args.json:
        write_json(args.json, report)


def write_json(path, report):
    with open(path + '.tmp', 'w', encoding='utf-8') as f:
        json.dump(report, f, indent=1)
        f.write('\n')
    os.replace(path + '.tmp', path)


if __name__ == '__main__':
    main()
