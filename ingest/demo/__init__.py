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

Published values
----------------
:func:`generate` can be given published values (``published``); the simulated values
are then conditioned on them, so that nothing simulated contradicts a real figure:

* a published region-period gets no simulated row (the published value is shown), and
  where it is at the lowest level it is always present, whatever the random gaps;
* for every published region-period above the lowest level, the simulated lowest-level
  regions below it are moved so that its roll-up (as above: the weighted mean or the
  sum of its present lowest-level regions) equals the published value exactly before
  rounding, so within ``0.5 * 10**-decimals`` when checked from the stored children.
  Lowest-level regions below a published region further down are fixed (they already
  roll up to that region's value); only the others move. Conditioning runs bottom-up:
  a published province first, then the nation around it. If a published region has
  no present lowest-level region below it, they are all made present (it was measured);
* a mean moves by one additive shift for all the free regions below a published region
  (they keep their simulated differences), found by bisection because every value is
  clipped to the **category rule**: a simulated region below a published one lies in
  the official category of that nearest published region or in a category next to it
  (the scale bounds it too). Where the category rule and the roll-up cannot both hold
  (the fixed published children force the others too far), the roll-up wins and only
  the scale bounds the values;
* a count is split in proportion to the simulated counts (or, when they are all zero,
  to the weights) into whole numbers by largest remainders, so the sum is exact;
* a simulated parent stays the roll-up of its children, published ones included, so a
  simulated national value never contradicts the published provinces beside it.

The conditioning is per period: a value still does not depend on the window.

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
* :mod:`ingest.demo.condition`: conditioning on published values;
* :mod:`ingest.demo.generator`: roll-up weights, the roll-up and :func:`generate`;
* :mod:`ingest.demo.tree`: the registry as index arrays.
* :mod:`ingest.demo.records`: the synthetic record streams (TPS, ormas, incidents, media)
  for the lake, built on the same weights and effects.
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
