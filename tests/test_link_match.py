"""Candidate generation, scoring, cross-checks and the review rule, on real registry excerpts.

The hand-checked list below was checked by reading each registry record against the curated actor.
"""

from __future__ import annotations

from test_link_common import FUNDERS_EXCERPT, ROR_EXCERPT, reviewed

from pmkg.link.curated import CuratedActor
from pmkg.link.funders import read_funders
from pmkg.link.match import RegistryIndex, is_acronym, normalise, propose, type_check
from pmkg.link.review import auto_review, merge
from pmkg.link.ror import read_ror

# (actor, identifier): True = the same organisation, False = a different one.
HAND_CHECKED = {
    ("nsfc", "01h0zpd94"): True, ("chinese-academy-of-sciences", "034t30j35"): True,
    ("fudan-university", "013q1eq08"): True, ("peking-university", "02v51f717"): True,
    ("bgi", "045pn2j94"): True, ("shanghai-institutes-for-biological-sciences", "011rf9d86"): True,
    ("national-research-council-italy", "04zaypm56"): True, ("wellcome-sanger-institute", "05cy4wa09"): True,
    ("nih", "01cwqze88"): True, ("china-postdoctoral-science-foundation", "0426zh255"): True,
    ("ministry-of-education", "01mv9t934"): True, ("ministry-of-science-and-technology", "027s68j25"): True,
    ("nsfc", "10.13039/501100001809"): True, ("chinese-academy-of-sciences", "10.13039/501100002367"): True,
    ("nih", "10.13039/100000002"): True, ("china-postdoctoral-science-foundation", "10.13039/501100002858"): True,
    ("ministry-of-science-and-technology", "10.13039/501100002855"): True,
    ("us-national-research-council", "10.13039/100013101"): True,
    # traps
    ("nsfc", "021nxhr62"): False, ("nsfc", "10.13039/100000001"): False, ("nsfc", "10.13039/501100008982"): False,
    ("bgi", "0155ctq43"): False, ("us-national-research-council", "04zaypm56"): False,
    ("national-research-council-italy", "10.13039/100013101"): False,
    ("us-national-research-council", "10.13039/100005187"): False,
    ("ministry-of-education", "00dh5gw98"): False, ("ministry-of-science-and-technology", "02b207r52"): False,
    ("ministry-of-science-and-technology", "10.13039/100007225"): False, ("eisai", "0469x1750"): False,
    ("ich", "01gg7gz51"): False,
}


def _all_reviewed():
    return reviewed("ror") + reviewed("funders")


def test_normalise_ignores_case_accents_ampersand_and_spelling():
    assert normalise("Beijing Municipal Science & Technology Commission") == \
        normalise("beijing municipal science and technology commission")
    assert normalise("The National Research Council") == normalise("National Research Council")
    assert normalise("Universität Tübingen") == "universitat tubingen"
    assert normalise("Shanghai Hospital Development Centre") == normalise("Shanghai Hospital Development Center")
    assert normalise("People's Hospital") == normalise("Peoples Hospital")
    assert is_acronym("NSFC") and is_acronym("CAMS") and not is_acronym("BeiGene Ltd") and not is_acronym("More")


def test_precision_on_the_hand_checked_list_is_one():
    links = _all_reviewed()
    judged = [x for x in links if (x.about, x.identifier) in HAND_CHECKED]
    accepted = [x for x in judged if x.status == "accepted"]
    rejected = [x for x in judged if x.status == "rejected"]
    assert accepted and rejected
    true_accepted = [x for x in accepted if HAND_CHECKED[(x.about, x.identifier)]]
    assert len(true_accepted) / len(accepted) == 1.0, [x.identifier for x in accepted if x not in true_accepted]
    assert all(not HAND_CHECKED[(x.about, x.identifier)] for x in rejected)
    # every true match is at least proposed, most are accepted
    found = {(x.about, x.identifier) for x in links if x.status != "rejected"}
    trues = [k for k, v in HAND_CHECKED.items() if v]
    assert all(k in found for k in trues), [k for k in trues if k not in found]
    assert len(true_accepted) >= 0.75 * len(trues)


def test_a_national_science_foundation_of_another_country_is_not_nsfc():
    links = _all_reviewed()
    nsfc = {x.identifier: x for x in links if x.about == "nsfc"}
    assert nsfc["01h0zpd94"].status == "accepted" and nsfc["10.13039/501100001809"].status == "accepted"
    for other in ("021nxhr62", "10.13039/100000001", "10.13039/501100008982"):
        assert other not in nsfc or nsfc[other].status != "accepted"
    # a Chinese document calling NSFC "National Science Foundation": the US NSF is flagged and rejected
    actor = CuratedActor("nsf-cn", "National Science Foundation", {"National Science Foundation": "label"}, {"CN"})
    links = propose([actor], RegistryIndex(read_funders(FUNDERS_EXCERPT)), "doc")
    by_id = {x.identifier: x for x in links}
    us = by_id["10.13039/100000001"]
    assert any(f.startswith("country-disagrees: curated CN, registry US") for f in us.flags)
    assert dict((x.identifier, x.status) for x in auto_review(links, "t")[0])["10.13039/100000001"] == "rejected"


def test_country_qualifier_and_alias_match_bgi_group_not_bgi_genomics():
    bgi = [x for x in reviewed("ror") if x.about == "bgi"]
    assert [x.identifier for x in bgi] == ["045pn2j94"]
    assert bgi[0].method == "exact-alias" and "country agrees: CN" in bgi[0].evidence
    assert any("registry acronym 'BGI'" in e for e in bgi[0].evidence)


def test_parent_agreement_is_evidence():
    sibs = next(x for x in reviewed("ror") if x.about == "shanghai-institutes-for-biological-sciences")
    assert any(e.startswith("parent agrees: registry parent 034t30j35") for e in sibs.evidence)


def test_parent_and_type_disagreements_are_flagged_not_accepted():
    records = list(read_ror(ROR_EXCERPT))
    cas = CuratedActor("cas", "Chinese Academy of Sciences", {"Chinese Academy of Sciences": "label"}, {"CN"})
    fudan = CuratedActor("fudan", "Fudan University", {"Fudan University": "label"}, {"CN"},
                         kinds={"university"})
    # curated: SIBS is part of Fudan and a professional society (both wrong on purpose)
    sibs = CuratedActor("sibs", "Shanghai Institutes for Biological Sciences",
                        {"Shanghai Institutes for Biological Sciences": "label"}, {"CN"}, {"fudan"},
                        {"professional-society"})
    links = propose([cas, fudan, sibs], RegistryIndex(records), "ror-v2-9")
    link = next(x for x in links if x.about == "sibs")
    assert any(f.startswith("parent-disagrees: registry parent 034t30j35") for f in link.flags)
    assert any(f.startswith("type-disagrees: curated professional-society") for f in link.flags)
    assert next(x for x in auto_review(links, "t")[0] if x.about == "sibs").status == "proposed"
    assert type_check(fudan, next(r for r in records if r.identifier == "013q1eq08"))[0] is True


def test_two_actors_on_one_identifier_are_flagged():
    records = list(read_ror(ROR_EXCERPT))
    a = CuratedActor("a", "Fudan University", {"Fudan University": "label"}, {"CN"})
    b = CuratedActor("b", "Fudan", {"Fudan University": "alias"}, {"CN"})
    links = merge([], propose([a, b], RegistryIndex(records), "ror-v2-9")).links
    assert all(any(f.startswith("shared-identifier: 013q1eq08 is also linked to") for f in x.flags) for x in links)
    assert all(x.status == "proposed" for x in auto_review(links, "t")[0])
