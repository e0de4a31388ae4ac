from __future__ import annotations

import pytest
from conftest import API_KEY, BAD_API_KEY, BASE_URL, NOT_THE_API_URL, UNREACHABLE_URL, config

from {{ cookiecutter.package_name }}.client import ApiClient, ApiError
from {{ cookiecutter.package_name }}.config import ConfigError, load_config


def client(**kwargs):
    return ApiClient(load_config(config(**kwargs)))


def test_paginate_follows_the_cursor_to_the_end(fake_api):
    pages = list(client().paginate("/api/v1/users"))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [u["id"] for p in pages for u in p] == [u["id"] for u in fake_api.users]
    assert fake_api.mocker.request_history[-1].qs["cursor"] == ["c4"]


def test_paginate_stops_on_a_repeated_cursor(fake_api, requests_mock):
    requests_mock.get(f"{BASE_URL}/api/v1/users", json={"data": [{"id": "x"}], "next_cursor": "same"})
    assert len(list(client().paginate("/api/v1/users"))) == 2  # first page, then "same" once, then stop


def test_the_api_key_is_sent_as_a_bearer_token(fake_api):
    client().get("/api/v1/tenant")
    assert fake_api.mocker.last_request.headers["Authorization"] == f"Bearer {API_KEY}"


@pytest.mark.parametrize(("kwargs", "kind"), [
    ({"key": BAD_API_KEY}, "credentials"),
    ({"url": UNREACHABLE_URL}, "network"),
    ({"url": NOT_THE_API_URL}, "config"),
])
def test_errors_have_the_right_kind_and_no_secret(fake_api, kwargs, kind):
    with pytest.raises(ApiError) as caught:
        client(**kwargs).get("/api/v1/tenant")
    assert caught.value.kind == kind
    assert API_KEY not in str(caught.value) and BAD_API_KEY not in str(caught.value)


def test_server_errors_are_transient(fake_api, requests_mock):
    requests_mock.get(f"{BASE_URL}/api/v1/tenant", status_code=503)
    with pytest.raises(ApiError) as caught:
        client().get("/api/v1/tenant")
    assert caught.value.kind == "transient"


def test_invalid_config_names_the_field_not_the_secret():
    with pytest.raises(ConfigError) as caught:
        load_config({"base_url": "https://x.example", "api_key": "short"})
    assert "api_key" in str(caught.value) and "short" not in str(caught.value)


def test_config_repr_hides_the_key():
    assert API_KEY not in repr(load_config(config()))
