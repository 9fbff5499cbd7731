"""Fixtures shared by the web app's test modules: one built site (workspace and brief) and a client per module."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from test_web import BASE_URL, Site, build_site

from newsweave.web import create_app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_site(tmp_path_factory)


@pytest.fixture(scope="module")
def client(site: Site) -> TestClient:
    return TestClient(create_app(site.workspace, site.brief_path), base_url=BASE_URL)
