"""Done criterion of issue 5 on the real WoS export (read from ../shared, never copied):
funder counts of CAS-affiliated papers computed from the graph equal an independent
count made here from the raw records with a simple regex pass over C1/C3 and FU."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from test_import_support import SHARED_BIBLIO, import_project, import_template  # noqa: F401

from pmkg.importers.run import import_files
from pmkg.query import EmbeddedBackend
from pmkg.store import open_store

AI_FILE = SHARED_BIBLIO / "wos-ai-diagnosis-china-283records.txt"
ACTOR = "https://w3id.org/pmkg/id/actor/"
PROG = "https://w3id.org/pmkg/id/programme/"
pytestmark = pytest.mark.skipif(not AI_FILE.is_file(), reason="../shared/data/biblio not present")

# what each funder is called in FU text, written independently of the resolver
FUNDER_PATTERNS = {
    # the short form "Natural Science Foundation of China" is the NSFC when it opens a funder entry
    # (a provincial foundation puts its province first); one record has grant 12071380 under it
    ACTOR + "nsfc": r"National Natural Science Foundation of China|\bNSFC\b"
                    r"|(?:^|; )Natural Science Foundation of China",
    # one record writes "Pro-gram"
    PROG + "national-key-rd-program": r"National Key (?:R&D|Research and Development) Pro-?gram",
    ACTOR + "china-postdoctoral-science-foundation": r"China Postdoctoral Science Foundation",
    ACTOR + "fundamental-research-funds-for-the-central-universities": r"Fundamental Research Funds for the Central",
}
FUNDER_PATTERNS[PROG + "fundamental-research-funds-for-the-central-universities"] = \
    FUNDER_PATTERNS.pop(ACTOR + "fundamental-research-funds-for-the-central-universities")


def raw_records(path: Path) -> list[dict[str, str]]:
    """Tag -> text (continuation lines joined) per record: a plain regex pass, no importer code."""
    text = path.read_text(encoding="utf-8-sig")
    records = []
    for block in re.split(r"(?m)^ER\s*$", text):
        fields: dict[str, list[str]] = {}
        tag = None
        for line in block.splitlines():
            match = re.match(r"^([A-Z][A-Z0-9]) (.*)$", line)
            if match:
                tag = match.group(1)
                fields.setdefault(tag, []).append(match.group(2))
            elif line.startswith("   ") and tag:
                fields[tag].append(line.strip())
        if "UT" in fields:
            records.append({k: "\n".join(v) for k, v in fields.items()})
    return records


def cas_affiliated(record: dict[str, str]) -> bool:
    """WoS writes CAS and its institutes as "Chinese Acad Sci, <institute>" in C1; its
    organisation-enhanced list (C3) names "Chinese Academy of Sciences" for them and for its universities."""
    c1 = any(re.search(r"(?:^|\] |, )Chinese Acad Sci(?:,|$)", line) for line in record.get("C1", "").splitlines())
    c3 = re.search(r"(?:^|; )Chinese Academy of Sciences(?:;|$)", record.get("C3", "").replace("\n", " "))
    return c1 or bool(c3)


def independent_counts(path: Path) -> tuple[int, Counter[str]]:
    papers, counts = 0, Counter()
    for record in raw_records(path):
        if not cas_affiliated(record):
            continue
        papers += 1
        fu = record.get("FU", "").replace("\n", " ")
        for funder, pattern in FUNDER_PATTERNS.items():
            if re.search(pattern, fu):
                counts[funder] += 1
    return papers, counts


QUERY = """PREFIX pm: <https://w3id.org/pmkg/ontology#>
SELECT ?funder (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
  GRAPH <https://w3id.org/pmkg/id/document/import-ai> { ?paper a pm:Publication }
  ?paper pm:affiliatedActor/pm:subOrganisationOf* <https://w3id.org/pmkg/id/actor/chinese-academy-of-sciences> .
  OPTIONAL { ?funder pm:funds ?paper }
} GROUP BY ?funder"""


def test_cas_funder_counts_match_an_independent_count(import_project: Path) -> None:  # noqa: F811
    report = import_files("wos", [AI_FILE], dist=import_project / "dist", imports=import_project / "imports",
                          source_id="ai")
    assert (report.read, report.imported, report.skipped) == (283, 283, 0)
    rows = EmbeddedBackend(open_store(import_project / "dist")).select(QUERY).rows
    graph = {row[0].text if row[0] else None: int(row[1].text) for row in rows}
    expected_papers, expected = independent_counts(AI_FILE)
    cas_papers = EmbeddedBackend(open_store(import_project / "dist")).select(
        QUERY.replace("?funder (COUNT", "(COUNT").replace("OPTIONAL { ?funder pm:funds ?paper }", "")
        .replace("GROUP BY ?funder", "")).rows[0][0].text
    assert int(cas_papers) == expected_papers
    assert {f: graph.get(f, 0) for f in FUNDER_PATTERNS} == dict(expected)
    assert expected[ACTOR + "nsfc"] > 30  # the check is not vacuous
