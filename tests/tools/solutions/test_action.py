"""The action flow's own logic, without training (the trainings are in the slow tests)."""
from __future__ import annotations

from tools.solutions.action import rules_stamp


def test_rules_in_force_are_an_output_of_the_submission(tmp_path):
    """Boxes added or removed change the rules in force, so the submission is made again."""
    with_boxes = [{'type': 'topk_substitute', 'src': 'a', 'dst': 'b', 'k': 3},
                  {'type': 'detector_count', 'det_class': 'box', 'min_score': 0.7,
                   'min_count': 8, 'then': 'a'}]
    same = [dict(r) for r in with_boxes]
    assert rules_stamp(tmp_path, with_boxes) == rules_stamp(tmp_path, same)
    assert rules_stamp(tmp_path, with_boxes) != rules_stamp(tmp_path, with_boxes[:1])
    assert rules_stamp(tmp_path, []).parent == tmp_path
