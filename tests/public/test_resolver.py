"""The GS1 Digital Link resolver against the rules of the GS1-Conformant Resolver standard
(1.2) and its test suite (gs1/GS1DL-resolver-testsuite): 307 to the default link, the
requested linkType, the linkset (RFC 9264) by query or by Accept, Link headers with a
relation type and a title on every link, 400 for syntax, 404 for unknown keys, CORS,
HEAD and OPTIONS, a trailing slash tolerated, the query passed on, the description file."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from registry.labels.models import Label
from registry.public import digital_link as dl
from tests.public.conftest import label, path_of  # noqa: F401

VOC = "https://ref.gs1.org/voc/"
BASE = "http://127.0.0.1:5000"  # PUBLIC_BASE_URL: every link names it, whatever the host asked


def links(header: str) -> list[dict[str, str]]:
    """A Link header as the GS1 test suite reads it: href, rel, title per link."""
    found = []
    for part in header.split(", <"):
        href = part[part.index("<") + 1 if part.startswith("<") else 0 : part.index(">")]
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', part))
        found.append({"href": href, **attrs})
    return found


def test_a_gtin_redirects_to_its_product_page(client: FlaskClient, label: Label) -> None:
    response = client.get(f"/01/{label.gtin}")
    assert response.status_code == 307
    assert response.location == f"{BASE}/register/products/{label.gtin}"
    listed = links(response.headers["Link"])
    assert all(link["href"].startswith(BASE) and link["rel"] and link["title"] for link in listed)
    assert {"rel": VOC + "pip"}.items() <= listed[0].items()
    assert listed[-1]["rel"] == "linkset"
    assert listed[-1]["type"] == "application/linkset+json"
    assert client.get(response.location).status_code == 200


def test_a_lot_redirects_to_its_chain_and_the_query_is_passed_on(
    client: FlaskClient, label: Label
) -> None:
    response = client.get(f"/01/{label.gtin}/10/{label.lot}?foo=bar")
    assert response.status_code == 307
    assert response.location.endswith(f"/register/products/{label.gtin}/lots/TUI-1?foo=bar")
    rels = [link["rel"] for link in links(response.headers["Link"])]
    assert rels == [VOC + "pip", VOC + "traceability", VOC + "sustainabilityInfo", "linkset"]
    html = client.get(response.location).get_data(as_text=True)
    assert "TUI-1" in html and "DS-01" in html and label.serial in html


def test_a_serial_without_token_goes_to_the_register_with_it_the_label_page(
    client: FlaskClient, label: Label
) -> None:
    bare = f"/01/{label.gtin}/10/{label.lot}/21/{label.serial}"
    response = client.get(bare)
    assert response.status_code == 307
    assert response.location.endswith(f"/register/labels/{label.serial}")
    served = client.get(path_of(label.url))
    assert served.status_code == 200 and 'data-verdict="valid"' in served.get_data(as_text=True)
    listed = links(served.headers["Link"])
    assert listed[-2]["rel"] == VOC + "verificationService"
    assert "linkType=linkset" in listed[-1]["href"]


def test_a_requested_link_type_is_followed_from_the_most_specific_level(
    client: FlaskClient, label: Label
) -> None:
    url = path_of(label.url)
    api = client.get(url + "&linkType=gs1:verificationService")
    assert api.status_code == 307
    assert api.location.startswith(f"{BASE}/api/v1/labels/{label.serial}")
    product = client.get(url + f"&linkType={VOC}pip")
    assert product.location.startswith(f"{BASE}/register/products/{label.gtin}")
    unknown = client.get(f"/01/{label.gtin}/10/TUI-1?linkType=gs1:recipeInfo")
    assert unknown.status_code == 307 and "/lots/TUI-1" in unknown.location  # the default
    page = client.get(url + "&linkType=gs1:certificationInfo")
    assert page.status_code == 200  # the label page is the item's certification link


@pytest.mark.parametrize("how", ["linkType=linkset", "linkType=all", "accept"])
def test_the_linkset_lists_every_level(client: FlaskClient, label: Label, how: str) -> None:
    base = f"/01/{label.gtin}/10/{label.lot}/21/{label.serial}"
    if how == "accept":
        response = client.get(base, headers={"Accept": "application/linkset+json"})
    else:
        response = client.get(f"{base}?{how}")
    assert response.status_code == 200
    assert response.mimetype == "application/linkset+json"
    assert "Accept" in response.headers["Vary"]
    body = response.json
    assert body is not None and list(body) == ["linkset"]
    anchors = [context["anchor"] for context in body["linkset"]]
    assert anchors == [
        f"{BASE}/01/{label.gtin}",
        f"{BASE}/01/{label.gtin}/10/TUI-1",
        f"{BASE}/01/{label.gtin}/10/TUI-1/21/{label.serial}",
    ]
    for context in body["linkset"]:
        relations = {k: v for k, v in context.items() if k.startswith("http")}
        assert VOC + "defaultLink" in relations and len(relations[VOC + "defaultLink"]) == 1
        for targets in relations.values():
            for target in targets:
                assert target["href"].startswith(f"{BASE}/")
                assert target["title"] and target["type"] and target["hreflang"] == ["vi", "en"]
                assert target["title*"][0]["language"] == "vi"


def test_json_is_served_when_asked_for(client: FlaskClient, label: Label) -> None:
    response = client.get(f"/01/{label.gtin}?linkType=all", headers={"Accept": "application/json"})
    assert response.mimetype == "application/json" and "linkset" in response.json
    assert "json-ld#context" in response.headers["Link"]


def test_syntax_errors_are_400_and_unknown_keys_404(client: FlaskClient, label: Label) -> None:
    gtin = label.gtin or ""
    wrong_check = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    for path in (
        f"/01/{wrong_check}",
        f"/01/{gtin}/foo",
        f"/01/{gtin}/21/X/10/Y",  # qualifiers out of order
        f"/01/{gtin}/99/X",
        f"/01/{gtin}/10/{'L' * 21}",
    ):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 400, path
        assert response.mimetype == "application/problem+json"
    for path in ("/01/09506000134352", f"/01/{gtin}/10/NOLOT", f"/01/{gtin}/10/TUI-1/21/NOSERIAL"):
        assert client.get(path).status_code == 404, path
    assert client.get("/01/09506000134352?linkType=linkset").status_code == 404


def test_gtin_13_and_trailing_slashes_are_tolerated(client: FlaskClient, label: Label) -> None:
    gtin = label.gtin or ""
    one = client.get(f"/01/{gtin}/10/TUI-1")
    for path in (f"/01/{gtin}/10/TUI-1/", f"/01/{gtin[1:]}/10/TUI-1"):
        other = client.get(path)
        assert (other.status_code, other.location) == (one.status_code, one.location)


def test_cors_head_and_options(client: FlaskClient, label: Label) -> None:
    head = client.head(f"/01/{label.gtin}")
    assert head.status_code == 307 and head.headers["Access-Control-Allow-Origin"] == "*"
    options = client.options(f"/01/{label.gtin}")
    assert options.status_code == 204
    assert {"GET", "HEAD", "OPTIONS"} <= set(
        options.headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")
    )
    assert "Link" in options.headers["Access-Control-Expose-Headers"]


def test_the_resolver_describes_itself(client: FlaskClient) -> None:
    body = client.get("/.well-known/gs1resolver").json
    assert body["resolverRoot"] == "http://127.0.0.1:5000"
    assert body["supportedPrimaryKeys"] == ["01"]
    assert body["supportedLinkType"] == [{"namespace": VOC, "prefix": "gs1:"}]


def test_paths_parse_as_gs1_digital_link() -> None:
    assert dl.parse_path("/01/8934567890120/10/TUI-1/21/AB12/") == dl.DigitalLink(
        "08934567890120", "TUI-1", "AB12"
    )
    assert dl.parse_path("/01/08934567890120/22/V1/10/L").cpv == "V1"
    assert dl.DigitalLink("08934567890120", "A B", "S").path() == (
        "/01/08934567890120/10/A%20B/21/S"
    )
    for bad in ("/02/08934567890120", "/01/08934567890121", "/01/08934567890120/10"):
        with pytest.raises(dl.BadPath):
            dl.parse_path(bad)
    assert dl.link_type("gs1:pip") == dl.link_type(VOC + "pip") == "pip"
    assert dl.link_type("https://gs1.org/voc/pip") == "pip"
    assert dl.link_type("all") == dl.link_type("linkset") == "linkset"
