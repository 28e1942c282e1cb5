"""Background jobs (docs/operations.md, "Background jobs"): one row per task enqueued on
django-tasks, with who started it, its progress and why it failed; the workers that run
them, with their heartbeat; and the periodic tasks already enqueued."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


#: A job in one of these is live: it holds its kind's "busy" slot.
LIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(models.Model):
    """One piece of background work. ``kind`` names what it does (``transaction_import``,
    ``allocation_run``, or ``task`` for any other registered task); ``object_id`` is the
    row it works on (the import, the run); ``task_id`` the django-tasks result id of its
    latest attempt."""

    kind = models.CharField(_("kind"), max_length=40)
    task_path = models.CharField(_("task"), max_length=255)
    task_id = models.CharField(_("task result"), max_length=64, blank=True, db_index=True)
    arguments = models.JSONField(_("arguments"), default=dict, blank=True)
    object_id = models.PositiveBigIntegerField(_("object"), null=True, blank=True)
    label = models.CharField(_("what"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    phase = models.CharField(_("phase"), max_length=40, blank=True)
    error = models.TextField(_("error"), blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    worker_id = models.CharField(_("worker"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    enqueued_at = models.DateTimeField(_("enqueued"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-enqueued_at", "-pk"]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE


class JobWorker(models.Model):
    """A ``kam worker`` process: it writes ``heartbeat_at`` every few seconds; a worker whose
    heartbeat is stale, or whose process is gone, is dead and its running jobs fail."""

    worker_id = models.CharField(_("worker"), max_length=64, unique=True)
    hostname = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"))
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid}"


class PeriodicRun(models.Model):
    """A periodic task (setting ``KAM_PERIODIC_TASKS``) enqueued for one slot (its hour):
    unique, so two workers never enqueue the same slot twice."""

    task_path = models.CharField(_("task"), max_length=255)
    slot = models.DateTimeField(_("slot"))
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task_path", "slot"], name="periodic_run_once")
        ]

    def __str__(self) -> str:
        return f"{self.task_path} @ {self.slot:%Y-%m-%d %H:00}"
