"""TRANSITIONAL re-export of custom_modules.utils (removed once every caller imports the library)."""
from custom_modules.utils.atomic import (OutputSet, atomic_write_bytes, atomic_write_json,  # noqa: F401
                                         atomic_write_text, lines_text, staged_outputs)
from custom_modules.utils.validation import (MAX_SHOWN_PROBLEMS, DataError, Problem,  # noqa: F401
                                             Problems, parse_multipliers, read_class_list,
                                             read_table, report_duplicates)
