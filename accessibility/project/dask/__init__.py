"""Partitioned runs on Dask: a province or the whole country, one county per task.

:func:`run_partitioned` runs a project file like :func:`accessibility.project.run_project`, split by
an administrative unit, one Dask task per unit, with a checkpoint file per task; the merged layer
equals the single-machine layer exactly. :func:`make_region` builds a synthetic multi-county
region for tests and benchmarks.

========================  ==========================================================================
``plan``                  the buffer that bounds every trip, partitions, what each task takes
``checkpoints``           a task's checkpoint file: its hash name, writing and reading it
``tasks``                 one partition task, as it runs on a worker
``execute``               submitting the tasks to the cluster, levels of wider buffers, failures
``merge``                 the partitions' rows merged into one layer, road components linked
``run``                   :func:`run_partitioned`: the driver
``region``                a synthetic multi-county region and its project file
``national``              a national-shaped test bed: provinces, facilities beside county borders
``cluster``               a scheduler and separate worker processes on this machine
========================  ==========================================================================

Requires the ``[dask]`` extra (``pip install "accessibility[dask]"``).
"""

from .cluster import ProcessCluster, process_cluster
from .execute import PartitionError
from .national import make_national, province_of
from .plan import (
    DEFAULT_PARTITION_COLUMN,
    LOCAL_MEASURES,
    TWO_STEP_MEASURES,
    UNSUPPORTED_MEASURES,
    WHOLE_AREA,
    buffer_radius_m,
    max_speeds_kmh,
)
from .region import Region, make_region, write_region_project
from .run import PartitionedRunResult, run_partitioned

__all__ = [
    "DEFAULT_PARTITION_COLUMN",
    "LOCAL_MEASURES",
    "TWO_STEP_MEASURES",
    "UNSUPPORTED_MEASURES",
    "WHOLE_AREA",
    "PartitionError",
    "PartitionedRunResult",
    "ProcessCluster",
    "Region",
    "buffer_radius_m",
    "make_national",
    "make_region",
    "max_speeds_kmh",
    "process_cluster",
    "province_of",
    "run_partitioned",
    "write_region_project",
]
