"""Why a pod's images were, or were not, pulled: ``pullsim explain SCENARIO POD``.

The explanation joins what the scenario says with what the run recorded:

- the pod's workload and, per container in the kubelet's pull order, the image, its pull policy
  and where the policy came from (written in the manifest, or defaulted from the tag:
  ``:latest`` or no tag → ``Always``, else ``IfNotPresent``; docs/kubernetes.md);
- the ServiceAccount admission applied (which account, and whether the pull secrets came from
  the pod or were copied from the account), secrets listed but missing
  (``FailedToRetrieveImagePullSecret``), and per image the credentials that match it in the
  keyring, by **username only** (never a password);
- from the ``pulls`` frame, every pull attempt: when it was asked for, how long it queued behind
  other pulls (serial queue, parallel-pull tokens), how long it pulled, its outcome and error;
- from the ``events`` frame, the pod's events (``BackOff``, ``Failed``, ``Pulled`` ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pullsim.kube import (
    PodSpec,
    ServiceAccountAdmissionError,
    Workload,
    admit_pod,
    default_pull_policy,
    pull_credentials,
    retrieve_pull_secrets,
)
from pullsim.scenario.model import Scenario

__all__ = ["PodNotFound", "explain_pod"]


class PodNotFound(LookupError):
    """No pod of that name in the run; the message lists the pods there are."""


def _raw_documents(scenario: Scenario) -> list[Any]:
    import yaml

    documents: list[Any] = []
    for source in scenario.manifests:
        text = source
        if "\n" not in source and Path(source).is_file():
            text = Path(source).read_text()
        documents.extend(d for d in yaml.safe_load_all(text) if isinstance(d, Mapping))
    return documents


def _written_policies(scenario: Scenario, workload: Workload) -> dict[str, str]:
    """Container name -> imagePullPolicy as written in the manifest (absent: not written)."""
    for document in _raw_documents(scenario):
        metadata = document.get("metadata") or {}
        if document.get("kind") != workload.kind or metadata.get("name") != workload.name:
            continue
        if (metadata.get("namespace") or "default") != workload.namespace:
            continue
        spec = document.get("spec") or {}
        if workload.kind != "Pod":
            spec = (spec.get("template") or {}).get("spec") or {}
        written = {}
        for key in ("initContainers", "containers"):
            for container in spec.get(key) or []:
                if isinstance(container, Mapping) and container.get("imagePullPolicy"):
                    written[str(container.get("name"))] = str(container["imagePullPolicy"])
        return written
    return {}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else round(number, 6)


def explain_pod(scenario: Scenario, result, pod: str) -> dict[str, Any]:
    """A JSON-ready explanation of ``pod`` (``name`` or ``namespace/name``) in ``result``
    (one strategy and seed; rows of other strategies/seeds in a stacked result are ignored
    unless they are the only ones)."""
    namespace, _, name = pod.rpartition("/")
    pods = result.pods
    rows = pods[(pods["pod"] == name) & ((pods["namespace"] == namespace) if namespace else True)]
    if rows.empty:
        known = sorted(set(pods["pod"]))
        shown = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "")
        raise PodNotFound(f"no pod {pod!r} in this run (pods: {shown or 'none'})")
    row = rows.iloc[0]
    namespace = str(row["namespace"])
    workloads, secrets, accounts = scenario.kubernetes_objects()
    workload = next(
        (
            w
            for w in workloads
            if w.name == row["workload"]
            and w.kind == row["workload_kind"]
            and w.namespace == namespace
        ),
        None,
    )
    explanation: dict[str, Any] = {
        "pod": name,
        "namespace": namespace,
        "strategy": str(row["strategy"]),
        "seed": int(row["seed"]),
        "workload": f"{row['workload_kind']}/{row['workload']}",
        "node": str(row["node"]) or None,
        "created_s": _number(row["created_s"]),
        "ready_s": _number(row["ready_s"]),
        "startup_s": _number(row["startup_s"]),
        "final_reason": str(row["final_reason"]),
        "waiting_s": _number(row["waiting_s"]),
        "pulling_s": _number(row["pulling_s"]),
        "pull_failures": int(row["pull_failures"]),
    }
    admitted: PodSpec | None = None
    if workload is not None:
        template = workload.pod_template
        try:
            admitted = admit_pod(template, accounts)
        except ServiceAccountAdmissionError as error:
            explanation["service_account"] = {"error": str(error)}
        if admitted is not None:
            explanation["service_account"] = {
                "name": admitted.service_account_name,
                "pull_secrets": list(admitted.image_pull_secrets),
                "pull_secrets_from": ("pod" if template.image_pull_secrets else "service account")
                if admitted.image_pull_secrets
                else "none",
            }
        written = _written_policies(scenario, workload)
        retrieved = retrieve_pull_secrets(
            namespace, admitted.image_pull_secrets if admitted else (), secrets
        )
        explanation["missing_secrets"] = list(retrieved.missing)
        keyring = scenario.node_keyring()
        containers = []
        for container in template.all_containers:
            policy = container.image_pull_policy.value
            if container.name in written:
                source = "set in the manifest"
            else:
                default = default_pull_policy(container.image).value
                source = f"defaulted from the image reference ({default})"
            try:
                credentials = pull_credentials(container.image, retrieved.secrets, keyring)
            except ValueError as error:
                credentials = ()
                explanation.setdefault("credential_errors", []).append(str(error))
            containers.append(
                {
                    "container": container.name,
                    "kind": container.kind.value,
                    "image": container.image,
                    "pull_policy": policy,
                    "pull_policy_source": source,
                    "credentials": [
                        {
                            "username": c.username,
                            "registry_key": c.registry_key,
                            "source": str(c.source),
                        }
                        for c in credentials
                    ],
                }
            )
        explanation["containers"] = containers
    pulls = result.pulls
    mine = pulls[(pulls["pod"] == name) & (pulls["namespace"] == namespace)]
    explanation["pulls"] = [
        {
            "container": str(p["container"]),
            "image": str(p["image"]),
            "attempt": int(p["attempt"]),
            "requested_s": _number(p["requested_s"]),
            "started_s": _number(p["started_s"]),
            "finished_s": _number(p["finished_s"]),
            "waiting_s": _number(p["waiting_s"]),
            "pulling_s": _number(p["pulling_s"]),
            "bytes_downloaded": _number(p["bytes_downloaded"]),
            "credential": str(p["credential"]) or None,
            "outcome": str(p["outcome"]),
            "reason": str(p["reason"]) or None,
            "error": str(p["error"]) or None,
        }
        for _, p in mine.iterrows()
    ]
    explanation["back_offs"] = int((mine["outcome"] == "back-off").sum())
    events = result.events
    own = events[events["object"] == f"pod/{namespace}/{name}"]
    explanation["events"] = [
        {
            "time_s": _number(e["time_s"]),
            "type": str(e["type"]),
            "reason": str(e["reason"]),
            "container": str(e["container"]) or None,
            "message": str(e["message"]),
        }
        for _, e in own.iterrows()
    ]
    explanation["verdict"] = _verdict(explanation)
    return explanation


def _verdict(explanation: Mapping[str, Any]) -> str:
    """One sentence a person can act on."""
    reason = explanation["final_reason"]
    if explanation.get("ready_s") is not None:
        waited = explanation.get("waiting_s") or 0.0
        return (
            f"ready after {explanation['startup_s']:.1f} s, of which {waited:.1f} s queued "
            "behind other pulls"
        )
    account = explanation.get("service_account") or {}
    if "error" in account:
        return f"never created: {account['error']}"
    missing = explanation.get("missing_secrets") or []
    without = [
        c["image"]
        for c in explanation.get("containers", [])
        if not c["credentials"] and c["pull_policy"] != "Never"
    ]
    failed = [p for p in explanation.get("pulls", []) if p["outcome"] == "failed"]
    if reason in ("ErrImagePull", "ImagePullBackOff") and failed:
        hint = ""
        if missing:
            hint = f"; pull secrets missing: {', '.join(missing)}"
        elif without:
            hint = (
                f"; no credential matches {', '.join(sorted(set(without)))} (ServiceAccount "
                f"{account.get('name', '?')!r} has pull secrets: "
                f"{', '.join(account.get('pull_secrets') or []) or 'none'}), "
                "so the pull was anonymous"
            )
        return f"not ready: {reason} after {len(failed)} failed pulls{hint}"
    return f"not ready at the horizon: {reason}"
