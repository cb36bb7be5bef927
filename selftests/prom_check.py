#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Strict check of the Prometheus text exposition format (version 0.0.4).

prom_check.py [-l NAME=VALUE]... FILE [QUERY...]

Validates FILE and exits 1 with one message per problem:
  - every line is "# HELP name text", "# TYPE name type" or a sample
    "name{label="value",...} value"; no other comments, no blank lines;
  - metric and label names match the format's grammar; label values use
    only the escapes \\\\, \\" and \\n; no label name twice in a sample;
  - every family has exactly one HELP and one TYPE, both before its first
    sample, and its samples are contiguous (a family never reappears);
  - TYPE is counter, gauge or histogram; counter names end in _total;
    sample names equal their family's name, or for a histogram are its
    name with _bucket (with an "le" label), _sum or _count;
  - values are numbers; counters are not negative; no series (name and
    label set) appears twice; the file ends with a newline.

Each QUERY is 'name{l="v",...}' (labels in any order, a subset is not
enough: the label set must be exact); its value is printed, one per line,
or "absent".  Each -l NAME=VALUE is added to the labels of every QUERY
(e.g. the netns label of "vpnecmp -n NETNS stats prometheus").
"""
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(?:\{((?:%s=%s)(?:,%s=%s)*)?\})? (\S+)$' %
                    (NAME, LABEL, VALUE, LABEL, VALUE))
PAIR = re.compile(r'(%s)=(%s)' % (LABEL, VALUE))


def unescape(v):
    return re.sub(r'\\(.)', lambda m: '\n' if m.group(1) == 'n' else m.group(1), v[1:-1])


def parse_number(s):
    if s in ('+Inf', '-Inf', 'NaN'):
        return float(s.replace('Inf', 'inf').replace('NaN', 'nan'))
    if not re.fullmatch(r'[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?', s):
        raise ValueError(s)
    return float(s)


def check(text):
    errors = []
    series = {}
    help_, type_ = {}, {}
    done = set()
    current = None
    if text and not text.endswith('\n'):
        errors.append('no newline at the end')
    for n, line in enumerate(text.split('\n')[:-1], 1):
        where = 'line %d: ' % n
        if line.startswith('#'):
            m = re.fullmatch(r'# (HELP|TYPE) (%s) (.+)' % NAME, line)
            if not m:
                errors.append(where + 'not a HELP or TYPE line: %r' % line)
                continue
            kind, fam, arg = m.groups()
            seen = help_ if kind == 'HELP' else type_
            if fam in seen:
                errors.append(where + 'second %s for %s' % (kind, fam))
            if fam in done or (current == fam and fam in series_families):
                errors.append(where + '%s for %s after its samples' % (kind, fam))
            if kind == 'TYPE':
                if arg not in ('counter', 'gauge', 'histogram'):
                    errors.append(where + 'type %r of %s' % (arg, fam))
                elif arg == 'counter' and not fam.endswith('_total'):
                    errors.append(where + 'counter %s does not end in _total' % fam)
            seen[fam] = arg
            if current is not None and current != fam:
                done.add(current)
            current = fam
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append(where + 'not a sample: %r' % line)
            continue
        name, labels, value = m.groups()
        pairs = PAIR.findall(labels or '')
        for suffix in ('_bucket', '_sum', '_count'):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and type_.get(base) == 'histogram':
                if suffix == '_bucket' and 'le' not in [k for k, _ in pairs]:
                    errors.append(where + 'bucket without "le"')
                name = base
                break
        if name != current or name in done:
            errors.append(where + 'sample of %s outside its family' % name)
        if name not in help_ or name not in type_:
            errors.append(where + '%s has no HELP or TYPE before it' % name)
        series_families.add(name)
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            errors.append(where + 'a label twice')
        try:
            v = parse_number(value)
        except ValueError:
            errors.append(where + 'value %r is not a number' % value)
            continue
        if type_.get(name) == 'counter' and v < 0:
            errors.append(where + 'negative counter')
        key = (m.group(1), frozenset((k, unescape(x)) for k, x in pairs))
        if key in series:
            errors.append(where + 'series twice: %s' % line)
        series[key] = v
    for fam in type_:
        if fam not in help_:
            errors.append('%s has TYPE but no HELP' % fam)
    return errors, series


def query(series, q, extra):
    m = re.fullmatch(r'(%s)(?:\{(.*)\})?' % NAME, q)
    pairs = PAIR.findall(m.group(2) or '')
    key = (m.group(1), frozenset([(k, unescape(x)) for k, x in pairs] + extra))
    v = series.get(key)
    if v is None:
        return 'absent'
    return str(int(v)) if v == int(v) else str(v)


series_families = set()
if __name__ == '__main__':
    args = sys.argv[1:]
    extra = []
    while len(args) > 1 and args[0] == '-l':
        extra.append(tuple(args[1].split('=', 1)))
        args = args[2:]
    with open(args[0], encoding='utf-8') as f:
        errs, ser = check(f.read())
    for e in errs:
        print('prom_check: ' + e, file=sys.stderr)
    for q in args[1:]:
        print(query(ser, q, extra))
    sys.exit(1 if errs else 0)
