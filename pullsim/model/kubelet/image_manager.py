"""The kubelet's image manager: EnsureImageExists for one container of one pod.

Source: ``pkg/kubelet/images/image_manager.go`` (kubernetes/kubernetes), in its order:

1. ``applyDefaultImageTag``: an unparseable image fails ``InvalidImageName`` (event
   ``InspectFailed``, ``Failed to apply default image tag "<img>": ...``).
2. Is the image present (``GetImageRef``)? With the pull policy and, when the
   ``KubeletEnsureSecretPulledImages`` gate is on, the KEP-2535 pull records
   (:func:`pullsim.kube.decide_present_image`): use it (event ``Pulled``, ``Container image
   "<img>" already present on machine``), fail ``ErrImageNeverPull`` (event
   ``ErrImageNeverPull``, ``Container image "<img>" is not present with pull policy of
   Never``), or pull.
3. Back-off (key ``<podUID>_<image as written>``): while in back-off, event ``BackOff``
   (``Back-off pulling image "<img>"``) and reason ``ImagePullBackOff``, no pull.
4. Event ``Pulling`` (``Pulling image "<img>"``), hand the pull to the puller (serial, parallel
   or capped; :mod:`.pullers`), which calls the QPS-throttled image service
   (``pull QPS exceeded`` at once when the bucket is empty) and then the runtime with the
   credentials found (pod secrets first, then the node's keyring; KUBELET.md §7).
5. Failure: event ``Failed`` (``Failed to pull image "<img>": <error>``), ``backOff.Next``,
   reason ``ErrImagePull``. Success: event ``Pulled`` (``Successfully pulled image "<img>" in
   <pull> (<pull + waiting> including waiting). Image size: <n> bytes.``, durations truncated
   to the millisecond as Go prints them), the KEP-2535 record updated, back-off GC.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import simpy

from pullsim.kube import (
    Backoff,
    Credential,
    ImagePullRecord,
    InvalidImageName,
    Keyring,
    KubeletConfiguration,
    PresentImageDecision,
    PullSecretCoordinates,
    Secret,
    decide_present_image,
    image_back_off_key,
    parse_image_ref,
    pull_credentials,
)
from pullsim.kube import errors as kube_errors
from pullsim.kube.durations import format_go_duration
from pullsim.kube.ensure_secret_pulled import (
    image_name_without_tag_or_digest,
    record_after_pull,
    requires_credential_verification,
)
from pullsim.model.kubelet.pullers import PULL_QPS_EXCEEDED, ImagePuller, PullQPSLimiter
from pullsim.model.runtime import ContainerRuntime, PullResult

__all__ = ["EnsureResult", "ImageManager", "go_duration_ms"]


def go_duration_ms(seconds: float) -> str:
    """Go's ``Duration.Truncate(time.Millisecond).String()``: 1.2345 → ``1.234s``."""
    milliseconds = int(seconds * 1000 + 1e-6)
    return format_go_duration(milliseconds * 1_000_000)


@dataclass(frozen=True, slots=True)
class EnsureResult:
    """What EnsureImageExists returned: ``reason`` is empty on success."""

    ok: bool
    reason: str = ""
    message: str = ""


