"""STIX 2.1: export builders (pure) and the reading of incoming bundles. See docs/sharing.md."""

from vigisante.sharing.stix.builders import (
    TLP_IDS,
    alert_objects,
    bundle,
    campaign_objects,
    dumps,
    identity,
    indicator_id,
    indicator_objects,
    malware_objects,
    relationship,
    stix_id,
    timestamp,
    tlp_marking,
)
from vigisante.sharing.stix.patterns import candidates, pattern_for

__all__ = ["TLP_IDS", "alert_objects", "bundle", "campaign_objects", "candidates", "dumps",
           "identity", "indicator_id", "indicator_objects", "malware_objects", "pattern_for",
           "relationship", "stix_id", "timestamp", "tlp_marking"]
