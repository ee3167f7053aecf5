#!/usr/bin/env python3
"""Build the zh/en message catalogues: extract, fill, compile, check (or all)."""
import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POT = HERE / "messages.pot"
LOCALES = ("zh", "en")
# Our app uses _/gettext/lazy_gettext/_l and display_name (models' __str__); FAB also uses __ and
# lazy_formatter_gettext.
KEYWORDS = ["-k", "lazy_gettext", "-k", "_l", "-k", "__", "-k", "lazy_formatter_gettext", "-k", "display_name"]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")


def pkg_dir(name):
    """Installed package directory, found without importing the package."""
    return Path(importlib.util.find_spec(name).submodule_search_locations[0])


FAB, WTFORMS = pkg_dir("flask_appbuilder"), pkg_dir("wtforms")


def po_path(locale):
    """Path of our catalogue for a locale."""
    return HERE / locale / "LC_MESSAGES" / "messages.po"


def load(path):
    """Read a .po/.pot file."""
    with open(path, "rb") as f:
        return read_po(f)


def save(catalog, path):
    """Write a .po/.pot file."""
    with open(path, "wb") as f:
        write_po(f, catalog, ignore_obsolete=True)


def pybabel(*args, cwd=ROOT):
    """Run pybabel from this interpreter, so no activated venv is needed."""
    cmd = [sys.executable, "-m", "babel.messages.frontend", "-q", *map(str, args)]
    if subprocess.run(cmd, cwd=cwd).returncode:
        sys.exit(f"pybabel {args[0]} failed (see above); a half-written file under app/ "
                 "is the usual cause of extract failures")


def key(msg):
    """Singular msgid (the lookup key for plural entries too)."""
    return msg.id[0] if isinstance(msg.id, tuple) else msg.id


def strings(msg):
    """All msgstr forms of an entry as a tuple."""
    return msg.string if isinstance(msg.string, tuple) else (msg.string,)


def signature(catalog):
    """What matters in a .pot: msgids with their locations, flags and comments."""
    return [(m.id, m.context, m.locations, sorted(m.flags), m.auto_comments) for m in catalog if m.id]


def extract():
    """Extract app, FAB and WTForms msgids into messages.pot and update zh/en."""
    # (cwd, mapping, input): app paths are relative to the project root (babel skips
    # .venv as a dot-dir); packages run from site-packages so locations stay relative.
    sources = [(ROOT, HERE / "babel.cfg", ".")]
    sources += [(pkg.parent, HERE / "babel_deps.cfg", pkg.name) for pkg in (FAB, WTFORMS)]
    with tempfile.TemporaryDirectory() as tmp:
        pot = None
        for i, (cwd, mapping, src) in enumerate(sources):
            out = Path(tmp, f"{i}.pot")
            pybabel("extract", "-F", mapping, *KEYWORDS, "-o", out, src, cwd=cwd)
            part = load(out)
            if pot is None:
                pot = part
            else:
                for msg in part:
                    if msg.id:
                        pot[msg.id] = msg  # merges locations of duplicate msgids
        # Keep the old .pot when only its date would change, so a rerun leaves git clean.
        if not POT.exists() or signature(load(POT)) != signature(pot):
            save(pot, POT)
    for locale in LOCALES:
        pybabel("update", "-i", POT, "-d", HERE, "-l", locale, "--init-missing",
                "--no-fuzzy-matching", "--ignore-obsolete")


def fill():
    """Fill msgstrs: CJK msgids from themselves, English ones from FAB/JSON."""
    fab_zh = {key(m): m.string for m in load(FAB / "translations/zh/LC_MESSAGES/messages.po")
              if m.id and all(strings(m)) and not m.fuzzy}
    zh_fab = json.loads((HERE / "zh_fab.json").read_text(encoding="utf-8"))
    en_app = json.loads((HERE / "en_app.json").read_text(encoding="utf-8"))
    for locale in LOCALES:
        catalog = load(po_path(locale))
        catalog.fuzzy = False  # a fuzzy header makes pybabel compile skip the file
        for msg in catalog:
            if not msg.id:
                continue
            if msg.fuzzy:  # never trust a fuzzy guess; refill it from our sources
                msg.string = ("",) * len(strings(msg)) if msg.pluralizable else ""
                msg.flags.discard("fuzzy")
            chinese = bool(CJK.search(key(msg)))
            if locale == "zh":
                # zh_fab.json wins over FAB so we can correct FAB's weaker translations.
                text = msg.id if chinese else zh_fab.get(key(msg)) or fab_zh.get(key(msg))
            else:
                text = en_app.get(key(msg)) if chinese else msg.id
            if not text:
                continue  # keep whatever translation the catalogue already has
            if msg.pluralizable and isinstance(text, str):
                text = (text,) * catalog.num_plurals
            msg.string = text
        save(catalog, po_path(locale))
    zh_empty = [m.id for m in load(po_path("zh")) if m.id and not all(strings(m))]
    en_missing = [key(m) for m in load(po_path("en"))
                  if m.id and CJK.search(key(m)) and not all(strings(m))]
    print(f"zh: {len(zh_empty)} entries still empty" + "".join(f"\n  {i!r}" for i in zh_empty))
    print(f"en: {len(en_missing)} Chinese msgids lack an English translation "
          "(add them to translations/en_app.json):")
    for msgid in en_missing:
        print(f"  {json.dumps(msgid, ensure_ascii=False)}: \"\",")


def compile_():
    """Compile zh/en .po into .mo."""
    for locale in LOCALES:
        pybabel("compile", "-d", HERE, "-l", locale)


def check():
    """Exit non-zero if any zh/en entry is empty, fuzzy or loses a placeholder."""
    problems = []
    for locale in LOCALES:
        catalog = load(po_path(locale))
        if catalog.fuzzy:
            problems.append(f"{locale}: header is fuzzy")
        for msg in catalog:
            if not msg.id:
                continue
            wanted = sorted(PLACEHOLDER.findall(key(msg)))
            if msg.fuzzy:
                problems.append(f"{locale}: fuzzy: {msg.id!r}")
            elif not all(strings(msg)):
                problems.append(f"{locale}: empty: {msg.id!r}")
            elif any(sorted(PLACEHOLDER.findall(s)) != wanted for s in strings(msg)):
                problems.append(f"{locale}: placeholders differ: {msg.id!r} -> {msg.string!r}")
    print("\n".join(problems) or "check: all zh/en entries translated")
    if problems:
        sys.exit(1)


def main():
    """Parse the subcommand and run it."""
    steps = {"extract": [extract], "fill": [fill], "compile": [compile_], "check": [check],
             "all": [extract, fill, compile_, check]}
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=steps)
    for step in steps[parser.parse_args().command]:
        step()


if __name__ == "__main__":
    main()
