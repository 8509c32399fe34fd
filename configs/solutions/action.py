# Solution manifest: clip action recognition (origin: a clip action recognition contest).
# bash train.sh 4 && bash inference.sh 4  ->  work_dirs/action/submission.csv
#
# Data contract (under data_root, or DATA_ROOT):
#   train.csv              video_filename,class
#   sample_submission.csv  video_filename,class   (its order is the submission's order)
#   train/ test/           the videos
#   train_boxes.csv        optional: filename,categoryid,width,height,xmin,ymin,xmax,ymax per
#                          frame (filename = <video stem>/img_00001.jpg); enables the detector
#   det_classes.txt        the detector's class names, one per line (categoryid 1 = first line)
solution = 'action'
flow = 'action'
data_root = 'data/action'
work_dir = 'work_dirs/action'
inputs = dict(
    train_csv='train.csv',
    sample_submission='sample_submission.csv',
    train_videos='train',
    test_videos='test',
    boxes_csv='train_boxes.csv',
    det_classes='det_classes.txt',
    classes=None,  # a class-list file in data_root; None: train.csv's sorted classes
)
extract = dict(workers=None, options=dict(ext='jpg', quality=95))
preprocess = dict(folds=5, seed=0, oversample=dict(putup_umbrella=2, ride_kick=2, fall_down=3))
folds = [0]  # FOLDS=0,1,2,3,4 trains every fold and ensembles them
# Scale each config's lr by (processes x batch) / its auto_scale_lr.base_batch_size, so
# `train.sh N` with another N than the config was tuned for keeps the same recipe.
auto_scale_lr = True
# Every training gets --seed 0 --deterministic, as the origin trained (tools/train.py).
seed = 0
deterministic = True
# tta = True: the TSMs predict with 2 clips x 3 crops (tools/test.py --tta); training then also
# writes tta_oof.json, the out-of-fold accuracy without vs with it. A run's tta=False opts out.

# torchvision's ImageNet ResNet-50 (resnet50-0676ba61.pth from the torchvision model zoo).
resnet50 = dict(
    file='checkpoints/resnet50-0676ba61.pth',
    what="torchvision's ImageNet ResNet-50 weights (resnet50-0676ba61.pth)",
)
runs = [
    dict(name='tsm1', kind='recognizer', weight=0.5,
         config='configs/tsm/tsm_imagenet-pretrained-r50_4xb8-1x1x8-step-50e_action-rawframes-224px.py',
         train_list='train_fold{fold}.txt',
         pretrained=dict(**resnet50, cfg_options={'model.backbone.pretrained': '{file}',
                                                  'model.backbone.pretrained2d': True})),
    dict(name='tsm2', kind='recognizer', weight=0.5,
         config='configs/tsm/'
         'tsm_imagenet-pretrained-r50_4xb8-1x1x8-step-50e_action-rawframes-oversampled-224px.py',
         train_list='train_fold{fold}_oversampled.txt',
         pretrained=dict(**resnet50, cfg_options={'model.backbone.pretrained': '{file}',
                                                  'model.backbone.pretrained2d': True})),
    dict(name='faster_rcnn', kind='detector', needs_boxes=True,
         config='configs/faster_rcnn/faster-rcnn_r50_fpn_2xb4-step-12e_action-frames-1333x800px.py',
         pretrained=dict(**resnet50, cfg_options={'model.backbone.pretrained': '{file}'})),
]

# The origin's rules, as data (custom_modules/postprocess), applied in order to the ensemble:
# (a) an unsure putup_umbrella falls back to the top-2; (b) four substitutions, each when the
# current prediction is `src` and `dst` is among (current, original 2nd, original 3rd);
# (c) the detector rules, which both read the prediction after (b) (group='detectors'); where
# both fire the later one, fall_down, wins. Without boxes (c) is off, with a printed line.
rules_detector = 'faster_rcnn'
postprocess_rules = [
    dict(type='threshold_fallback', cls='putup_umbrella', min_prob=0.95),
    dict(type='topk_substitute', src='jay_walk', dst='driveway_walk', k=3,
         among='current_and_runners_up'),
    dict(type='topk_substitute', src='normal', dst='jay_walk', k=3,
         among='current_and_runners_up'),
    dict(type='topk_substitute', src='ride_kick', dst='driveway_walk', k=3,
         among='current_and_runners_up'),
    dict(type='topk_substitute', src='fighting', dst='driveway_walk', k=3,
         among='current_and_runners_up'),
    dict(type='detector_count', det_class='ride_kick', min_score=0.9, min_count=20,
         when_pred_in=['driveway_walk', 'jay_walk'], then='ride_kick', group='detectors'),
    dict(type='detector_count', det_class='fall_down', min_score=0.5, min_count=10,
         when_pred_in=['driveway_walk', 'jay_walk', 'normal'], then='fall_down',
         group='detectors'),
]
