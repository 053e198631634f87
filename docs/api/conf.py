"""Sphinx configuration of the API reference (``python -m sphinx -W -b html docs/api build/api``)."""

from __future__ import annotations

import accessibility

project = "accessibility"
author = "the accessibility developers"
copyright = "the accessibility developers"  # (Sphinx's name)
release = accessibility.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
autosummary_generate = True
autodoc_default_options = {"members": True, "imported-members": True}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = f"accessibility {release} API reference"
language = "en"
