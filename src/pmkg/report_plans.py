"""The reports: which canned queries each section shows, and the sentences written from their results.

Every number in a generated sentence is read from a canned-query result and the
sentence names that call (``Sentence.source``), so it can be checked by running it.
"""

from __future__ import annotations

import re

from pmkg.catalogue import QuerySpec
from pmkg.output import short
from pmkg.query import Result, iri, term_text
from pmkg.report import (
    Chart,
    Figure,
    Report,
    ReportPlan,
    Run,
    Runner,
    Section,
    SectionOut,
    Sentence,
    Table,
    call_text,
)

EU = "eu"
TYPOLOGY = {"PI": "public institution (PI)", "RTO": "research and technology organisation (RTO)",
            "SME": "small or medium-sized enterprise (SME)"}
HIDDEN_FACTS = {"rdf:type", "rdfs:label", "pm:about"}


def _enum_values(catalogue: dict[str, QuerySpec], query: str, param: str) -> list[str]:
    spec = catalogue.get(query)
    found = [p for p in spec.params if p.name == param] if spec else []
    return [str(v) for v in (found[0].values or [])] if found else []


def _by_database(query: str) -> tuple[Run, ...]:
    return tuple(Run((query,), {"database": db}, label) for db, label in (("wos", "Web of Science"),
                                                                           ("cnki", "CNKI")))


TIES = (Run(("cross-border-ties",), label="cross-border ties"),
        Run(("clinical-partners",), label="clinical partnership"),
        Run(("industry-collaborators",), label="industry partnership"))
COUNTRY_CHART = Chart("bars", ("country",), "actors", "region", title="actors per country")
FUNDER_CHART = Chart("bars", ("funder_name",), "count")
INSTITUTION_CHART = Chart("bars", ("institution_name",), "count")


def _about_subject(runs: tuple[Run, ...]) -> tuple[Run, ...]:
    return tuple(Run(r.queries, r.params, r.label, subject=True) for r in runs)


def _records(result: Result | None) -> list[dict[str, str]]:
    return [{k: v or "" for k, v in r.items()} for r in result.records()] if result else []


def _int(text: str) -> int:
    try:
        return int(float(text))
    except ValueError:
        return 0


# --- landscape ---------------------------------------------------------------------------------------

def _landscape(catalogue: dict[str, QuerySpec], params: dict[str, str]) -> list[Section]:
    kinds = _enum_values(catalogue, "actor-counts", "kind")
    by_kind = tuple(Run(("actor-counts",), {"by": "region", "kind": k}, k) for k in kinds)
    return [
        Section("regions", "Actors by region", "Distinct actors per region (an actor in two places counts in each). "
                "The EU follows causio-2023's grouping: the United Kingdom counts as EU, as it was a member when "
                "the IC2PerMed project began.", (Run(("actor-counts",), {"by": "region"}),)),
        Section("countries", "Actors by country", "Actors per country, every region; bars coloured by region.",
                (Run(("actor-counts",), {"by": "country"}, "actors per country"),), chart=COUNTRY_CHART),
        Section("types", "Actors by typology", "The IC2PerMed typology of causio-2023: PI, RTO, SME.",
                (Run(("actor-counts",), {"by": "type"}),)),
        Section("kinds", "Actors by kind", "Kinds of organisation, orthogonal to the typology; per region.",
                by_kind or (Run(("actor-counts",), {"by": "region", "kind": "cluster"}, "cluster"),),
                layout="pivot", pivot_label="kind"),
        Section("funders", "Top funders", "Funders of China's precision-medicine papers (au-2023 Tables 1 and 3), "
                "Web of Science and CNKI side by side, sorted by papers.",
                _by_database("top-funders"), chart=FUNDER_CHART, layout="side-by-side"),
        Section("institutions", "Top institutions", "Institutions by papers (au-2023 Tables 2 and 4), Web of "
                "Science and CNKI side by side, sorted by papers.",
                _by_database("top-institutions"), chart=INSTITUTION_CHART, layout="side-by-side"),
        Section("publications", "Publication numbers", "Yearly counts and growth rates as au-2023 states them; "
                "CNKI gives only a total for 2012–2019, shown next to the Web of Science total.",
                (Run(("publication-trends",)),), chart="trends"),
        Section("policies", "Policy timeline", "Policies, plans, laws and guidelines by date of issue.",
                (Run(("policies",)),), chart="timeline"),
        Section("network", "Collaboration network",
                "Actors (and places, where a query ties an actor to a place) as nodes coloured by region; ties "
                "coloured by their kind, cross-border ties drawn thick.", TIES, chart="network"),
        Section("partners", "Chinese partners for EU clusters", "Suggested partners, with the reasons.",
                (Run(("chinese-partners-of-eu-clusters",), {"limit": "3"}, "top 3 per cluster"),)),
        Section("actors", "Appendix: all actors", "Every actor with its typology, kinds, place, region and website.",
                (Run(("actors",)),)),
        Section("sources", "Appendix: sources", "The source documents behind the graph.",
                (Run(("sources", "documents")),)),
        Section("conflicts", "Appendix: conflicts", "Where sources disagree; both claims are kept.",
                (Run(("conflicts",)),)),
    ]


