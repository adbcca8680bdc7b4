"""The sections of ``workbench.yaml`` that belong to one stage each, declared below the stages.

They live here, not in their stages, because :class:`~workbench.core.config.ProjectConfig`
assembles them all and the core layer imports no stage.
"""
