"""Running the job: the per-service evaluation every run calls (the pipeline, scenarios, siting
runs and Dask partitions)."""

from .evaluate import ServiceEvaluation, evaluate_service, nearest_facility, threshold_label

__all__ = ["ServiceEvaluation", "evaluate_service", "nearest_facility", "threshold_label"]