def _top(runner: Runner, query: str, params: dict[str, str], label: str) -> tuple[str, int, int] | None:
    """(name, count, rows) of the row with the largest count."""
    rows = _records(runner.result(query, params))
    if not rows:
        return None
    best = max(rows, key=lambda r: (_int(r.get("count", "0")), -rows.index(r)))
    return best.get(label, ""), _int(best.get("count", "0")), len(rows)


def landscape_summary(runner: Runner, report: Report) -> list[Sentence]:
    out: list[Sentence] = []
    regions = {r["region"]: _int(r["actors"]) for r in _records(runner.result("actor-counts", {"by": "region"}))}
    if regions:
        named = [(k, regions[k]) for k in ("China", "European Union", "United States") if k in regions]
        others = sum(v for k, v in regions.items() if k not in dict(named))
        parts = ", ".join(f"{v} in {'the ' if k != 'China' else ''}{k}" for k, v in named)
        out.append(Sentence(f"The graph places its actors {parts} and {others} elsewhere (an actor in two places "
                            "counts in each; the EU includes the United Kingdom, as causio-2023 groups it).",
                            call_text("actor-counts", {"by": "region"})))
    for db, name in (("wos", "Web of Science"), ("cnki", "CNKI")):
        top = _top(runner, "top-funders", {"database": db}, "funder_name")
        if top:
            out.append(Sentence(f"In {name}, the largest funder of China's precision-medicine papers is {top[0]} "
                                f"with {top[1]} papers (of the {top[2]} funders au-2023 ranks).",
                                call_text("top-funders", {"database": db})))
    inst = _records(runner.result("top-institutions", {"database": "wos"}))
    cas = next((r for r in inst if r.get("institution", "").endswith("/chinese-academy-of-sciences")), None)
    if cas and inst:
        total = sum(_int(r["count"]) for r in inst)
        share = 100 * _int(cas["count"]) / total if total else 0
        out.append(Sentence(f"The Chinese Academy of Sciences ranks {cas['rank']} among the {len(inst)} Web of Science "
                            f"institutions with {cas['count']} papers, {share:.1f}% of the {total} papers those "
                            "institutions account for together.", call_text("top-institutions", {"database": "wos"})))
    trend = [r for r in _records(runner.result("publication-trends")) if r["from"] == r["to"] and r["count"]
             and r["scope"] == "China"]
    if len(trend) >= 2:
        trend.sort(key=lambda r: r["from"])
        first, last = trend[0], trend[-1]
        out.append(Sentence(f"China's yearly Web of Science papers rose from {first['count']} in {first['from']} to "
                            f"{last['count']} in {last['to']}.", call_text("publication-trends", {})))
    ties = _records(runner.result("cross-border-ties", {"from": "china", "to": EU}))
    if ties:
        pairs = {(r["fromActor"], r["toActor"]) for r in ties}
        eu = {r["toActor"] for r in ties}
        out.append(Sentence(f"{len(ties)} documented ties link {len({p[0] for p in pairs})} Chinese actors with "
                            f"{len(eu)} actors in the EU ({len(pairs)} distinct pairs).",
                            call_text("cross-border-ties", {"from": "china", "to": EU})))
    policies = _records(runner.result("policies"))
    if policies:
        years = sorted(r["date"][:4] for r in policies if r["date"][:4].isdigit())
        span = f", issued {years[0]}–{years[-1]}" if years else ""
        out.append(Sentence(f"{len({r['policy'] for r in policies})} policies are recorded{span}.",
                            call_text("policies", {})))
    conflicts = _records(runner.result("conflicts"))
    if conflicts:
        out.append(Sentence(f"The sources disagree in {len({r['conflict'] for r in conflicts})} recorded conflicts; "
                            "both claims are kept.", call_text("conflicts", {})))
    return out


