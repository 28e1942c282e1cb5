"""Tasks the jobs tests enqueue: any registered django-tasks task runs as a job."""

from __future__ import annotations

from django_tasks import task

CALLS: list[str] = []


@task()
def note(text: str = "weekly") -> str:
    CALLS.append(text)
    return text


@task()
def fails(text: str = "") -> None:
    raise ValueError(f"the dummy task failed on purpose {text}".strip())
