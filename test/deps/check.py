#!/usr/bin/python3
"""Check that test/deps.sh installs every program and Python module a goal uses.

usage: check.py [-v] [--drop PKG]... TOP GOAL...
  GOAL: test, bench or demo; -v: print every name found; --drop PKG: check
  as if the goal's list did not have PKG (shows that the check can fail)

For each goal, start from its files (test: test/*/t_*.sh, lib.sh, run.sh;
bench: test/bench/; demo: examples/demo.sh), follow the repository scripts
they name ($TOP/..., $(dirname "$0")/..., examples/..., test/...), and
collect:
  - programs: the first word of each command (after separators, quotes,
    keywords, assignments and wrappers such as timeout, env, xargs, exec),
    kept when it is an executable on PATH here and not a shell builtin;
  - Python modules: `import X` / `from X import` in .py files and in Python
    inside shell scripts, kept unless the repository holds X.py.
Each is mapped to the Debian package that owns it (dpkg -S), or through
test/deps.names (NAME PACKAGE, or NAME - to ignore).  A package is
installed by the goal when it is in `test/deps.sh --list GOAL`, in the
Depends closure of those, or part of every Debian system (Essential or
Priority required).  Anything else is printed, with the file that uses it,
and the exit status is 1.
"""
import glob, importlib.util, os, re, shutil, subprocess, sys

KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "in",
            "case", "esac", "function", "select", "time", "!", "{", "}", "[[", "]]"}
# words after which the next word is the command run
WRAPPERS = {"exec", "command", "env", "timeout", "nohup", "xargs", "setpriv", "unshare", "nice",
            "sudo", "stdbuf", "taskset", "chroot", "flock", "valgrind", "mpirun", "mpirun.mpich",
            "strace", "ltrace", "gdb", "runuser", "su", "sh", "bash"}
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.+-]*$")


def goal_roots(top, goal):
    if goal == "test":
        return [p for p in glob.glob(top + "/test/*/t_*.sh") if "/test/deps/" not in p] + \
            [top + "/test/lib.sh", top + "/test/run.sh"]
    if goal == "bench":
        return glob.glob(top + "/test/bench/*.sh") + glob.glob(top + "/test/bench/*.py")
    if goal == "demo":
        return [top + "/examples/demo.sh"]
    raise SystemExit("check.py: unknown goal " + goal)


def referenced(top, path, text):
    """Repository scripts a file runs or sources ($TOP/..., $(dirname "$0")/...)."""
    out = set()
    text = strip_comments(text) if path.endswith(".sh") else text
    for m in re.finditer(r"\$\{?(?:FANSTORE_)?TOP\}?/([\w./-]+)", text):
        out.add(os.path.join(top, m.group(1)))
    for m in re.finditer(r"\$\(dirname \"?\$(?:0|\{BASH_SOURCE\[0\]\})\"?\)/([\w./-]+)", text):
        out.add(os.path.join(os.path.dirname(path), m.group(1)))
    for m in re.finditer(r"(?:^|[\s\"'=(])((?:examples|test)/[\w./-]+)", text):   # from the top
        out.add(os.path.join(top, m.group(1)))
    # deps.sh and this checker name packages, not programs they run
    skip = {os.path.join(top, "test/deps.sh")} | set(glob.glob(top + "/test/deps/*"))
    return {os.path.normpath(p) for p in out
            if os.path.isfile(p) and p.endswith((".sh", ".py")) and os.path.normpath(p) not in skip}


def strip_comments(text):
    lines = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        lines.append(re.sub(r"(^|\s)#(\s.*)?$", "", line))
    return "\n".join(lines)


PY_HEREDOC = re.compile(r"<<-?\s*'?(\w+)'?[^\n]*\n(.*?)\n\s*\1(?:\n|$)", re.S)


def runs_shell(before):
    """Is a string after this text run as shell (sh -c '...', cmd='...')?"""
    return bool(re.search(r"(-c|=|eval)\s*$", before)) and \
        not re.search(r"(python3?|PY\}?\"?)\s+-c\s*$", before)