# --- actor profile -----------------------------------------------------------------------------------

def _article(text: str) -> str:
    return ("an " if text[:1].lower() in "aeiou" else "a ") + text


def _profile(out: SectionOut, runner: Runner) -> None:
    """The identity row in words."""
    table = out.tables[0]
    if not table.result or not table.result.rows:
        return
    rec = {k: v or "" for k, v in table.result.records()[0].items()}
    types = [TYPOLOGY.get(t.strip(), t.strip()) for t in rec.get("type", "").split(",") if t.strip()]
    what = " and ".join(types) or "an organisation"
    text = f"{rec['label']} is {_article(what) if types else what}"
    if rec.get("kinds"):
        kinds = [k.strip() for k in rec["kinds"].split(",")]
        text += " — " + (" and ".join(kinds) if len(kinds) < 3 else ", ".join(kinds[:-1]) + " and " + kinds[-1])
        text += " —" if rec.get("place") else ""
    if rec.get("place"):
        region = f", {rec['region']}" if rec.get("region") not in ("", rec["place"]) else ""
        text += f"{'' if rec.get('kinds') else ','} located in {rec['place']}{region}"
    out.words.append(Sentence(text + ".", table.call))
    if rec.get("websites"):
        sites = rec["websites"].split()
        out.words.append(Sentence(f"Website{'s' if len(sites) > 1 else ''}: {', '.join(sites)}.", table.call))


def _predicate_labels(runner: Runner, iris: set[str]) -> dict[str, str]:
    """English labels of the predicates (from the ontologies in the graph); presentation only."""
    if not iris:
        return {}
    values = " ".join(term_text(iri(i)) for i in sorted(iris))
    text = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?p (SAMPLE(?l) AS ?label) WHERE { "
            f"VALUES ?p {{ {values} }} ?p rdfs:label ?l FILTER(LANG(?l) = 'en' || LANG(?l) = '') }} GROUP BY ?p")
    rows = runner.backend.select(text).rows
    return {r[0].text: r[1].text for r in rows if r[0] is not None and r[1] is not None}


PREDICATE_WORDS = {"skos:altLabel": "also known as", "dcterms:description": "description",
                   "skos:editorialNote": "curator's note", "schema:url": "website", "pm:formerName": "former name",
                   "rdfs:label": "name", "pm:rorId": "ROR id", "skos:exactMatch": "same as (registry record)",
                   "pm:wikidataId": "Wikidata id", "org:subOrganizationOf": "part of",
                   "pm:subOrganisationOf": "part of"}


def _words(curie: str) -> str:
    """``pm:locatedIn`` -> ``located in``: the local name in words, when no label is known."""
    local = curie.split(":", 1)[-1]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", local).lower()


