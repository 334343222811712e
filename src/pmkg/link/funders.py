"""Read the Crossref Open Funder Registry (RDF/XML, SKOS + SKOS-XL) into :class:`RegistryRecord`.

Per ``skos:Concept`` (a funder, IRI ``http://dx.doi.org/10.13039/<id>``): the
``skosxl:prefLabel`` literal form is the name; ``skosxl:altLabel`` literal
forms are aliases, or acronyms when flagged ``fref:usageFlag …/abbrevName``;
``svf:country`` is a GeoNames URI (mapped to ISO through
:data:`pmkg.link.geonames.GEONAMES_COUNTRIES`); ``skos:broader`` gives the
parents; ``svf:fundingBodySubType`` the type; ``dct:isReplacedBy``,
``svf:renamedAs``, ``svf:incorporatedInto`` and ``fref:status …/Deprecated``
mark a record that is no longer current.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from xml.sax import SAXParseException

from rdflib import RDF, SKOS, Graph, Namespace, URIRef
from rdflib.exceptions import ParserError
from rdflib.namespace import DCTERMS

from pmkg.errors import InputError
from pmkg.link.geonames import GEONAMES_COUNTRIES
from pmkg.link.match import RegistryRecord

SKOSXL = Namespace("http://www.w3.org/2008/05/skos-xl#")
SVF = Namespace("http://data.crossref.org/fundingdata/xml/schema/grant/grant-1.2/")
FREF = Namespace("http://data.crossref.org/fundingdata/terms")
VOCAB = "http://data.crossref.org/fundingdata/vocabulary/"
DOI_PREFIX = "10.13039/"
# fundingBodySubType -> the ROR-style type the matcher compares with curated kinds.  "government non-federal"
# is left out: it says who funds the body (public universities and hospitals carry it), not what it is.
SUBTYPES = {
    "federal/national government": "government", "federal": "government",
    "academic": "education", "corporate": "company", "foundation": "nonprofit", "other non-profit": "nonprofit",
    "professional associations and societies": "nonprofit", "international": "other",
}


def doi_of(iri: str) -> str:
    """'http://dx.doi.org/10.13039/501100001809' -> '10.13039/501100001809'."""
    return iri[iri.index(DOI_PREFIX):] if DOI_PREFIX in iri else iri


def _literals(g: Graph, concept: URIRef, pred: URIRef) -> list[tuple[str, bool]]:
    out = []
    for label in g.objects(concept, pred):
        abbrev = (label, FREF.usageFlag, URIRef(VOCAB + "abbrevName")) in g
        out += [(str(form), abbrev) for form in g.objects(label, SKOSXL.literalForm)]
    return sorted(out)


def _country(g: Graph, concept: URIRef) -> str | None:
    for uri in g.objects(concept, SVF.country):
        digits = str(uri).rstrip("/").rsplit("/", 1)[-1]
        if digits.isdigit() and int(digits) in GEONAMES_COUNTRIES:
            return GEONAMES_COUNTRIES[int(digits)]
    return None


def records_from_graph(g: Graph) -> list[RegistryRecord]:
    records = []
    for concept in sorted(set(g.subjects(RDF.type, SKOS.Concept))):
        if not isinstance(concept, URIRef):
            continue
        prefs = _literals(g, concept, SKOSXL.prefLabel)
        if not prefs:
            continue
        names: dict[str, str] = {p: "label" for p, _ in prefs[1:]}
        acronyms = []
        for alt, abbrev in _literals(g, concept, SKOSXL.altLabel):
            if abbrev:
                acronyms.append(alt)
            else:
                names.setdefault(alt, "alias")
        successors = [doi_of(str(o)) for p in (DCTERMS.isReplacedBy, SVF.renamedAs, SVF.incorporatedInto)
                      for o in g.objects(concept, p)]
        deprecated = (concept, FREF.status, URIRef(VOCAB + "Deprecated")) in g
        subtypes = {str(o).strip().lower() for o in g.objects(concept, SVF.fundingBodySubType)}
        records.append(RegistryRecord(
            registry="funder-registry", identifier=doi_of(str(concept)), iri=str(concept), name=prefs[0][0],
            names=names, acronyms=acronyms, country=_country(g, concept),
            parents=sorted(doi_of(str(o)) for o in g.objects(concept, SKOS.broader)),
            types={SUBTYPES[s] for s in subtypes if s in SUBTYPES} | {"funder"},
            status="replaced" if successors else "deprecated" if deprecated else "active",
            successors=sorted(successors)))
    return records


def read_funders(path: Path) -> list[RegistryRecord]:
    """Every funder of a Funder Registry RDF/XML file (``.rdf`` or ``.rdf.gz``)."""
    if not path.is_file():
        raise InputError(f"Funder Registry file {path} does not exist",
                         hint="pass --registry FILE (RDF/XML, optionally gzipped)")
    g = Graph()
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")) as fh:
            g.parse(fh, format="xml")
    except (SAXParseException, ParserError, OSError, EOFError) as exc:
        raise InputError(f"Funder Registry file {path} is not readable RDF/XML: {exc}") from exc
    records = records_from_graph(g)
    if not records:
        raise InputError(f"Funder Registry file {path} holds no skos:Concept with a skosxl:prefLabel")
    return records