def split_shell(text):
    """(shell text with strings blanked, [shell text inside strings that run
    as commands: sh -c '...', $(...), cmd='...'])."""
    outer, inner, i, n = [], [], 0, len(text)

    def cmdsub(j):
        # text[j] is just after "$(": return the index after the matching ")"
        depth, k = 1, j
        while k < n and depth:
            c = text[k]
            if c == "\\":
                k += 2
                continue
            if c == "'":
                k = text.find("'", k + 1) + 1 or n
                continue
            if c == '"':
                k = dquote(k + 1)
                continue
            depth += c == "("
            depth -= c == ")"
            k += 1
        inner.append(text[j:k - 1])
        return k

    def dquote(j):
        # text[j] is just after an opening '"': return the index after the closing one
        k = j
        while k < n and text[k] != '"':
            if text[k] == "\\":
                k += 2
            elif text.startswith("$(", k):
                k = cmdsub(k + 2)
            else:
                k += 1
        return k + 1

    while i < n:
        c = text[i]
        if c == "\\":
            outer.append(text[i:i + 2])
            i += 2
        elif c == "'":
            j = text.find("'", i + 1)
            j = n if j < 0 else j
            if runs_shell(text[max(0, i - 40):i]):
                inner.append(text[i + 1:j])
            outer.append(" Q ")
            i = j + 1
        elif c == '"':
            j = dquote(i + 1)
            body = text[i + 1:j - 1]
            if runs_shell(text[max(0, i - 40):i]):
                inner.append(body)
            outer.append(" Q ")
            i = j
        elif text.startswith("$((", i):          # arithmetic
            j = text.find("))", i)
            i = n if j < 0 else j + 2
            outer.append(" Q ")
        elif text.startswith("$(", i):
            i = cmdsub(i + 2)
            outer.append(" Q ")
        else:
            outer.append(c)
            i += 1
    return "".join(outer), inner


def shell_commands(text, depth=0):
    text = strip_comments(text)
    shell_docs = []

    def heredoc(m):
        # Python heredocs are scanned for imports only; others are shell.
        line = m.string[m.string.rfind("\n", 0, m.start()) + 1:m.start()]
        if not re.search(r"python|\bPY\b|PY\}", line) and m.group(1) not in ("PY", "PYEOF"):
            shell_docs.append(m.group(2))
        return "\n"
    text = PY_HEREDOC.sub(heredoc, text)
    outer, inner = split_shell(text)
    words = set()
    for seg in re.split(r"[|;&()`\n{}]|\bthen\b|\bdo\b|\belse\b", outer):
        toks = seg.split()
        if toks and toks[0] in ("for", "case", "select", "in", "local", "declare", "export", "readonly", "unset", "trap", "function"):
            continue
        i, wrapped = 0, False
        while i < len(toks):
            t = toks[i]
            if t in KEYWORDS or re.match(r"^[A-Za-z_]\w*=", t):
                i += 1
                continue
            # a wrapper's options and their values (timeout -k 5 120 CMD)
            if wrapped and (t == "Q" or re.match(r"^[-<>\d]", t)):
                i += 1
                continue
            if re.match(r"^/(usr/)?s?bin/[\w.+-]+$", t):
                words.add(t)    # a system program by its path (/usr/bin/python3)
                break
            if not NAME.match(t):
                break           # "$VAR", a path, a quoted word: not a program on PATH
            words.add(t)
            if t not in WRAPPERS:
                break
            wrapped = True
            i += 1
    if depth < 4:
        for sub in inner + shell_docs:
            words |= shell_commands(sub, depth + 1)
    return words


def py_imports(text):
    mods = set()
    for m in re.finditer(r"(?m)(?:^|[;'\"]|-c\s+['\"])\s*(?:import\s+([\w.]+(?:\s*,\s*[\w.]+)*)|from\s+([\w.]+)\s+import\b)", text):
        names = m.group(1).split(",") if m.group(1) else [m.group(2)]
        for n in names:
            n = n.strip().split(".")[0]
            if n and n.isidentifier():
                mods.add(n)
    return mods


def dpkg_owner(paths):
    """path -> package for the paths dpkg knows."""
    cands = {}
    for p in paths:
        c = {p, os.path.realpath(p)}
        for x in list(c):
            if x.startswith("/usr/"):
                c.add(x[4:])
            else:
                c.add("/usr" + x)
        for x in c:
            cands.setdefault(x, set()).add(p)
    out = {}
    if not cands:
        return out
    r = subprocess.run(["dpkg", "-S"] + sorted(cands), capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if ": " not in line or line.startswith("diversion"):
            continue
        pkgs, path = line.split(": ", 1)
        for orig in cands.get(path.strip(), ()):
            out.setdefault(orig, pkgs.split(",")[0].strip().split(":")[0])
    return out


def installed_graph():
    r = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Status}\t${Essential}\t${Priority}\t"
                        "${Depends}, ${Pre-Depends}\t${Provides}\n"], capture_output=True, text=True)
    deps, base, provides = {}, set(), {}
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 6 or "install ok installed" not in f[1]:
            continue
        pkg = f[0]
        if f[2] == "yes" or f[3] == "required":
            base.add(pkg)
        alts = []
        for d in f[4].split(","):
            d = d.strip()
            if d:
                alts.append([re.split(r"[\s(:]", a.strip())[0] for a in d.split("|")])
        deps[pkg] = alts
        for pv in f[5].split(","):
            pv = re.split(r"[\s(]", pv.strip())[0]
            if pv:
                provides.setdefault(pv, []).append(pkg)
    return deps, base, provides


