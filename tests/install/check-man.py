#!/usr/bin/env python3
"""check-man.py LIKENESS_CLI MAN_PAGE VERSION — `--help` everywhere matches the man page.

Runs `likeness-cli --help` and `likeness-cli COMMAND --help` for every
command it lists, and checks against the roff source of likeness-cli(1):

  * the commands: each has a subsection (.SS) in COMMANDS, and no other;
  * each command's usage line (likeness-cli COMMAND [OPTION…] PARAMS) matches
    the subsection's title;
  * each command's options, long and short names and the argument's name
    (--model=M): every option of --help is a .TP entry of the subsection, and
    every .TP entry of the subsection is an option of --help;
  * the global options against OPTIONS, the environment variables named in
    --help against ENVIRONMENT, the exit statuses against EXIT STATUS;
  * the version in .TH against `likeness-cli --version`;
  * groff, when installed, reads the page without a warning.
"""
import os
import re
import shutil
import subprocess
import sys

from report import report

OPTION = re.compile(r"(?:(?<=\s)|^)(?:(-[A-Za-z0-9]), )?(--[a-z0-9][a-z0-9-]*)(?:=(\S+))?")


def run(cli, *args):
    env = dict(os.environ, LC_ALL="C.UTF-8", LANGUAGE="")
    r = subprocess.run([cli, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=env, timeout=60)
    if r.returncode != 0:
        raise SystemExit(f"`likeness-cli {' '.join(args)}` exited with {r.returncode}: {r.stderr}")
    return r.stdout


def help_sections(text):
    """Splits GOption's --help into {heading: [lines]}; the usage line under 'Usage:'."""
    sections, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^(\S[^:]*):\s*(.*)$", line)
        if m and not line.startswith(" "):
            current = m.group(1)
            sections[current] = [m.group(2)] if m.group(2) else []
        elif current is not None:
            sections[current].append(line)
    return sections


def help_options(lines):
    """{--long: (short, metavar)} from the option lines of a --help section."""
    opts = {}
    for line in lines:
        m = re.match(r"^\s+((?:-[A-Za-z0-9], )?--[a-z0-9][a-z0-9-]*(?:=\S+)?)(?:\s{2,}|$)", line)
        if m:
            o = OPTION.match(m.group(1))
            opts[o.group(2)] = (o.group(1), o.group(3))
    return opts


def roff_text(s):
    """Plain text of a roff line: font escapes, \\- and quotes of macro arguments removed."""
    s = re.sub(r"^\.(B|I|BR|RB|BI|IB|IR|RI)\s+", "", s)
    s = re.sub(r"\\f[BIRP]", "", s)
    s = s.replace("\\-", "-").replace("\\e", "\\").replace("\\(mu", "×")
    s = s.replace("\\ ", " ")
    return s.replace('"', "")


def man_sections(path):
    """{SH name: {SS title or '': [.TP tag texts]}}."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    man, sh, ss, th = {}, None, "", None
    for i, line in enumerate(lines):
        if line.startswith(".TH "):
            th = line
        elif line.startswith(".SH "):
            sh = roff_text(line[4:]).strip()
            ss = ""
            man.setdefault(sh, {"": []})
        elif line.startswith(".SS ") and sh is not None:
            ss = roff_text(line[4:]).strip()
            man[sh].setdefault(ss, [])
        elif line.startswith(".TP") and sh is not None and i + 1 < len(lines):
            man[sh][ss].append(roff_text(lines[i + 1]).strip())
    return man, th


def man_options(tags):
    opts = {}
    for tag in tags:
        o = OPTION.match(tag)
        if o is None:
            opts[tag] = ("?", None)  # a .TP entry that is no option
        else:
            opts[o.group(2)] = (o.group(1), o.group(3))
    return opts


def compare(where, from_help, from_man, problems):
    for name in sorted(set(from_help) - set(from_man)):
        problems.append(f"{where}: {name} is in --help but not in the man page")
    for name in sorted(set(from_man) - set(from_help)):
        problems.append(f"{where}: {name} is in the man page but not in --help")
    for name in sorted(set(from_help) & set(from_man)):
        (hs, hm), (ms, mm) = from_help[name], from_man[name]
        if hs != ms:
            problems.append(f"{where}: {name} has short option {hs} in --help, {ms} in the man page")
        if hm != mm:
            problems.append(f"{where}: {name} takes {hm} in --help, {mm} in the man page")


def norm_usage(s):
    return " ".join(s.replace("…", "...").split())


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    cli, page, version = argv[1:]
    problems = []
    man, th = man_sections(page)
    for sh in ("COMMANDS", "OPTIONS", "ENVIRONMENT", "EXIT STATUS"):
        if sh not in man:
            problems.append(f"the man page has no {sh} section")
            man.setdefault(sh, {"": []})

    # Top level: commands, global options, exit statuses.
    top = run(cli, "--help")
    sec = help_sections(top)
    commands = [l.split()[0] for l in sec.get("Commands", []) if l.strip()]
    if not commands:
        problems.append("likeness-cli --help lists no commands")
    man_cmds = {title.split()[0]: title for title in man["COMMANDS"] if title}
    for c in commands:
        if c not in man_cmds:
            problems.append(f"command {c} is in --help but has no subsection in the man page")
    for c in sorted(set(man_cmds) - set(commands)):
        problems.append(f"command {c} is in the man page but not in --help")
    compare("likeness-cli", help_options(sec.get("Options", [])), man_options(man["OPTIONS"][""]), problems)
    codes = set(re.findall(r"\b(\d+) (?:on|when|for)\b", " ".join(sec.get("Exit status", []))))
    man_codes = {t for t in man["EXIT STATUS"][""]}
    if not codes or codes != man_codes:
        problems.append(f"exit statuses: --help names {sorted(codes)}, the man page {sorted(man_codes)}")

    # Every command.
    envs = set()
    for c in commands:
        text = run(cli, c, "--help")
        sec = help_sections(text)
        usage = norm_usage(next((l for l in sec.get("Usage", []) if l.strip()), ""))
        if c in man_cmds:
            want = norm_usage("likeness-cli " + man_cmds[c])
            if usage != want:
                problems.append(f"{c}: the usage line is {usage!r}, the man page has {want!r}")
            compare(c, help_options(sec.get("Application Options", [])),
                    man_options(man["COMMANDS"][man_cmds[c]]), problems)
        if not help_options(sec.get("Help Options", [])).get("--help"):
            problems.append(f"{c}: --help lists no --help")
        for line in sec.get("Environment", []):
            envs |= set(re.findall(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", line))
    man_envs = set(man["ENVIRONMENT"][""])
    if not envs or envs != man_envs:
        problems.append(f"environment: --help names {sorted(envs)}, the man page {sorted(man_envs)}")

    # Version.
    out = run(cli, "--version")
    if not out.startswith(f"likeness-cli {version} "):
        problems.append(f"likeness-cli --version says {out.strip()!r}, the project is {version}")
    if th is None or f'"Likeness {version}"' not in th:
        problems.append(f"the man page's .TH does not name Likeness {version}: {th}")

    # The page itself.
    groff = shutil.which("groff")
    if groff:
        r = subprocess.run([groff, "-man", "-ww", "-z", "-Tutf8", page],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0 or r.stderr.strip():
            problems.append(f"groff warns about the man page: {r.stderr.strip()}")

    return report(problems,
                  f"likeness-cli(1): {len(commands)} commands, their options, environment and exit statuses match --help")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
