"""Saving, resuming and comparing runs: every run's settings, metrics and last checkpoint on disk.

Every whole file is written to a temporary name in the same folder, synced and renamed, so a
crash at any moment leaves the previous one whole. Knows nothing of the interface.
"""

from .files import CHECKPOINT_FILE, FORMAT, LOCK_FILE, METRICS_FILE, SETTINGS_FILE, babytui_home, new_run_id, write_atomic
from .compare import Comparison, compare, compare_runs, differing_settings
from .ghosts import CourseGhost, DataKey, course_ghosts, ghosts_for
from .metrics import Metrics, read_metrics
from .recorder import Recorder, start_recording
from .store import Run, RunStore
from .table import CSV_COLUMNS, NOT_COMPARED, STATUSES, TABLE_HEADER, RunSummary, changed_settings, settings_to_json, write_csv

__all__ = [
    "CHECKPOINT_FILE", "CSV_COLUMNS", "Comparison", "CourseGhost", "DataKey", "course_ghosts", "ghosts_for", "compare", "compare_runs", "differing_settings", "FORMAT", "LOCK_FILE", "METRICS_FILE", "NOT_COMPARED", "SETTINGS_FILE",
    "STATUSES", "TABLE_HEADER", "Metrics", "Recorder", "Run", "RunStore", "RunSummary", "babytui_home",
    "changed_settings", "new_run_id", "read_metrics", "settings_to_json", "start_recording", "write_atomic", "write_csv",
]
