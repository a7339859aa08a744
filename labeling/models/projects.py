from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from labeling.keys import CLASS_KEYS
from learner.encoders import ENCODERS
from learner.finetune import FINETUNABLE_ENCODERS
from learner.ranking import DEFAULT_STRATEGY, STRATEGY_NAMES


def validate_encoder(name: str) -> None:
    if name and name not in ENCODERS:
        known = ", ".join(sorted(ENCODERS))
        raise ValidationError(f"Unknown encoder {name!r}; known: {known}, or blank for built-in features.")


def validate_class_key(key: str) -> None:
    if key and key not in CLASS_KEYS:
        raise ValidationError(f"Key {key!r} cannot pick a class: use a digit or a lower-case letter a-z.")


def validate_strategy(name: str) -> None:
    if name not in STRATEGY_NAMES:
        raise ValidationError(f"Unknown strategy {name!r}; known: {', '.join(STRATEGY_NAMES)}.")


class Project(models.Model):
    """A labeling effort: what is labeled, with which classes, and how the model asks."""

    class Modality(models.TextChoices):
        IMAGE = "image", "Image"
        TEXT = "text", "Text"

    class Metric(models.TextChoices):
        AUTOMATIC = "", "Automatic: macro-F1 if the classes are imbalanced, else accuracy (fixed at the first retrain)"
        ACCURACY = "accuracy", "Accuracy"
        BALANCED_ACCURACY = "balanced_accuracy", "Balanced accuracy (mean recall per class)"
        MACRO_F1 = "macro_f1", "Macro-F1 (mean F1 per class)"

    class Resolution(models.TextChoices):
        MAJORITY = "majority", "Majority: the most frequent label; a tie goes to review"
        UNANIMOUS = "unanimous", "Unanimous: every label must agree; any disagreement goes to review"
        ADJUDICATED = "adjudicated", "Adjudicated: a reviewer decides every item once it has all its labels"

    class Adaptation(models.TextChoices):
        NONE = "none", "None"
        CONTRASTIVE = "contrastive", "Contrastive (SimCLR on the pool)"

    name = models.CharField(max_length=200, unique=True)
    modality = models.CharField(max_length=10, choices=Modality.choices)
    label_budget = models.PositiveIntegerField(default=500, help_text="Labels the team can afford.")
    retrain_every = models.PositiveIntegerField(
        default=20,
        validators=[MinValueValidator(1)],
        help_text="Queue a retrain after this many new labels.",
    )
    strategy = models.CharField(max_length=50, default=DEFAULT_STRATEGY, validators=[validate_strategy])
    metric = models.CharField(
        max_length=30,
        choices=Metric.choices,
        blank=True,
        default=Metric.AUTOMATIC,
        help_text="What decides how good a model is; blank: chosen from the labels at the first retrain.",
    )
    encoder = models.CharField(
        max_length=50,
        blank=True,
        validators=[validate_encoder],
        help_text="Pretrained encoder whose embeddings the model learns from; blank: pixels or TF-IDF.",
    )
    diverse_batches = models.BooleanField(
        default=True, help_text="Spread each batch over the embedding space instead of taking the top scores."
    )
    committee_size = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(2), MaxValueValidator(50)],
        help_text="Members of the committee that committee strategies (vote entropy, BALD, ...) train.",
    )
    density_beta = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0.0)],
        help_text="Information density: 0 ignores density, larger values favour typical items.",
    )
    adaptation = models.CharField(
        max_length=20,
        choices=Adaptation.choices,
        default=Adaptation.NONE,
        help_text="Contrastive: adapt the encoder's embeddings to the unlabeled pool (SimCLR) before training.",
    )
    finetune_last_block = models.BooleanField(
        default=False,
        help_text="Also fine-tune the encoder's last block with the head on the labels (EfficientNet only; "
        "best on a GPU). Committee strategies keep the frozen embeddings.",
    )
    seed = models.IntegerField(default=0, help_text="Fixes the cold-start order and training.")
    min_visible_ms = models.PositiveIntegerField(
        default=150,
        validators=[MaxValueValidator(10_000)],
        help_text="A key pressed before the item was on screen this long is ignored (no blind labels).",
    )
    prefetch = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Items an annotator holds at once: the one on screen and the ones preloaded behind it.",
    )
    target_score = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="The score (0-1, in the project's metric) the team aims for; the dashboard projects the labels "
        "needed to reach it.",
    )
    instructions = models.TextField(blank=True, help_text="Guidelines for annotators, in Markdown.")
    audit_fraction = models.FloatField(
        default=0.05,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.5)],
        help_text="Without evaluation items: the share of served items drawn uniformly at random as audit items, "
        "labeled like any other, never trained on, used to measure the model.",
    )
    labels_per_item = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Distinct annotators who label each item; more than one measures agreement and catches slips.",
    )
    resolution = models.CharField(
        max_length=11,
        choices=Resolution.choices,
        default=Resolution.MAJORITY,
        help_text="How an item's labels become the one label that training, metrics and exports use.",
    )
    gold_rate = models.FloatField(
        default=0.1,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.5)],
        help_text="Share of each annotator's served items that are gold items (known answers), while any are "
        "left for them; 0 stops serving them. Nothing happens until an owner marks gold items.",
    )
    # Counters kept by labeling.services.budget in the same transactions that write labels, so the
    # hot paths (every item served, every label) read one row instead of counting a growing table.
    labels_spent = models.PositiveIntegerField(
        default=0, editable=False, help_text="Labels counted against the budget: every label except on gold items."
    )
    labels_given = models.PositiveIntegerField(
        default=0, editable=False, help_text="Labels and gold answers ever given, never decreasing: what is new "
        "since a retrain is at most the difference."
    )
    labels_given_at_retrain = models.PositiveIntegerField(
        default=0, editable=False, help_text="labels_given when the newest retrain was queued."
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="projects", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        missing = ENCODERS[self.encoder].missing() if self.encoder in ENCODERS else None
        if missing:
            raise ValidationError({"encoder": f"Encoder {self.encoder!r} is not installed here: {missing}."})
        if self.encoder in ENCODERS and ENCODERS[self.encoder].modality != self.modality:
            raise ValidationError({"encoder": f"Encoder {self.encoder!r} embeds {ENCODERS[self.encoder].modality}s, "
                                              f"but the project holds {self.modality} items."})
        if self.adaptation == self.Adaptation.CONTRASTIVE and not self.encoder:
            raise ValidationError({"adaptation": "Contrastive adaptation needs a pretrained encoder; choose one."})
        if self.finetune_last_block and self.encoder not in FINETUNABLE_ENCODERS:
            known = ", ".join(sorted(FINETUNABLE_ENCODERS))
            raise ValidationError({"finetune_last_block": f"Fine-tuning the last block needs an image encoder with one "
                                                          f"({known}); the project's is {self.encoder or 'none'!r}."})
        if self.finetune_last_block and self.adaptation != self.Adaptation.NONE:
            raise ValidationError({"finetune_last_block": "Choose fine-tuning or contrastive adaptation, not both."})


class Membership(models.Model):
    """A user's role on one project; labeling.permissions says what each role may do."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        REVIEWER = "reviewer", "Reviewer"
        ANNOTATOR = "annotator", "Annotator"
        VIEWER = "viewer", "Viewer"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=9, choices=Role.choices, default=Role.ANNOTATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "user"]
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="membership_one_per_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) on {self.project}"


class LabelClass(models.Model):
    """One class of a project; `position` orders the buttons.

    Its keyboard key is `key` when an admin set one, else chosen by labeling.keys.class_keys.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="label_classes")
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField()
    key = models.CharField(
        max_length=1,
        blank=True,
        validators=[validate_class_key],
        help_text="Keyboard key that picks this class (a digit or a lower-case letter); blank: chosen for you.",
    )
    description = models.TextField(blank=True, help_text="What belongs in this class, in Markdown.")
    examples = models.ManyToManyField(
        "labeling.Item", blank=True, related_name="example_of", help_text="Items that show the class well."
    )

    class Meta:
        ordering = ["project", "position"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="label_class_unique_name"),
            models.UniqueConstraint(fields=["project", "position"], name="label_class_unique_position"),
            models.UniqueConstraint(
                fields=["project", "key"], condition=~models.Q(key=""), name="label_class_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name
