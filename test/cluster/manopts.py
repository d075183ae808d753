#!/usr/bin/python3
"""Check a man page against the program it documents.

usage: manopts.py [--pending NAME]... SOURCE.c HELP.txt PAGE.txt

SOURCE.c: the C file with the program's getopt_long table and optstring;
HELP.txt: the program's --help output; PAGE.txt: the man page rendered as
plain text (man -l, LC_ALL=C, col -bx).  Fails (exit 1, one line per
problem) when
  - an option the program accepts (table or optstring) is not in --help,
  - an option the program accepts is not a tag of the page's OPTIONS, or a
    short and long option that go together in the program are not in one tag,
  - a tag of OPTIONS names an option the program does not accept,
  - a FANSTORE_* variable in --help is not a tag of ENVIRONMENT, or one in
    ENVIRONMENT is named neither in --help nor in SOURCE.c,
  - an exit status --help gives is not a tag of EXIT STATUS,
  - a section a page must have is missing.
--pending NAME: an option or variable documented ahead of the change that
adds it to the program; its absence from the program is a note, not a
failure (once the program has it, it is checked like any other).
"""
import re, sys

SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT", "EXIT STATUS",
            "EXAMPLES", "SEE ALSO"]
OPT = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[A-Za-z])(?![\w-])")
VAR = re.compile(r"\bFANSTORE_[A-Z_]+\b")


def source_options(text):
    """(set of options, list of (short, long) pairs) from the C source."""
    longs = {}
    for name, val in re.findall(r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*\w+_argument\s*,'
                                r'\s*(?:NULL|0)\s*,\s*([^}\s]+)\s*\}', text):
        longs["--" + name] = val
    m = re.search(r'getopt_long\s*\([^;]*?"([^"]*)"', text, re.S)
    if not m:
        raise SystemExit("manopts: no getopt_long optstring found")
    shorts = {"-" + c for c in m.group(1) if c.isalnum()}
    pairs = []
    for lo, val in longs.items():
        if re.fullmatch(r"'[A-Za-z0-9]'", val) and "-" + val[1] in shorts:
            pairs.append(("-" + val[1], lo))
    return set(longs) | shorts, pairs


def sections(page):
    """Section title -> its lines, from a rendered page."""
    out, cur = {}, None
    for line in page.splitlines():
        if line and not line[0].isspace():
            cur = line.strip()
            out.setdefault(cur, [])
        elif cur is not None:
            out[cur].append(line)
    return out


def tags(lines):
    """The tag lines of .TP paragraphs: indented 7 columns, body at 14."""
    return [l.strip() for l in lines if re.match(r"^ {7}\S", l)]


def main(argv):
    pending = set()
    while argv and argv[0] == "--pending":
        pending.add(argv[1])
        argv = argv[2:]
    if len(argv) != 3:
        raise SystemExit(__doc__)
    src, helptext, page = (open(p, encoding="utf-8", errors="replace").read() for p in argv)
    accepted, pairs = source_options(src)
    sec = sections(page)
    bad, notes = [], []

    for s in SECTIONS:
        if s not in sec:
            bad.append("page: no section %s" % s)
    in_help = set(OPT.findall(helptext))
    for o in sorted(accepted - in_help):
        bad.append("%s: accepted by the program, not in --help" % o)

    opt_tags = [set(OPT.findall(t)) for t in tags(sec.get("OPTIONS", []))]
    documented = set().union(*opt_tags) if opt_tags else set()
    for o in sorted(accepted - documented):
        bad.append("%s: accepted by the program, not in the man page's OPTIONS" % o)
    for o in sorted(documented - accepted):
        (notes if o in pending else bad).append(
            "%s: in the man page's OPTIONS, not accepted by the program" % o)
    for s, lo in pairs:
        if not any(s in t and lo in t for t in opt_tags):
            bad.append("%s, %s: one option in the program, not one tag in the man page" % (s, lo))

    env_tags = set()
    for t in tags(sec.get("ENVIRONMENT", [])):
        env_tags |= set(VAR.findall(t))
    help_vars = set(VAR.findall(helptext))
    for v in sorted(help_vars - env_tags):
        bad.append("%s: in --help, not in the man page's ENVIRONMENT" % v)
    for v in sorted(env_tags - help_vars):
        if not re.search(r'"' + v + r'"|\b' + v + r'\b', src):
            (notes if v in pending else bad).append(
                "%s: in the man page's ENVIRONMENT, not in --help nor the program" % v)

    m = re.search(r"exit status:(.*?)(?:\n\n|\Z)", helptext, re.S | re.I)
    if m:
        codes = set(re.findall(r"\b(\d+)\b", m.group(1))) - {"128"}
        exit_tags = {t.split()[0] for t in tags(sec.get("EXIT STATUS", [])) if t}
        for c in sorted(codes - exit_tags):
            bad.append("exit status %s: in --help, not in the man page's EXIT STATUS" % c)

    for n in notes:
        print("note: " + n + " (pending)")
    for b in bad:
        print("FAIL: " + b)
    if not bad:
        print("ok: %d option names, %d variables, each on both sides" %
              (len(accepted), len(env_tags)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
