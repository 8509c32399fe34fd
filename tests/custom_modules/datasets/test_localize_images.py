"""LocalizeDataset reads prep_localize's tables: folds, boxes, test images."""
from __future__ import annotations

import numpy as np
import pytest
from mmpretrain.registry import DATASETS

import custom_modules  # noqa: F401  (registration)

ANNOTATIONS = """\
image_id,file,width,height,cls,label,xmin,ymin,xmax,ymax,xmin_n,ymin_n,xmax_n,ymax_n,fold
a,a.jpg,100,50,disc,0,10,5,30,25,0.1,0.1,0.3,0.5,0
b,b.jpg,80,80,square,1,0,0,40,40,0,0,0.5,0.5,1
c,c.jpg,60,90,square,1,5,5,50,80,0.08,0.06,0.83,0.89,1
"""


@pytest.fixture
def lists(tmp_path):
    (tmp_path / 'annotations.csv').write_text(ANNOTATIONS)
    (tmp_path / 'test.csv').write_text('image_id,file,width,height\nt1,t1.png,30,40\n')
    (tmp_path / 'classes.txt').write_text('disc\nsquare\n')
    return tmp_path


def build(lists, **kwargs):
    return DATASETS.build(dict(type='LocalizeDataset', data_prefix=dict(img_path='/imgs'),
                               classes=str(lists / 'classes.txt'), lazy_init=False, **kwargs))


def test_train_and_val_split_by_fold(lists):
    train = build(lists, ann_file=str(lists / 'annotations.csv'), split='train', fold=0)
    val = build(lists, ann_file=str(lists / 'annotations.csv'), split='val', fold=0)
    assert [train.get_data_info(i)['sample_id'] for i in range(len(train))] == ['b', 'c']
    assert [val.get_data_info(i)['sample_id'] for i in range(len(val))] == ['a']
    a = val.get_data_info(0)
    assert a['img_path'] == '/imgs/a.jpg' and a['gt_label'] == 0
    np.testing.assert_array_equal(a['gt_bboxes'], [[10, 5, 30, 25]])
    np.testing.assert_array_equal(a['ori_bbox'], [10, 5, 30, 25])
    assert val.CLASSES == ('disc', 'square')


def test_test_list_has_no_targets(lists):
    test = build(lists, ann_file=str(lists / 'test.csv'))
    info = test.get_data_info(0)
    assert info['sample_id'] == 't1' and 'gt_bboxes' not in info and 'gt_label' not in info


def test_bad_arguments_and_labels(lists):
    with pytest.raises(ValueError, match='needs a fold'):
        build(lists, ann_file=str(lists / 'annotations.csv'), split='val')
    (lists / 'classes.txt').write_text('disc\n')
    with pytest.raises(ValueError, match=r'annotations.csv:3: label 1 outside the 1 classes'):
        build(lists, ann_file=str(lists / 'annotations.csv'))