def _facts(out: SectionOut, runner: Runner) -> None:
    """Provenance rows as facts in words (property label, value), the sources as numbered footnotes."""
    table = out.tables[0]
    result = table.result
    if result is None:
        return
    recs = result.records()
    iris = {r["predicate"] for r in recs if r["predicate"]}
    labels = _predicate_labels(runner, iris)
    notes: dict[str, int] = {}
    rows: dict[tuple[str, str], list[str]] = {}
    for rec, raw in zip(recs, result.rows, strict=True):
        pred = short(raw[result.columns.index("predicate")])
        if pred in HIDDEN_FACTS or not rec["value"]:
            continue
        subject = short(raw[result.columns.index("subject")]).split("/")[-1]
        own = (runner.subject or "").rsplit("/", 1)[-1]
        about = "" if subject == own else f" ({subject})"
        word = PREDICATE_WORDS.get(pred) or labels.get(rec["predicate"] or "") or _words(pred)
        source = f"{rec['document']}, {rec['location']}" + (f": “{rec['quote']}”" if rec.get("quote") else "")
        number = notes.setdefault(source, len(notes) + 1)
        key = (word + about, rec["value"])
        cell = rows.setdefault(key, [])
        if str(number) not in cell:
            cell.append(str(number))
    body = [[k[0], k[1], ", ".join(f"[{n}]" for n in v)] for k, v in rows.items()]
    out.tables = [Table(table.query, table.call, "", ["fact", "value", "sources"], body, None,
                        "the statements of the query in words (types and labels left out); sources are the "
                        "footnotes below", table.params)]
    out.footnotes = [f"[{n}] {s}" for s, n in notes.items()]


def _actor(catalogue: dict[str, QuerySpec], params: dict[str, str]) -> list[Section]:
    return [
        Section("identity", "Profile", "", (Run(("actors",), subject=True),), finish=_profile),
        Section("facts", "Facts and their sources", "Every fact the documents state, with numbered sources.",
                (Run(("provenance",), subject=True),), finish=_facts),
        Section("ties", "Ties", "Collaborations and partnerships that involve the actor.",
                _about_subject((*TIES, Run(("shared-partners",), label="shared partners"))), chart="network"),
        Section("hierarchy", "Place in the hierarchy", "The organisations below the actor (its parents are among "
                "the facts above).", (Run(("sub-organisations",), subject="parent"),)),
        Section("people", "People", "People with a post at the actor or below it.",
                (Run(("people",), subject="affiliation"),)),
        Section("conflicts", "Conflicting claims", "Where the sources disagree about the actor; both claims are kept.",
                (Run(("conflicts",), subject=True),)),
        Section("external-ids", "External identifiers", "Wikidata, ROR and other registry ids.",
                (Run(("external-ids",), subject=True),)),
    ]


# --- partners ----------------------------------------------------------------------------------------

def _suggestions(out: SectionOut, runner: Runner) -> None:
    table = out.tables[0]
    for rec in _records(table.result)[:5]:
        terms = rec.get("sharedTerms") and f"shared words: {rec['sharedTerms']}"
        why = rec.get("ties") or "; ".join(filter(None, (rec.get("sharedTopics"), terms)))
        desc = rec.get("description", "")
        text = f"#{rec['rank']} {rec['actorLabel']}: {why}" + (f". {desc}" if desc else "")
        out.words.append(Sentence(text, table.call))


def _partners(catalogue: dict[str, QuerySpec], params: dict[str, str]) -> list[Section]:
    return [
        Section("identity", "The cluster", "The EU cluster as the `actors` query lists it.",
                (Run(("actors",), {"kind": "cluster"}, subject=True),), finish=_profile),
        Section("suggestions", "Suggested Chinese partners", "Each suggestion with its justification: documented "
                "ties first, then text similarity, shared topics weighted by how specific they are, "
                "complementarity.",
                (Run(("chinese-partners-of-eu-clusters",), subject=True),),
                chart=Chart("bars", ("actorLabel",), "score", title="score (in the query's rank order)",
                            keep_order=True), finish=_suggestions),
        Section("ties", "The cluster's existing ties", "Collaborations the cluster already has.",
                _about_subject(TIES), chart="network"),
    ]


