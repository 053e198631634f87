"""Maps of per-village layers and catchments: static (matplotlib) and interactive (offline Leaflet).

Static maps
-----------
:func:`village_map` draws one per-village column as graduated points (or polygons) with a legend
of class ranges and an *unreachable* class for NaN/inf, a scale bar in kilometres, a north arrow,
and optionally roads by class underneath, catchment bands, facilities by service on top and village
names. :func:`catchment_map` draws isochrone bands (from :mod:`accessibility.catchments`) the same
way. Both return a :class:`matplotlib.figure.Figure` (never ``plt.show()``); in Jupyter the figure
displays itself, elsewhere save it with ``fig.savefig("map.png", dpi=150)``.

Maps are drawn in a projected metric CRS: the layer's own when it is in metres, otherwise the local
UTM zone. The scale bar's length is the true ground distance at the centre of the map (measured on
the WGS-84 ellipsoid), so it stays right in Web Mercator too; the north arrow points to true north
(grid convergence included).

Chinese names (village labels, bilingual legend entries) need a CJK font. The font logic is shared
with :mod:`accessibility.charts`: when no CJK font is installed, names fall back to pinyin
(``name_pinyin``) and one warning is logged. Debian/Ubuntu: ``apt install fonts-wqy-microhei``
(1.6 MB) or ``fonts-noto-cjk``.

Interactive maps
----------------
:func:`interactive_map` returns an :class:`InteractiveMap` that shows itself in Jupyter and
:meth:`InteractiveMap.save` writes ONE self-contained HTML file: Leaflet 1.9.4's JavaScript and CSS
are inlined (vendored in ``accessibility/maps/static``, BSD-2-Clause), the features are embedded as
GeoJSON in EPSG:4326, and there is no background tile layer unless you pass your own ``tiles=`` URL.
The page works with no network at all: on a planning office's intranet, from a USB stick, in a
notebook on a laptop in the field.

One job per module: :mod:`.classes` (class breaks, labels, colours), :mod:`.frame` (drawing CRS,
extent, scale bar, north arrow, legends), :mod:`.labels` (CJK text), :mod:`.layers` (roads,
facilities, bands), :mod:`.static_maps` (:func:`village_map`, :func:`catchment_map`) and
:mod:`.interactive` (:func:`interactive_map`; the page is ``templates/interactive.html``).

Examples
--------
>>> import accessibility as acc
>>> from accessibility import maps
>>> demo = acc.load_demo()
>>> net = acc.network_from_roads(demo.roads)
>>> layer = acc.accessibility_layer(net, demo.villages, demo.facilities,
...                                 services=["health_centre"])
>>> fig = maps.village_map(layer, "health_centre_nearest_min", roads=demo.roads,
...                        facilities=demo.facilities[demo.facilities.service == "health_centre"])
>>> fig.savefig("health_centres.png", dpi=150)
>>> m = maps.interactive_map(layer, "health_centre_nearest_min")
>>> m.save("map.html")
'map.html'
"""

from __future__ import annotations

from .classes import NICE_MINUTES as NICE_MINUTES
from .classes import UNREACHABLE_COLOR as UNREACHABLE_COLOR
from .classes import class_breaks, class_labels, classify
from .interactive import InteractiveMap, interactive_map
from .layers import SERVICE_MARKERS as SERVICE_MARKERS
from .static_maps import catchment_map, village_map

__all__ = [
    "InteractiveMap",
    "catchment_map",
    "class_breaks",
    "class_labels",
    "classify",
    "interactive_map",
    "village_map",
]
