"""Data preparation: frame extraction, training-list builders, folds, dataset statistics."""
