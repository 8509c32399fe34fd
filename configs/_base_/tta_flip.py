# Flip test-time augmentation for MMPretrain classifiers (`tools/test.py --tta`, or `tta=True` in
# a solution manifest): each image is predicted as is and mirrored left-right, and the class
# scores are averaged (MeanScoreTTA: mmpretrain's AverageClsScoreTTA with the label, crash
# probability and box following the mean). The branches go into the config's OWN test pipeline,
# before its pack step (custom_modules/engine/tta.py); the plain view comes first.
tta_model = dict(type='MeanScoreTTA')
tta_transforms = [[dict(type='RandomFlip', prob=0.0, direction='horizontal'),
                   dict(type='RandomFlip', prob=1.0, direction='horizontal')]]
