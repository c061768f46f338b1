"""``spark-submit lake/spark_job.py --lake /path``: the lake's rollups on a Spark cluster.

Runs every definition of :mod:`lake.rollup` (or those given with ``--indicator``) with the
Spark engine over the lake's live files and writes the result (the rollup output contract)
to ``--out`` as Parquet. The master is the one ``spark-submit --master`` gives; the lake
must be on a path every executor sees (a shared filesystem).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file by spark-submit: the checkout is the root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lake.rollup import definition, rollup  # noqa: E402
from lake.spark import session  # noqa: E402
from lake.store import Lake  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the rollup on Spark, write the result."""
    parser = argparse.ArgumentParser(prog="spark_job.py", description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, required=True, help="the lake's root directory")
    parser.add_argument("--out", type=Path, default=Path("rollup.parquet"),
                        help="where to write the result (Parquet)")
    parser.add_argument("--master", default=None,
                        help="Spark master when not run by spark-submit (e.g. local[2])")
    parser.add_argument("--indicator", action="append", default=None,
                        help="only this definition (repeatable)")
    args = parser.parse_args(argv)
    if not args.lake.is_dir():
        parser.error(f"--lake {args.lake}: no such directory")
    defs = None if args.indicator is None else [definition(i) for i in args.indicator]
    spark = session(args.master, submitted=args.master is None)
    try:
        result = rollup(Lake(args.lake.resolve()), defs, engine="spark", session=spark)
    finally:
        spark.stop()
    result.write_parquet(args.out)
    print(f"{result.height} values of {result['indicator_id'].n_unique()} indicators"
          f" -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
