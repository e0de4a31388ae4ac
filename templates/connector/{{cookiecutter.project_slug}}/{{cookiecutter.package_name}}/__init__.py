"""{{ cookiecutter.vendor_name }} connector: a plugin for connector_host hosts."""

__version__ = "{{ cookiecutter.version }}"
