"""DCAT-AP metadata for the open-data catalogue and each dataset, built with rdflib and serialised as
JSON-LD, Turtle or RDF/XML.

Classes and properties follow DCAT-AP 3 (dcat:Catalog, dcat:Dataset, dcat:Distribution; dct:title,
dct:description, dct:publisher, dcat:theme, dcat:keyword, dct:license, dct:accrualPeriodicity with the
EU frequency vocabulary, dct:temporal, dct:spatial, dct:issued, dct:modified, dcat:accessURL /
dcat:downloadURL, dct:format, dcat:byteSize, spdx:checksum). The catalogue is paged (hydra), so a
harvester reads 100,000 datasets a thousand at a time instead of one enormous document.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from yiwang.opendata import licenses
from yiwang.opendata.models import Dataset
from yiwang.opendata.serialise import resource_url

SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
PAGE_SIZE = 1000

FORMATS = {
    "text/turtle": ("turtle", "ttl"),
    "application/ld+json": ("json-ld", "jsonld"),
    "application/rdf+xml": ("xml", "rdf"),
}
BY_SUFFIX = {suffix: (fmt, media) for media, (fmt, suffix) in FORMATS.items()}


def _graph() -> Graph:
    graph = Graph()
    for prefix, namespace in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("spdx", SPDX),
        ("hydra", HYDRA),
        ("vcard", VCARD),
    ):
        graph.bind(prefix, namespace)
    return graph


def dataset_uri(base: str, dataset: Dataset) -> URIRef:
    return URIRef(f"{base}/opendata/datasets/{dataset.name}")


def add_dataset(graph: Graph, dataset: Dataset, base: str) -> URIRef:
    node = dataset_uri(base, dataset)
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(dataset.uid))))
    graph.add((node, DCTERMS.title, Literal(dataset.title, lang="zh")))
    if dataset.notes:
        graph.add((node, DCTERMS.description, Literal(dataset.notes, lang="zh")))
    graph.add((node, DCAT.landingPage, node))
    publisher = URIRef(f"{base}/opendata/organizations/{dataset.organisation.uscc.lower()}")
    graph.add((node, DCTERMS.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Organization))
    graph.add((publisher, FOAF.name, Literal(dataset.organisation.name, lang="zh")))
    graph.add((publisher, DCTERMS.identifier, Literal(dataset.organisation.uscc)))
    for theme in dataset.themes.all():
        theme_node = URIRef(f"{base}/opendata/groups/{theme.name}")
        graph.add((node, DCAT.theme, theme_node))
    for tag in dataset.tags:
        graph.add((node, DCAT.keyword, Literal(tag, lang="zh")))
    licence = licenses.BY_ID.get(dataset.license_id)
    licence_node = URIRef(
        licence.url if licence and not licence.url.startswith("/") else f"{base}/opendata/terms"
    )
    graph.add((node, DCTERMS.license, licence_node))
    graph.add((node, DCTERMS.accrualPeriodicity, FREQUENCY[dataset.update_frequency]))
    if dataset.temporal_start or dataset.temporal_end:
        period = BNode()
        graph.add((node, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.temporal_start:
            graph.add((period, DCAT.startDate, Literal(dataset.temporal_start, datatype=XSD.date)))
        if dataset.temporal_end:
            graph.add((period, DCAT.endDate, Literal(dataset.temporal_end, datatype=XSD.date)))
    if dataset.spatial_id:
        place = URIRef(f"{base}/api/core/regions/{dataset.spatial_id}")
        graph.add((node, DCTERMS.spatial, place))
        graph.add((place, RDF.type, DCTERMS.Location))
        if dataset.spatial is not None:
            graph.add((place, FOAF.name, Literal(dataset.spatial.name, lang="zh")))
    if dataset.published_at:
        graph.add((node, DCTERMS.issued, Literal(dataset.published_at, datatype=XSD.dateTime)))
    graph.add((node, DCTERMS.modified, Literal(dataset.modified_at, datatype=XSD.dateTime)))
    for resource in dataset.resources.all():
        distribution = URIRef(f"{node}/resources/{resource.uid}")
        graph.add((node, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(resource.name, lang="zh")))
        url = URIRef(resource_url(resource, base))
        graph.add((distribution, DCAT.accessURL, url))
        if resource.file:
            graph.add((distribution, DCAT.downloadURL, url))
        graph.add(
            (distribution, DCTERMS.format, FILE_TYPE[resource.format if resource.format != "API" else "JSON"])
        )
        if resource.mimetype:
            graph.add((distribution, DCAT.mediaType, Literal(resource.mimetype)))
        if resource.size is not None:
            graph.add((distribution, DCAT.byteSize, Literal(resource.size, datatype=XSD.nonNegativeInteger)))
        if resource.sha256:
            checksum = BNode()
            graph.add((distribution, SPDX.checksum, checksum))
            graph.add((checksum, RDF.type, SPDX.Checksum))
            graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
            graph.add((checksum, SPDX.checksumValue, Literal(resource.sha256, datatype=XSD.hexBinary)))
        graph.add((distribution, DCTERMS.license, licence_node))
    return node


def dataset_graph(dataset: Dataset, base: str) -> Graph:
    graph = _graph()
    add_dataset(graph, dataset, base)
    return graph


def catalogue_graph(datasets: Iterable[Dataset], base: str, *, title: str, page: int, total: int) -> Graph:
    graph = _graph()
    catalogue = URIRef(f"{base}/opendata/catalog")
    graph.add((catalogue, RDF.type, DCAT.Catalog))
    graph.add((catalogue, DCTERMS.title, Literal(title, lang="zh")))
    graph.add((catalogue, DCTERMS.description, Literal("政务数据开放目录", lang="zh")))
    graph.add((catalogue, FOAF.homepage, URIRef(f"{base}/opendata/")))
    for dataset in datasets:
        graph.add((catalogue, DCAT.dataset, add_dataset(graph, dataset, base)))
    pages = max(1, -(-total // PAGE_SIZE))
    view = URIRef(f"{base}/opendata/catalog.ttl?page={page}")
    graph.add((view, RDF.type, HYDRA.PagedCollection))
    graph.add((view, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    graph.add((view, HYDRA.itemsPerPage, Literal(PAGE_SIZE, datatype=XSD.integer)))
    graph.add((view, HYDRA.firstPage, URIRef(f"{base}/opendata/catalog.ttl?page=1")))
    graph.add((view, HYDRA.lastPage, URIRef(f"{base}/opendata/catalog.ttl?page={pages}")))
    if page < pages:
        graph.add((view, HYDRA.nextPage, URIRef(f"{base}/opendata/catalog.ttl?page={page + 1}")))
    return graph


def serialise(graph: Graph, suffix: str) -> tuple[bytes, str]:
    fmt, media = BY_SUFFIX[suffix]
    data = graph.serialize(format=fmt, encoding="utf-8")
    return data, f"{media}; charset=utf-8"
