"""Deterministic synthetic indicator values for the demo, tests and benchmarks.

:func:`generate` fills every catalogue indicator at every level where it is defined
(national ``"ID"`` down to the indicator's ``lowest_level``) for its periods within a
window of years. The same registry, catalogue, seed and window give the identical frame.
The values are invented; they only look plausible.

Model
-----
Values are drawn at the indicator's lowest level from nested random effects, so
siblings are alike and provinces differ (there is no geometry to work from):

* an island-group effect keyed by the first digit of the province code (see
  :data:`ISLAND_GROUPS`), partly fixed per indicator (IKP is higher in Papua, ormas are
  more numerous in Jawa) and partly random;
* a province effect, a kab/kota effect and a small kecamatan effect;
* a linear trend per province around :data:`REFERENCE_YEAR` (a national slope plus a
  random slope per province, so some provinces rise while others fall), a national
  effect per year and idiosyncratic noise per region-year.

For indices and rates the region effects and slopes are centred on their weighted
national mean, so the national value stays near the indicator's typical level and
trend whatever the seed.

Indices and rates (``aggregation = "mean"``) are that sum, clipped to the scale. Counts
(``aggregation = "sum"``) are Poisson draws whose log-mean is that sum. Turnout in some
highland Papua kab/kota is close to 100 % (the *noken* system).

Roll-up
-------
Higher levels are computed from the lowest level, never drawn themselves:

* counts add up: a parent's value is the sum of its present children, so the
  kecamatan, kab/kota, provinsi and national totals agree exactly;
* indices and rates are weighted means. Every kecamatan has a synthetic, deterministic
  weight (a population or voter count, see :func:`weights`); a kab/kota weighs the sum
  of its kecamatan, a province the sum of its kab/kota. A parent's value is
  ``sum(w * v) / sum(w)`` over the *present* lowest-level regions below it. This is the
  same as the weighted mean of its present children when each child is weighted by the
  summed weight of its own present lowest-level regions (its full weight from
  :func:`weights` when nothing below it is missing), like turnout computed as votes
  cast over registered voters.

A parent some of whose children are missing rolls up from the present ones; a parent
whose children are all missing is missing too.

Rounding happens once, after the roll-up: parents are computed from unrounded
children, then every value is rounded to the indicator's ``decimals``. A stored parent
is therefore within ``0.5 * 10**-decimals`` of the exact weighted mean of the unrounded
values, and a re-check from the stored (rounded) children must allow
``10**-decimals``: half a unit for the parent's rounding and at most half a unit for
the children's. Rounding is monotone, so a stored mean always lies between the smallest
and the largest stored child. Counts are integers and need no tolerance.

Gaps
----
A missing value is an absent row, never a zero or NaN row.

* The four Papua provinces created in 2022 (:data:`NEW_PAPUA_PROVINCES`) and everything
  inside them have no values before :data:`NEW_PAPUA_FIRST_YEAR`.
* Each year, :data:`MISSING_SHARE` of the lowest-level regions that would otherwise
  have a value are missing at random (an exact count, so the share is about the same
  for 38 provinces as for 7,285 kecamatan).
* For indicators defined down to kecamatan, a few whole kab/kota
  (:data:`MISSING_KABKOTA_SHARE` of them) miss each year.
* Pilkada turnout exists only where voters went to the polls that year, following
  :func:`pilkada_regions`; a province's value rolls up from those kab/kota only.

Modules
-------
* :mod:`ingest.demo.profiles`: how each indicator is simulated (centre, spreads, trend,
  island-group offsets);
* :mod:`ingest.demo.values`: drawing values and gaps at the lowest level;
* :mod:`ingest.demo.pilkada`: the election calendar;
* :mod:`ingest.demo.generator`: roll-up weights, the roll-up and :func:`generate`;
* :mod:`ingest.demo.tree`: the registry as index arrays.
"""

from ingest.demo.generator import SCHEMA, generate, weights
from ingest.demo.pilkada import pilkada_regions
from ingest.demo.profiles import ISLAND_GROUPS
from ingest.demo.values import (
    MISSING_KABKOTA_SHARE,
    MISSING_SHARE,
    NEW_PAPUA_FIRST_YEAR,
    NEW_PAPUA_PROVINCES,
    NOKEN_SHIFT,
    REFERENCE_YEAR,
)

__all__ = [
    "ISLAND_GROUPS",
    "MISSING_KABKOTA_SHARE",
    "MISSING_SHARE",
    "NEW_PAPUA_FIRST_YEAR",
    "NEW_PAPUA_PROVINCES",
    "NOKEN_SHIFT",
    "REFERENCE_YEAR",
    "SCHEMA",
    "generate",
    "pilkada_regions",
    "weights",
]
