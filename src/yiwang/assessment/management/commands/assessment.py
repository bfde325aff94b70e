"""`yiwang assessment …` is the same command as `yiwang assess …` (the app-named operator command)."""

from yiwang.assessment.management.commands.assess import Command

__all__ = ["Command"]
