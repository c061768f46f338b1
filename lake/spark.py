"""The Spark engine for rollups: one SparkSession, configured the same everywhere.

``session()`` builds (or returns the running) SparkSession: master from ``master`` or the
setting ``MATA_GARUDA_SPARK_MASTER`` (default ``local[2]``), ``spark.ui.enabled=false``,
``spark.sql.session.timeZone=UTC``, few shuffle partitions (rollup groups are bounded by
the number of desa) and Arrow transfers without a silent fallback. Under ``spark-submit``
the master given there wins (see ``lake/spark_job.py``).

Spark needs Java 17 or 21 (``make java`` installs Debian's ``openjdk-17-jre-headless``) and
the ``spark`` extra (``pip install -e '.[spark]'``).
"""

from __future__ import annotations

import shutil
from typing import Any

from settings import Settings

DEFAULT_MASTER = "local[2]"
SHUFFLE_PARTITIONS = 4
#: Heap of the local driver (local mode runs the executors in it); under spark-submit,
#: ``--driver-memory`` decides. 1g (Spark's default) runs out on 10M media rows.
DRIVER_MEMORY = "4g"


class SparkUnavailable(RuntimeError):
    """PySpark or Java is missing: the Spark engine cannot start."""


def master_setting() -> str:
    """Return the configured master (``MATA_GARUDA_SPARK_MASTER``, default local[2])."""
    return Settings.from_env().spark_master or DEFAULT_MASTER


def session(master: str | None = None, *, app_name: str = "mata-garuda-rollup",
            submitted: bool = False) -> Any:
    """Return a SparkSession for rollups.

    ``submitted``: running under ``spark-submit``, whose ``--master`` is kept.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SparkUnavailable("pyspark is not installed: pip install -e '.[spark]'") from exc
    if shutil.which("java") is None:
        raise SparkUnavailable("java not found: install Java 17 (make java)")
    builder = SparkSession.builder.appName(app_name)
    if not submitted:  # the JVM starts here: its heap is set now or never
        builder = builder.master(master or master_setting()) \
            .config("spark.driver.memory", DRIVER_MEMORY)
    conf = {
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(SHUFFLE_PARTITIONS),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    }
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
