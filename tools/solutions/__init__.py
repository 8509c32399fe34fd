"""The solution runner behind ``train.sh`` / ``inference.sh``: manifest -> stages -> submission."""
