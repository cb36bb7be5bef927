#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# spec_check.py SPEC HEADER RST [SCHEMA]: the YNL spec agrees with the uapi
# header and the API page.
#  - with SCHEMA: the spec validates against the kernel's YNL schema;
#  - every operation, attribute and enum entry of the spec, under its C name
#    (name-prefix + NAME, '-' -> '_'), has the same value in HEADER (values
#    read by compiling a program that includes it);
#  - every operation (VERSION_GET), attribute and enum entry is written
#    ``so`` in RST, alone (``FALLBACK_NHID``) or as the end of its C name
#    (``VPNECMP_A_SIGNAL_UP``).
# Prints one line per problem; exits 1 if there is any.

import os
import re
import subprocess
import sys
import tempfile

import yaml


def c_name(prefix, name):
    return (prefix + name).upper().replace("-", "_")


def header_values(header, names):
    """The values of NAMES in HEADER, by the C compiler."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "v.c")
        # One program prints every value; names the compiler does not know
        # are taken out and it is compiled again.
        with open(src, "w") as f:
            f.write("#include <stdio.h>\n#include \"%s\"\n"
                    "int main(void) {\n" % os.path.abspath(header))
            for n in names:
                f.write('printf("%s %%lld\\n", (long long)(%s));\n' % (n, n))
            f.write("return 0;\n}\n")
        exe = os.path.join(tmp, "v")
        r = subprocess.run(["cc", "-o", exe, src], capture_output=True, text=True,
                           env=dict(os.environ, LC_ALL="C"))
        missing = set()
        if r.returncode:
            for n in names:
                if f"'{n}' undeclared" in r.stderr:
                    missing.add(n)
            if not missing:
                sys.exit(r.stderr)
            return header_values(header, [n for n in names if n not in missing]) | \
                {n: None for n in missing}
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
        return {line.split()[0]: int(line.split()[1]) for line in out.splitlines()}


def main():
    spec_path, header, rst = sys.argv[1:4]
    spec = yaml.safe_load(open(spec_path))
    problems = []
    if len(sys.argv) > 4:
        import jsonschema
        schema = yaml.safe_load(open(sys.argv[4]))
        try:
            jsonschema.validate(spec, schema)
        except jsonschema.ValidationError as e:
            problems.append(f"schema: {e.message}")

    want = {}		# C name -> value the spec gives it
    doc = set()		# words the page must show
    ops = spec["operations"]
    value = 0
    for op in ops["list"]:
        value = op.get("value", value)
        want[c_name(ops.get("name-prefix", ""), op["name"])] = value
        if op["name"] != "unspec":
            doc.add(op["name"].upper().replace("-", "_"))
        value += 1
    for aset in spec["attribute-sets"]:
        value = 0
        for a in aset["attributes"]:
            value = a.get("value", value)
            want[c_name(aset["name-prefix"], a["name"])] = value
            if a["type"] not in ("unused", "pad"):
                doc.add(a["name"].upper().replace("-", "_"))
            value += 1
    for d in spec.get("definitions", []):
        if d["type"] == "const":
            want[c_name(spec["name"] + "-", d["name"])] = d["value"]
        elif d["type"] == "enum":
            prefix = d.get("name-prefix", f"{spec['name']}-{d['name']}-")
            for i, e in enumerate(d["entries"]):
                name = e if isinstance(e, str) else e["name"]
                want[c_name(prefix, name)] = i
                doc.add(name.upper().replace("-", "_"))

    got = header_values(header, sorted(want))
    for name, v in sorted(want.items()):
        if got.get(name) is None:
            problems.append(f"{name}: in the spec, not in {header}")
        elif got[name] != v:
            problems.append(f"{name}: {v} in the spec, {got[name]} in {header}")

    text = open(rst).read()
    for word in sorted(doc):
        # ``FALLBACK_NHID`` or a full C name ending in it
        if not re.search(r"``([A-Z0-9_]*_)?%s``" % word, text):
            problems.append(f"``{word}``: in the spec, not in {rst}")

    for p in problems:
        print(p)
    print(f"# {len(want)} names checked against the header, {len(doc)} against the page")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