class ImageManager:
    """EnsureImageExists for one node (see the module docstring)."""

    def __init__(
        self,
        env: simpy.Environment,
        runtime: ContainerRuntime,
        puller: ImagePuller,
        config: KubeletConfiguration,
        *,
        backoff: Backoff,
        events: list[dict[str, Any]],
        pulls: list[dict[str, Any]],
        node_keyring: Keyring | None = None,
        on_image_pulled=None,
    ) -> None:
        self.env = env
        self.runtime = runtime
        self.node = runtime.node.name
        self.puller = puller
        self.config = config
        self.backoff = backoff
        self.events = events
        self.pulls = pulls
        self.node_keyring = node_keyring
        self.qps = (
            PullQPSLimiter(config.registryPullQPS, config.registryBurst, env.now)
            if config.registryPullQPS > 0
            else None
        )
        self.on_image_pulled = on_image_pulled
        # KEP-2535 state: records by image name; image digests the kubelet itself pulled.
        self.pull_records: dict[str, ImagePullRecord] = {}
        self.pulled_by_kubelet: set[str] = set()
        self.attempts: dict[str, int] = {}

    # ------------------------------------------------------------------ events
    def event(self, pod, container: str, kind: str, reason: str, message: str) -> None:
        self.events.append(
            {
                "time_s": self.env.now,
                "node": self.node,
                "object": f"pod/{pod.namespace}/{pod.name}",
                "container": container,
                "type": kind,
                "reason": reason,
                "message": message,
            }
        )

    def _row(self, pod, container, outcome: str, reason: str, message: str, **values) -> None:
        key = image_back_off_key(pod.uid, container.image)
        row = {
            "node": self.node,
            "pod": pod.name,
            "namespace": pod.namespace,
            "container": container.name,
            "container_kind": str(container.kind),
            "image": container.image,
            "pull_policy": str(container.image_pull_policy),
            "attempt": self.attempts.get(key, 0),
            "requested_s": self.env.now,
            "started_s": None,
            "finished_s": self.env.now,
            "bytes_downloaded": 0.0,
            "image_size_bytes": None,
            "credential": "",
            "outcome": outcome,
            "reason": reason,
            "error": message,
        }
        row.update(values)
        self.pulls.append(row)

    # ----------------------------------------------------------- EnsureImageExists
    def ensure_image_exists(
        self, pod, container, pull_secrets: Sequence[Secret]
    ) -> Generator[simpy.Event, Any, EnsureResult]:
        image = container.image
        warning, normal = kube_errors.EVENT_TYPE_WARNING, kube_errors.EVENT_TYPE_NORMAL
        try:
            parse_image_ref(image)
        except InvalidImageName as error:
            message = kube_errors.invalid_image_name_message(image, str(error))
            self.event(pod, container.name, warning, kube_errors.EVENT_INSPECT_FAILED, message)
            self._row(pod, container, "invalid-name", kube_errors.INVALID_IMAGE_NAME, message)
            return EnsureResult(False, kube_errors.INVALID_IMAGE_NAME, message)

        present = self.runtime.find_image(image)
        gate = self.config.ensure_secret_pulled_images
        coordinates = tuple(PullSecretCoordinates.of(secret) for secret in pull_secrets)
        name = image_name_without_tag_or_digest(image)
        pulled_by_kubelet = present is not None and present.digest in self.pulled_by_kubelet
        decision = decide_present_image(
            image=image,
            pull_policy=container.image_pull_policy,
            image_present=present is not None,
            feature_gate_enabled=gate,
            policy=self.config.imagePullCredentialsVerificationPolicy,
            pulled_by_kubelet=pulled_by_kubelet,
            record=self.pull_records.get(name),
            pod_pull_secrets=coordinates,
            allowlist=self.config.preloadedImagesVerificationAllowlist,
        )
        if decision is PresentImageDecision.USE_PRESENT:
            verified = gate and requires_credential_verification(
                self.config.imagePullCredentialsVerificationPolicy,
                image,
                pulled_by_kubelet,
                self.config.preloadedImagesVerificationAllowlist,
            )
            message = kube_errors.already_present_message(image, verified_for_pod=verified)
            self.event(pod, container.name, normal, kube_errors.EVENT_PULLED, message)
            size = self.runtime.image_size(present)
            self._row(pod, container, "present", "", "", image_size_bytes=size)
            return EnsureResult(True)
        if decision is PresentImageDecision.NEVER_PULL_ERROR:
            message = kube_errors.never_pull_message(image)
            reason = kube_errors.ERR_IMAGE_NEVER_PULL
            self.event(
                pod, container.name, warning, kube_errors.EVENT_ERR_IMAGE_NEVER_PULL, message
            )
            self._row(pod, container, "never-pull", reason, message)
            return EnsureResult(False, reason, message)

        key = image_back_off_key(pod.uid, image)
        if self.backoff.is_in_back_off(key, self.env.now):
            message = kube_errors.back_off_message(image)
            self.event(pod, container.name, normal, kube_errors.EVENT_BACK_OFF, message)
            self._row(pod, container, "back-off", kube_errors.IMAGE_PULL_BACK_OFF, message)
            return EnsureResult(False, kube_errors.IMAGE_PULL_BACK_OFF, message)

        self.attempts[key] = self.attempts.get(key, 0) + 1
        self.event(
            pod,
            container.name,
            normal,
            kube_errors.EVENT_PULLING,
            kube_errors.pulling_message(image),
        )
        credentials: tuple[Credential, ...] = pull_credentials(
            image, pull_secrets, self.node_keyring
        )
        requested = self.env.now
        outcome: dict[str, Any] = {}

        def run() -> Generator[simpy.Event, Any, None]:
            outcome["started_s"] = self.env.now
            if self.qps is not None and not self.qps.try_accept(self.env.now):
                outcome["error"] = PULL_QPS_EXCEEDED
                return
            result: PullResult = yield self.runtime.pull(image, credentials)
            outcome["result"] = result

        yield from self.puller.pull(run)
        finished = self.env.now
        started = outcome["started_s"]
        result: PullResult | None = outcome.get("result")
        error = outcome.get("error") or (result.error if result and not result.ok else "")
        common = {
            "requested_s": requested,
            "started_s": started,
            "finished_s": finished,
            "bytes_downloaded": result.bytes_downloaded if result else 0.0,
        }
        if error:
            message = kube_errors.failed_to_pull_message(image, error)
            self.event(pod, container.name, warning, kube_errors.EVENT_FAILED, message)
            self.backoff.next(key, finished)
            reason = kube_errors.ERR_IMAGE_PULL
            self._row(pod, container, "failed", reason, message, **common)
            return EnsureResult(False, reason, message)

        assert result is not None
        record = self.runtime.find_image(image)
        size = self.runtime.image_size(record) if record is not None else 0.0
        if record is not None:
            self.pulled_by_kubelet.add(record.digest)
        used = _credential_used(result, credentials)
        secret = None
        if used is not None and not used.source.is_node:
            secret = next(
                (c for c in coordinates if (c.namespace, c.name) == _source_key(used)), None
            )
        self.pull_records[name] = record_after_pull(self.pull_records.get(name), secret)
        self.backoff.gc(finished)
        message = (
            f"Successfully pulled image {kube_errors.go_quote(image)} in "
            f"{go_duration_ms(finished - started)} ({go_duration_ms(finished - requested)} "
            f"including waiting). Image size: {int(size)} bytes."
        )
        self.event(pod, container.name, normal, kube_errors.EVENT_PULLED, message)
        self._row(
            pod,
            container,
            "pulled" if result.outcome == "pulled" else "already-present",
            "",
            "",
            image_size_bytes=size,
            credential=used.username if used is not None else "",
            **common,
        )
        if self.on_image_pulled is not None and record is not None:
            self.on_image_pulled(self.node, image)
        return EnsureResult(True)


def _source_key(credential: Credential) -> tuple[str, str]:
    return (credential.source.secret_namespace, credential.source.secret_name)


def _credential_used(result: PullResult, credentials: tuple[Credential, ...]) -> Credential | None:
    """The credential whose attempt succeeded (the runtime tries them in order)."""
    if 0 <= result.credential_index < len(credentials):
        return credentials[result.credential_index]
    return None
