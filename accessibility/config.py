"""The TOML project file's schema: kept importable here; it lives in
:mod:`accessibility.project.config`."""

from .project.config import DEFAULTS, load_config, validate_config
from .project.config import OUTPUT_SUFFIXES as OUTPUT_SUFFIXES
from .project.config import SERVICE_KEYS as SERVICE_KEYS

__all__ = ["DEFAULTS", "load_config", "validate_config"]
