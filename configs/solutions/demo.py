# Solution manifest: the action flow on a tiny SYNTHETIC dataset generated on first use
# (tools/data/make_demo_data.py: moving coloured shapes, 4 directions of motion, boxes of a
# `ball` and a `box`), with tiny models and short schedules so the whole flow runs on a CPU:
#   bash train.sh 1 demo && bash inference.sh 1 demo  ->  work_dirs/demo/submission.csv
_base_ = './action.py'

solution = 'demo'
data_root = 'data/demo'
work_dir = 'work_dirs/demo'
demo_data = True
inputs = dict(classes='classes.txt', det_classes='box_classes.txt',
              hidden_test_labels='test_labels_synthetic.csv')
preprocess = dict(folds=4, oversample=dict(_delete_=True, move_down=2))

runs = [
    dict(name='tsm1', kind='recognizer', weight=0.5,
         config='configs/tsm/tsm_mobilenetv2_1xb8-1x1x8-step-20e_action-demo-rawframes-64px.py',
         train_list='train_fold{fold}.txt'),
    dict(name='tsm2', kind='recognizer', weight=0.5,
         config='configs/tsm/tsm_mobilenetv2_1xb8-1x1x8-step-20e_action-demo-rawframes-oversampled-64px.py',
         train_list='train_fold{fold}_oversampled.txt'),
    dict(name='detector', kind='detector', needs_boxes=True,
         config='configs/faster_rcnn/faster-rcnn_tinyconvnet_fpn_1xb8-step-4e_action-demo-frames-96px.py'),
]
# The recognizers' weights fitted on the OOF predictions when every fold is trained (FOLDS=all);
# with fewer folds the runs' 0.5/0.5 (a printed line says so).
ensemble = dict(weights='oof')

rules_detector = 'detector'
# A `box` is only ever drawn moving down: many confident box detections overrule the clip model.
# `grid`: the values tried on the out-of-fold predictions (train with FOLDS=all); the best by OOF
# accuracy is used for the submission (work_dirs/demo/rules_oof.txt shows the search).
postprocess_rules = [
    dict(type='detector_count', det_class='box', min_score=0.7, min_count=8,
         when_pred_in=['move_left', 'move_right', 'move_up'], then='move_down',
         grid=dict(min_count=[4, 8, 16], min_score=[0.5, 0.7, 0.9])),
]
