"""The kubelet of one node: a pod worker per pod, syncing it until every container started.

Sources (kubernetes/kubernetes):
- ``pkg/kubelet/kuberuntime/kuberuntime_manager.go`` SyncPod: create the sandbox (the runtime
  pulls the pause image itself, pinned; KUBELET.md §3), then init containers in order
  (``computeInitContainerActions``): a regular one is pulled, started and must exit
  successfully before the next; a restartable one (sidecar) unblocks the next once started and,
  if it has a startup probe, once the probe succeeded. A failed regular init pull ends the sync.
  Then app containers are pulled and started one at a time in spec order; a failed pull is
  recorded and the next container is still tried in the same sync.
- ``pkg/kubelet/kuberuntime/kuberuntime_container.go`` startContainer: an image error emits
  ``Failed`` with ``Error: <reason>`` (``Error: ErrImagePull``, ``Error: ImagePullBackOff``).
- ``pkg/kubelet/pod_workers.go``: a sync that failed is retried after
  ``wait.Jitter(backOffPeriod = 10 s, 0.5)``, i.e. uniformly in [10 s, 15 s); the image back-off
  is only looked at then. The jitter comes from the pod's own seeded numpy stream, so runs are
  reproducible and strategies see the same draws (common random numbers).
- ``pkg/kubelet/kubelet_pods.go`` getPullSecretsForPod: a listed Secret that does not exist
  gives the ``FailedToRetrieveImagePullSecret`` warning at every sync; the pull goes on.

Timings that are not pulls (sandbox creation, container start, the startup probe) are
parameters (:class:`PodTimings`), since they depend on CNI, runtime and application.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from simpy.events import Timeout

from pullsim.engine.environment import start_process
from pullsim.kube import (
    Backoff,
    ContainerKind,
    Keyring,
    KubeletConfiguration,
    Secret,
    retrieve_pull_secrets,
)
from pullsim.kube import errors as kube_errors
from pullsim.kube.credentials import RetrievedPullSecrets
from pullsim.model.kubelet.image_manager import ImageManager
from pullsim.model.kubelet.pullers import make_puller
from pullsim.model.pod import Pod
from pullsim.model.runtime import ContainerRuntime

__all__ = ["Kubelet", "PodTimings"]

DEFAULT_PAUSE_IMAGE = "registry.k8s.io/pause:3.10"


@dataclass(frozen=True)
class PodTimings:
    """Non-pull delays of a pod's start, in seconds."""

    sandbox_start_s: float = 1.0
    """RunPodSandbox without the pause pull: network namespace and CNI set-up (~1 s)."""
    container_start_s: float = 0.2
    """CreateContainer + StartContainer for one container."""
    startup_probe_s: float = 0.0
    """A sidecar with a startup probe unblocks the next container this long after starting."""
    resync_s: float = 10.0
    """pod_workers.go backOffPeriod: retry delay after a failed sync..."""
    resync_jitter: float = 0.5
    """...stretched by wait.Jitter's factor: uniform in [resync_s, resync_s (1 + jitter))."""
    pause_image: str = DEFAULT_PAUSE_IMAGE


