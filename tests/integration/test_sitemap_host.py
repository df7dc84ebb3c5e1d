"""sitemap.xml lists the pages on the host it was fetched from, not on the Site record's (the demo's "localhost"
on port 80, which is not where `make run` serves the portal)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_site(module_demo_site, db):
    """The demo website, seeded once for this module (tests/conftest.py: module_demo_site)."""
    return module_demo_site


def test_sitemap_urls_carry_the_host_and_port_the_portal_is_served_on(client, demo_site, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    xml = client.get("/sitemap.xml", HTTP_HOST="127.0.0.1:8107").content.decode()
    assert "<loc>http://127.0.0.1:8107/about-us/</loc>" in xml
    assert "http://localhost/" not in xml


def test_sitemap_keeps_the_scheme_of_the_request(client, demo_site, settings):
    settings.ALLOWED_HOSTS = ["mwamba-sacco.example"]
    xml = client.get("/sitemap.xml", HTTP_HOST="mwamba-sacco.example", secure=True).content.decode()
    assert "<loc>https://mwamba-sacco.example/contact/</loc>" in xml
