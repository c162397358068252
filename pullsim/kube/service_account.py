"""ServiceAccount admission as it affects image pulls.

Source: ``plugin/pkg/admission/serviceaccount/admission.go`` (kubernetes/kubernetes), run by the
API server when a pod is created (not when it is updated):
- an empty ``serviceAccountName`` becomes ``default``;
- the ServiceAccount must exist, otherwise the pod is rejected (Forbidden) with
  ``error looking up service account <namespace>/<name>: serviceaccount "<name>" not found``;
- the ServiceAccount's ``imagePullSecrets`` are copied into the pod only when the pod lists none.

Every namespace has a ``default`` ServiceAccount (created by the service account controller in
``pkg/controller/serviceaccount``); one given explicitly, for example patched with
``imagePullSecrets``, replaces the implicit one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pullsim.kube.errors import go_quote
from pullsim.kube.objects import DEFAULT_SERVICE_ACCOUNT_NAME, PodSpec, ServiceAccount


class ServiceAccountAdmissionError(ValueError):
    """The API server refuses to create the pod."""

    def __init__(self, pod_name: str, namespace: str, service_account_name: str) -> None:
        self.pod_name = pod_name
        self.namespace = namespace
        self.service_account_name = service_account_name
        super().__init__(
            f"pods {go_quote(pod_name)} is forbidden: error looking up service account "
            f"{namespace}/{service_account_name}: serviceaccount "
            f"{go_quote(service_account_name)} not found"
        )


def find_service_account(
    namespace: str,
    name: str,
    service_accounts: Iterable[ServiceAccount],
    *,
    implicit_default: bool = True,
) -> ServiceAccount | None:
    for service_account in service_accounts:
        if service_account.namespace == namespace and service_account.name == name:
            return service_account
    if implicit_default and name == DEFAULT_SERVICE_ACCOUNT_NAME:
        return ServiceAccount(name=DEFAULT_SERVICE_ACCOUNT_NAME, namespace=namespace)
    return None


def admit_pod(
    pod: PodSpec,
    service_accounts: Iterable[ServiceAccount] = (),
    *,
    implicit_default: bool = True,
) -> PodSpec:
    """Return the pod as the ServiceAccount admission plugin leaves it.

    ``implicit_default=False`` models a namespace whose ``default`` ServiceAccount has not been
    created yet. Raises :class:`ServiceAccountAdmissionError` (a ValueError).
    """
    name = pod.service_account_name or DEFAULT_SERVICE_ACCOUNT_NAME
    service_account = find_service_account(
        pod.namespace, name, service_accounts, implicit_default=implicit_default
    )
    if service_account is None:
        raise ServiceAccountAdmissionError(pod.name, pod.namespace, name)
    pull_secrets = pod.image_pull_secrets or service_account.image_pull_secrets
    return replace(pod, service_account_name=name, image_pull_secrets=pull_secrets)
