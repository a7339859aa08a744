from django.db import migrations, models

import labeling.models.projects


class Migration(migrations.Migration):

    dependencies = [
        ('labeling', '0005_annotator_page'),
    ]

    operations = [
        migrations.AddField(
            model_name='project',
            name='metric',
            field=models.CharField(blank=True, choices=[('', 'Automatic: macro-F1 if the classes are imbalanced, else accuracy (fixed at the first retrain)'), ('accuracy', 'Accuracy'), ('balanced_accuracy', 'Balanced accuracy (mean recall per class)'), ('macro_f1', 'Macro-F1 (mean F1 per class)')], default='', help_text='What decides how good a model is; blank: chosen from the labels at the first retrain.', max_length=30),
        ),
        migrations.AlterField(
            model_name='project',
            name='strategy',
            field=models.CharField(default='auto', max_length=50, validators=[labeling.models.projects.validate_strategy]),
        ),
    ]