class Kubelet:
    """One node's kubelet: puller, QPS limit, back-off, image manager and pod workers."""

    def __init__(
        self,
        env: simpy.Environment,
        runtime: ContainerRuntime,
        config: KubeletConfiguration,
        *,
        secrets: Iterable[Secret] = (),
        node_keyring: Keyring | None = None,
        timings: PodTimings | None = None,
        events: list[dict[str, Any]],
        pulls: list[dict[str, Any]],
        rng_for_pod: Callable[[Pod], np.random.Generator],
        on_image_pulled=None,
        on_pod_ready=None,
    ) -> None:
        self.env = env
        self.runtime = runtime
        self.node = runtime.node.name
        self.config = config
        self.secrets = tuple(secrets)
        self.timings = timings or PodTimings()
        self.events = events
        self.rng_for_pod = rng_for_pod
        self.on_pod_ready = on_pod_ready
        self.backoff = Backoff()
        self.puller = make_puller(env, config.serializeImagePulls, config.maxParallelImagePulls)
        self.image_manager = ImageManager(
            env,
            runtime,
            self.puller,
            config,
            backoff=self.backoff,
            events=events,
            pulls=pulls,
            node_keyring=node_keyring,
            on_image_pulled=on_image_pulled,
        )
        self.pods: dict[str, Pod] = {}
        self._sandbox_pull: simpy.Process | None = None

    # ------------------------------------------------------------------ pods
    def add_pod(self, pod: Pod) -> None:
        """The pod was bound to this node: start its worker now."""
        self.pods[pod.uid] = pod
        pod.process = start_process(self.env, self._pod_worker(pod))

    def remove_pod(self, pod: Pod) -> None:
        """The pod was deleted: stop its worker, its containers stop using their images."""
        if pod.process is not None and pod.process.is_alive:
            pod.process.interrupt("deleted")
        for container in pod.spec.all_containers:
            state = pod.containers.get(container.name)
            started = state is not None and state.started_s is not None
            if started and self.runtime.find_image(container.image) is not None:
                self.runtime.container_removed(container.image)
        self.pods.pop(pod.uid, None)

    def _event(self, pod: Pod, container: str, kind: str, reason: str, message: str) -> None:
        self.image_manager.event(pod, container, kind, reason, message)

    def _pod_worker(self, pod: Pod) -> Generator[simpy.Event, Any, None]:
        rng: np.random.Generator | None = None
        try:
            while True:
                pod.syncs += 1
                if (yield from self._sync(pod)):
                    pod.mark_ready(self.env.now)
                    if self.on_pod_ready is not None:
                        self.on_pod_ready(pod)
                    return
                if rng is None:
                    rng = self.rng_for_pod(pod)
                jitter = 1.0 + self.timings.resync_jitter * rng.random()
                yield self.env.timeout(self.timings.resync_s * jitter)
        except simpy.Interrupt:
            return

    # ------------------------------------------------------------------ SyncPod
    def _sync(self, pod: Pod) -> Generator[simpy.Event, Any, bool]:
        retrieved: RetrievedPullSecrets = retrieve_pull_secrets(
            pod.namespace, pod.spec.image_pull_secrets, self.secrets
        )
        if retrieved.missing:
            self._event(
                pod,
                "",
                kube_errors.EVENT_TYPE_WARNING,
                kube_errors.EVENT_FAILED_TO_RETRIEVE_IMAGE_PULL_SECRET,
                kube_errors.failed_to_retrieve_pull_secrets_message(retrieved.missing),
            )
        secrets = retrieved.secrets
        if pod.sandbox_ready_s is None and not (yield from self._create_sandbox(pod)):
            return False
        manager = self.image_manager
        for container in pod.spec.init_containers:
            state = pod.state(container.name)
            if container.kind is ContainerKind.SIDECAR:
                if state.ready_s is not None:
                    continue
            elif state.finished_s is not None:
                continue
            result = yield from manager.ensure_image_exists(pod, container, secrets)
            if not result.ok:
                self._image_error(pod, container.name, state, result)
                return False
            yield from self._start_container(pod, container.name, container.image, state)
            if container.kind is ContainerKind.SIDECAR:
                if container.has_startup_probe and self.timings.startup_probe_s > 0:
                    yield self.env.timeout(self.timings.startup_probe_s)
                state.ready_s = self.env.now
            else:
                run_s = pod.run_seconds.get(container.name, 0.0)
                if run_s > 0:
                    yield self.env.timeout(run_s)
                state.finished_s = self.env.now
        all_started = True
        for container in pod.spec.containers:
            state = pod.state(container.name)
            if state.started_s is not None:
                continue
            result = yield from manager.ensure_image_exists(pod, container, secrets)
            if not result.ok:
                self._image_error(pod, container.name, state, result)
                all_started = False
                continue  # a failed app pull does not stop the next container's pull
            yield from self._start_container(pod, container.name, container.image, state)
        return all_started

    def _image_error(self, pod: Pod, name: str, state, result) -> None:
        state.reason, state.message = result.reason, result.message
        self._event(
            pod, name, kube_errors.EVENT_TYPE_WARNING, kube_errors.EVENT_FAILED,
            f"Error: {result.reason}",
        )  # fmt: skip

    def _start_container(
        self, pod: Pod, name: str, image: str, state
    ) -> Generator[simpy.Event, Any, None]:
        if self.timings.container_start_s > 0:
            yield Timeout(self.env, self.timings.container_start_s)
        if self.runtime.find_image(image) is not None:
            self.runtime.container_started(image)
        state.started_s = self.env.now
        state.reason = state.message = ""
        normal = kube_errors.EVENT_TYPE_NORMAL
        self._event(pod, name, normal, "Created", f"Created container: {name}")
        self._event(pod, name, normal, "Started", f"Started container {name}")

    def _create_sandbox(self, pod: Pod) -> Generator[simpy.Event, Any, bool]:
        """RunPodSandbox: the runtime pulls the pause image itself (pinned), once per node."""
        pause = self.timings.pause_image
        if self.runtime.find_image(pause) is None:
            if self._sandbox_pull is None or not self._sandbox_pull.is_alive:
                self._sandbox_pull = self.runtime.pull(pause, pinned=True)
            result = yield self._sandbox_pull
            if not result.ok and self.runtime.find_image(pause) is None:
                self._event(
                    pod,
                    "",
                    kube_errors.EVENT_TYPE_WARNING,
                    "FailedCreatePodSandBox",
                    f"Failed to create pod sandbox: {result.error}",
                )
                return False
        else:
            self.runtime.find_image(pause).pinned = True
        if self.timings.sandbox_start_s > 0:
            yield Timeout(self.env, self.timings.sandbox_start_s)
        pod.sandbox_ready_s = self.env.now
        return True
