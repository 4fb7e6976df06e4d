"""Karmada's ResourceInterpreterCustomization for Workspace (pure).

- ``statusReflection``: what Karmada collects from the member's Workspace — its status,
  plus the member object's generation and the hub generation it was made from, so the hub
  can tell whether the member has caught up with the latest spec.
- ``healthInterpretation``: healthy when the member reports ``Ready=True``.
- ``statusAggregation``: writes the member's conditions, endpoints, namespace, grants and
  the member's name onto the hub object, keeping the hub's own ``Member`` condition and
  letting a failed one decide ``Ready``. ``havre.federation.status.aggregate`` is the
  same function in Python; change both together.
"""

from __future__ import annotations

from typing import Any

from havre.api import API_VERSION

INTERPRETER_NAME = "havre-workspace"

REFLECT_STATUS = """\
function ReflectStatus(observedObj)
  local status = {}
  if observedObj == nil or observedObj.status == nil then
    return status
  end
  status = observedObj.status
  if observedObj.metadata == nil then
    return status
  end
  status.generation = observedObj.metadata.generation
  local annotations = observedObj.metadata.annotations
  if annotations ~= nil then
    status.resourceTemplateGeneration =
      tonumber(annotations["resourcetemplate.karmada.io/generation"])
  end
  return status
end
"""

INTERPRET_HEALTH = """\
function InterpretHealth(observedObj)
  if observedObj.status == nil or observedObj.status.conditions == nil then
    return false
  end
  for i = 1, #observedObj.status.conditions do
    local condition = observedObj.status.conditions[i]
    if condition.type == "Ready" then
      return condition.status == "True"
    end
  end
  return false
end
"""

AGGREGATE_STATUS = """\
function AggregateStatus(desiredObj, statusItems)
  local function find(conditions, kind)
    if conditions == nil then
      return nil
    end
    for i = 1, #conditions do
      if conditions[i].type == kind then
        return conditions[i]
      end
    end
    return nil
  end
  local function stamped(condition, generation)
    return {
      type = condition.type,
      status = condition.status,
      reason = condition.reason,
      message = condition.message,
      lastTransitionTime = condition.lastTransitionTime,
      observedGeneration = generation,
    }
  end
  if statusItems == nil then
    return desiredObj
  end
  local item = nil
  for i = 1, #statusItems do
    local candidate = statusItems[i]
    if candidate.status ~= nil and find(candidate.status.conditions, "Ready") ~= nil then
      item = candidate
    end
  end
  if item == nil then
    return desiredObj
  end
  local old = desiredObj.status
  if old == nil then
    old = {}
  end
  local observed = item.status
  local generation = old.observedGeneration
  if observed.observedGeneration ~= nil
      and observed.observedGeneration == observed.generation
      and observed.resourceTemplateGeneration ~= nil then
    generation = observed.resourceTemplateGeneration
  end
  if generation == nil then
    generation = 0
  end
  local status = {}
  status.member = item.clusterName
  status.observedGeneration = generation
  status.namespace = observed.namespace
  if observed.endpoints ~= nil and next(observed.endpoints) ~= nil then
    status.endpoints = observed.endpoints
  end
  if observed.grants ~= nil and #observed.grants > 0 then
    status.grants = observed.grants
  end
  local member = find(old.conditions, "Member")
  local conditions = {}
  if member ~= nil and member.status ~= "True" then
    conditions[1] = stamped(member, member.observedGeneration)
    conditions[1].type = "Ready"
    conditions[1].status = "False"
  else
    conditions[1] = stamped(find(observed.conditions, "Ready"), generation)
  end
  for i = 1, #observed.conditions do
    local condition = observed.conditions[i]
    if condition.type ~= "Ready" and condition.type ~= "Member" then
      conditions[#conditions + 1] = stamped(condition, generation)
    end
  end
  if member ~= nil then
    conditions[#conditions + 1] = member
  end
  status.conditions = conditions
  desiredObj.status = status
  return desiredObj
end
"""


def render_interpreter() -> dict[str, Any]:
    """The one customization the hub needs: how to read a member's Workspace."""
    return {
        "apiVersion": "config.karmada.io/v1alpha1",
        "kind": "ResourceInterpreterCustomization",
        "metadata": {
            "name": INTERPRETER_NAME,
            "labels": {"app.kubernetes.io/managed-by": "havre"},
        },
        "spec": {
            "target": {"apiVersion": API_VERSION, "kind": "Workspace"},
            "customizations": {
                "statusReflection": {"luaScript": REFLECT_STATUS},
                "healthInterpretation": {"luaScript": INTERPRET_HEALTH},
                "statusAggregation": {"luaScript": AGGREGATE_STATUS},
            },
        },
    }
