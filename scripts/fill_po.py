"""Fill English msgstr entries of .po files from a glossary (scripts/en_glossary.tsv).

Usage: python scripts/fill_po.py FILE.po [...]  — entries already translated are kept.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

GLOSSARY = Path(__file__).with_name("en_glossary.tsv")


def load() -> dict[str, str]:
    table = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            zh, en = line.split("\t", 1)
            table[zh] = en
    return table


def esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def fill(path: Path, table: dict[str, str]) -> tuple[int, list[str]]:
    text = path.read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    missing, filled = [], 0
    for i, block in enumerate(blocks):
        ids = re.findall(r'^msgid "(.*)"$', block, re.M)
        ids = [i for i in ids if i]
        if not ids:
            continue
        m = re.search(r'^msgid "(.+)"$', block, re.M)
        msgid = m.group(1).replace('\\"', '"')
        en = table.get(msgid)
        if "msgid_plural" in block:
            if re.search(r'^msgstr\[0\] ""$', block, re.M):
                if en is None:
                    missing.append(msgid)
                    continue
                singular, _, plural = en.partition("|")
                block = re.sub(r'^msgstr\[0\] ""$', f'msgstr[0] "{esc(singular)}"', block, flags=re.M)
                block = re.sub(r'^msgstr\[1\] ""$', f'msgstr[1] "{esc(plural or singular)}"', block, flags=re.M)
                block = block.replace("#, fuzzy\n", "")
                filled += 1
        elif re.search(r'^msgstr ""$', block, re.M) and not re.search(r'^msgstr ""\n"', block, re.M):
            if en is None:
                missing.append(msgid)
                continue
            block = re.sub(r'^msgstr ""$', f'msgstr "{esc(en)}"', block, flags=re.M)
            block = block.replace("#, fuzzy\n", "")
            filled += 1
        blocks[i] = block
    path.write_text("\n\n".join(blocks), encoding="utf-8")
    return filled, missing


if __name__ == "__main__":
    table = load()
    for name in sys.argv[1:]:
        n, missing = fill(Path(name), table)
        print(f"{name}: {n} filled, {len(missing)} missing")
        for m in missing:
            print(f"  {m}")