# --- funders (imported paper data) ------------------------------------------------------------------

def _funders(catalogue: dict[str, QuerySpec], params: dict[str, str]) -> list[Section]:
    db = f"imported:{params['source']}"
    org = params.get("org", "chinese-academy-of-sciences")
    return [
        Section("funders", "Funders of the imported papers", "Distinct papers per resolved funder.",
                (Run(("top-funders",), {"database": db}, "funders"),), chart=Chart("bars", ("funder_name",), "count",
                                                                                  top=20)),
        Section("institutions", "Institutions of the imported papers", "Distinct papers per affiliated actor.",
                (Run(("top-institutions",), {"database": db}, "institutions"),),
                chart=Chart("bars", ("institution_name",), "count", top=20)),
        Section("affiliated", "Funders of one organisation's papers", "Papers with an author affiliated to the "
                "organisation (or its sub-organisations), per funder, with their share (all imported sources).",
                (Run(("funders-of-affiliated-papers",), {"org": org}, "funders"),),
                chart=Chart("bars", ("funderLabel",), "papers", top=20)),
    ]


def funders_summary(runner: Runner, report: Report) -> list[Sentence]:
    db = f"imported:{report.params['source']}"
    out = []
    top = _top(runner, "top-funders", {"database": db}, "funder_name")
    if top:
        out.append(Sentence(f"{top[2]} resolved funders fund the imported papers; the largest is {top[0]} with "
                            f"{top[1]} papers.", call_text("top-funders", {"database": db})))
    org = report.params.get("org", "chinese-academy-of-sciences")
    rows = _records(runner.result("funders-of-affiliated-papers", {"org": org}))
    if rows:
        first = rows[0]
        out.append(Sentence(f"Of the {first['allPapers']} papers affiliated to {org}, {first['funderLabel']} funds "
                            f"{first['papers']} ({first['share']}%).",
                            call_text("funders-of-affiliated-papers", {"org": org})))
    return out


PLANS: dict[str, ReportPlan] = {
    "landscape": ReportPlan(
        "The precision-medicine landscape of China, the EU and the US",
        "Summary, key figures, actors, funders (WoS and CNKI), publications, policies, the collaboration network, "
        "partner suggestions for EU clusters, sources and conflicts.", _landscape,
        figures=(Figure("actors", "actors", "actor"), Figure("policies", "policies", "policy"),
                 Figure("EU clusters with suggestions", "chinese-partners-of-eu-clusters", "cluster",
                        {"limit": "3"}),
                 Figure("conflicts between sources", "conflicts", "conflict"),
                 Figure("EU–China ties", "cross-border-ties", "fromActor", {"from": "china", "to": EU},
                        ("toActor", "kind", "via"))),
        summary_writer=landscape_summary),
    "actor": ReportPlan("Actor profile", "One actor: profile, facts with sources, ties, hierarchy, external ids.",
                        _actor, ("entity",), "entity", "--param entity=bgi", drop_empty=True),
    "partners": ReportPlan("Partner suggestions", "Chinese partners suggested for one EU cluster, with reasons.",
                           _partners, ("cluster",), "cluster", "--param cluster=biorn", drop_empty=True),
    "funders": ReportPlan("Funders of imported papers", "Funders and institutions of imported paper records "
                          "(`pmkg import`), and the funders of one organisation's papers.", _funders,
                          ("source", "org"), None,
                          "--param source=wos-ai-diagnosis-china-283records", summary_writer=funders_summary,
                          required=("source",)),
}
