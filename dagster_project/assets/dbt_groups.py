"""Dagster groups for the dbt models: one per layer of the dbt project (staging, intermediate,
marts, shared), so the asset graph reads as the warehouse's stages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster_dbt import DagsterDbtTranslator

#: The dbt project's top-level model folders, in build order.
LAYERS = ("staging", "intermediate", "marts", "shared")


class LayerGroups(DagsterDbtTranslator):
    """Puts every dbt model in the group named after its top-level folder."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        is_model = dbt_resource_props.get("resource_type") == "model"
        if is_model and len(fqn) > 2 and fqn[1] in LAYERS:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)
