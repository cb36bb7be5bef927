#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rst_check.py FILE.rst...: parse each page with docutils as Sphinx would
see it, and print every warning or error (exit 1 if any).  The Sphinx
pieces the pages use are stood in for: literalinclude (the file must exist;
its text becomes a literal block), toctree (every entry must be a page in
the same directory) and the :doc: role (the page must exist)."""
import os
import sys

from docutils import nodes, utils
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles


class LiteralInclude(Directive):
    required_arguments = 1
    has_content = False
    option_spec = {'language': directives.unchanged}

    def run(self):
        src = self.state.document.current_source
        path = os.path.join(os.path.dirname(src), self.arguments[0])
        if not os.path.isfile(path):
            return [self.state.document.reporter.error(
                'literalinclude: no such file %s' % self.arguments[0], line=self.lineno)]
        with open(path, encoding='utf-8') as f:
            text = f.read()
        return [nodes.literal_block(text, text)]


class TocTree(Directive):
    has_content = True
    option_spec = {'maxdepth': directives.unchanged}

    def run(self):
        src = self.state.document.current_source
        out = []
        for entry in self.content:
            entry = entry.strip()
            if entry and not os.path.isfile(os.path.join(os.path.dirname(src), entry + '.rst')):
                out.append(self.state.document.reporter.error(
                    'toctree: no page %s' % entry, line=self.lineno))
        return out


def doc_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    src = inliner.document.current_source
    if not os.path.isfile(os.path.join(os.path.dirname(src), text + '.rst')):
        msg = inliner.reporter.warning(':doc: no page %s' % text, line=lineno)
        return [nodes.literal(rawtext, text)], [msg]
    return [nodes.literal(rawtext, text)], []


directives.register_directive('literalinclude', LiteralInclude)
directives.register_directive('toctree', TocTree)
roles.register_local_role('doc', doc_role)

bad = 0
for path in sys.argv[1:]:
    with open(path, encoding='utf-8') as f:
        text = f.read()
    msgs = []
    doc = publish_doctree(text, source_path=path, settings_overrides={
        'report_level': 5, 'halt_level': 5, 'warning_stream': False})
    for m in doc.findall(nodes.system_message) if hasattr(doc, 'findall') else doc.traverse(nodes.system_message):
        if m['level'] >= 2:
            print('%s:%s: %s' % (path, m.get('line', '?'), m.astext().replace('\n', ' ')))
            bad = 1
sys.exit(bad)
