"""The connector conformance kit (connector_host.conformance): every promise a host relies on."""

from connector_host.conformance import ConformanceSuite


class TestConformance(ConformanceSuite):
    connector_name = "{{ cookiecutter.connector_id }}"
