"""QGIS's own OGC API – Features provider (the one planners use: データソースマネージャ → WFS / OGC API –
Features), headless: reads every collection named on the command line from the landing page given
first, page by page, and writes {collection: {"valid": bool, "ids": [...], "crs": "EPSG:…"}} as JSON,
each feature's id from its `id`, `area_id` or `site_id` attribute."""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import QgsApplication, QgsVectorLayer  # noqa: E402

app = QgsApplication([], False)
app.initQgis()
landing, collections = sys.argv[1], sys.argv[2:]
read = {}
for name in collections:
    layer = QgsVectorLayer(f"url='{landing}' typename='{name}' pageSize='7'", name, "OAPIF")
    key = next((k for k in ("id", "area_id", "site_id") if k in layer.fields().names()), None)
    ids = sorted(int(f.attribute(key)) for f in layer.getFeatures()) if key else []
    read[name] = {"valid": layer.isValid(), "ids": ids, "crs": layer.crs().authid()}
    del layer
json.dump(read, sys.stdout)
sys.stdout.flush()
# QGIS 3.22 can crash tearing its providers down; what was read is written.
os._exit(0)
