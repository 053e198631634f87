"""Service tiers, referral chains, county closure ("不出县") and named indicators.

* :mod:`.tiers` — the tier of a facility, the nearest facility of each tier per village, the
  referral chain (village → its nearest tier-1 → that facility's nearest tier-2 → …) as a time and
  as facility-to-facility tables, and upgrading a facility to the next tier;
* :mod:`.closure` — the share of people whose nearest facility of a tier lies outside their own
  township or county, and how much longer the nearest one inside is;
* :mod:`.indicators` — outputs named exactly as an inspection form names them
  (e.g. 社区卫生服务设施步行15分钟覆盖率), defined in the standards file.

The school audit (优质均衡) is :mod:`accessibility.audit`.
"""

from .closure import closure_by_village, closure_summary
from .indicators import load_indicators, named_indicators
from .tiers import (
    facility_tiers,
    nearest_by_tier,
    referral_chain,
    referral_flows,
    referral_table,
    upgrade_facilities,
    upgrade_gains,
)

__all__ = [
    "closure_by_village",
    "closure_summary",
    "facility_tiers",
    "load_indicators",
    "named_indicators",
    "nearest_by_tier",
    "referral_chain",
    "referral_flows",
    "referral_table",
    "upgrade_facilities",
    "upgrade_gains",
]