def closure(roots, deps, provides):
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for alts in deps.get(p, []):
            for a in alts:
                for q in [a] + provides.get(a, []):
                    if q in deps and q not in seen:
                        todo.append(q)
    return seen


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    drop = set()
    while args and args[0].startswith("-"):
        if args[0] == "--drop":
            drop.add(args[1])
            args = args[2:]
        else:
            args = args[1:]
    top, goals = os.path.abspath(args[0]), args[1:]
    names = {}
    with open(os.path.join(top, "test/deps.names")) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if len(line) >= 2:
                names[line[0]] = line[1]
    repo_mods = {os.path.splitext(os.path.basename(p))[0]
                 for p in glob.glob(top + "/**/*.py", recursive=True)}
    deps, base, provides = installed_graph()
    bad = 0
    for goal in goals:
        listed = subprocess.run([top + "/test/deps.sh", "--list", goal], capture_output=True,
                                text=True, check=True).stdout.split()
        listed = [p for p in listed if p not in drop]
        have = closure(listed, deps, provides) | set(listed)
        files, todo = set(), [os.path.normpath(p) for p in goal_roots(top, goal)]
        while todo:
            p = todo.pop()
            if p in files:
                continue
            files.add(p)
            with open(p, errors="replace") as fh:
                text = fh.read()
            todo.extend(referenced(top, p, text) - files)
        progs, mods, funcs = {}, {}, set()
        for p in sorted(files):
            with open(p, errors="replace") as fh:
                text = fh.read()
            rel = os.path.relpath(p, top)
            if p.endswith(".sh"):
                for w in shell_commands(text):
                    progs.setdefault(w, rel)
                funcs |= set(re.findall(r"(?m)^\s*(?:function\s+)?([\w.-]+)\s*\(\)", text))
            for m in py_imports(text):
                mods.setdefault(m, rel)
        need = {}   # (kind, name) -> (package or None, file)
        paths = {}
        for w, rel in progs.items():
            if w in funcs:
                continue
            if w in names:
                need[("program", w)] = (names[w], rel)
                continue
            r = subprocess.run(["bash", "--norc", "-c", 'type -t -- "$1"', "sh", w], capture_output=True,
                               text=True, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
            if r.stdout.strip() in ("builtin", "keyword", "function", "alias"):
                continue
            path = shutil.which(w, path="/usr/sbin:/usr/bin:/sbin:/bin")
            if path and not os.path.realpath(path).startswith(top + "/"):
                paths[path] = ("program", w, rel)
        for m, rel in mods.items():
            if m in names:
                need[("module", m)] = (names[m], rel)
                continue
            if m in repo_mods or m in sys.builtin_module_names:
                continue
            spec = importlib.util.find_spec(m)
            if spec is None:
                need[("module", m)] = (None, rel)
            elif spec.origin and spec.origin not in ("built-in", "frozen"):
                paths[spec.origin] = ("module", m, rel)
        owners = dpkg_owner(paths)
        for path, (kind, n, rel) in paths.items():
            need[(kind, n)] = (owners.get(path), rel)
        for (kind, n), (pkg, rel) in sorted(need.items()):
            if verbose:
                print("%s: %s %s -> %s (%s)" % (goal, kind, n, pkg, rel))
            if pkg == "-":
                continue
            if pkg is None:
                print("%s: %s %s (used by %s): no Debian package owns it here; name one in "
                      "test/deps.names" % (goal, kind, n, rel))
                bad += 1
            elif pkg not in have and pkg not in base:
                print("%s: %s %s (used by %s) needs %s, which test/deps.sh %s does not install"
                      % (goal, kind, n, rel, pkg, goal))
                bad += 1
        print("%s: %d files, %d programs, %d modules checked" % (goal, len(files), len(progs), len(mods)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
