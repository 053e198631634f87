"""One self-contained HTML report on balance and equity of access (no external resources).

:func:`report_tables` computes every table of the report from the per-village layer (so the CLI can
also write them to CSV or a GeoPackage); :func:`report_html` renders them with charts embedded as
base64 PNG; :func:`write_report` writes the file atomically.

Sections (``page.SECTIONS``, one line each): key findings per service; how to read the report;
each area type against its own standard; coverage against the planning standards (overall,
urban, rural, by township); inequality indices with Lorenz curves; urban and rural distributions;
a per-village map of travel times; spatial clusters of poor access; the most underserved villages;
the data, speeds, standards and methods used. In Chinese or English (``lang``).

One job per module: :mod:`.tables` computes the tables, :mod:`.page` renders them into
``templates/report.html``, :mod:`.words` holds the fixed words in both languages, :mod:`.write`
writes the file, :mod:`.workbook` writes the tables as an Excel workbook.

Examples
--------
>>> import accessibility as acc
>>> from accessibility.report import write_report
>>> demo = acc.load_demo()  # doctest: +SKIP
>>> layer = acc.accessibility_layer(acc.network_from_roads(demo.roads), demo.villages,
...                                 demo.facilities)  # doctest: +SKIP
>>> write_report("report.html", layer, townships=demo.townships)  # doctest: +SKIP
"""

from __future__ import annotations

from .page import report_html
from .tables import report_tables
from .write import write_report

__all__ = ["report_html", "report_tables", "write_report"]
