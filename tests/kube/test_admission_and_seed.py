"""ServiceAccount admission (plugin/pkg/admission/serviceaccount/admission.go) and the seed's
private-registry example, end to end from manifests to credentials."""

import base64
import json

import pytest

from pullsim.kube import (
    PodSpec,
    ServiceAccount,
    ServiceAccountAdmissionError,
    admit_pod,
    load_manifests,
    pull_credentials,
    retrieve_pull_secrets,
)

PASSWORD = "Harbor12345"
AUTH = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
DOCKER_CONFIG_JSON = json.dumps({"auths": {"10.202.43.240:5000": {"auth": AUTH}}})

SEED = f"""
apiVersion: v1
kind: Secret
metadata: {{name: images, namespace: default}}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: {base64.b64encode(DOCKER_CONFIG_JSON.encode()).decode()}
---
# kubectl patch serviceaccount default -p '{{"imagePullSecrets": [{{"name": "images"}}]}}'
apiVersion: v1
kind: ServiceAccount
metadata: {{name: default, namespace: default}}
imagePullSecrets: [{{name: images}}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: ceshi, namespace: default}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: app}}}}
  template:
    metadata: {{labels: {{app: app}}}}
    spec:
      serviceAccountName: ""
      containers:
      - {{name: app, image: "10.202.43.240:5000/app:v1"}}
---
apiVersion: v1
kind: Pod
metadata: {{name: under-ceshi}}
spec:
  serviceAccountName: ceshi
  containers:
  - {{name: app, image: "10.202.43.240:5000/app:v1"}}
"""


def test_seed_private_registry_example():
    manifests = load_manifests(SEED)
    deployment = manifests.workload("Deployment", "app")
    admitted = admit_pod(deployment.pod_template, manifests.service_accounts)
    assert admitted.service_account_name == "default"
    assert admitted.image_pull_secrets == ("images",)
    secrets = retrieve_pull_secrets("default", admitted.image_pull_secrets, manifests.secrets)
    assert secrets.missing == ()
    credentials = pull_credentials("10.202.43.240:5000/app:v1", secrets.secrets)
    assert [(c.username, c.password) for c in credentials] == [("admin", PASSWORD)]

    under_ceshi = admit_pod(
        manifests.workload("Pod", "under-ceshi").pod_template, manifests.service_accounts
    )
    assert under_ceshi.service_account_name == "ceshi"
    assert under_ceshi.image_pull_secrets == ()
    secrets = retrieve_pull_secrets("default", under_ceshi.image_pull_secrets, manifests.secrets)
    assert pull_credentials("10.202.43.240:5000/app:v1", secrets.secrets) == ()


def test_secret_contents_stay_out_of_manifest_reprs():
    manifests = load_manifests(SEED)
    text = repr(manifests) + str(manifests.secrets)
    assert PASSWORD not in text and AUTH not in text


def pod(**fields) -> PodSpec:
    return PodSpec(name="web-7d4f8-", namespace="shop", **fields)


def test_empty_service_account_becomes_default_and_gets_its_secrets():
    accounts = [ServiceAccount("default", "shop", image_pull_secrets=("regcred",))]
    admitted = admit_pod(pod(), accounts)
    assert (admitted.service_account_name, admitted.image_pull_secrets) == ("default", ("regcred",))


def test_pod_listing_its_own_secrets_keeps_them():
    accounts = [ServiceAccount("default", "shop", image_pull_secrets=("regcred",))]
    admitted = admit_pod(pod(image_pull_secrets=("mine",)), accounts)
    assert admitted.image_pull_secrets == ("mine",)


def test_every_namespace_has_a_default_service_account():
    admitted = admit_pod(pod(), [])
    assert (admitted.service_account_name, admitted.image_pull_secrets) == ("default", ())


def test_service_account_of_another_namespace_does_not_count():
    accounts = [ServiceAccount("default", "other", image_pull_secrets=("regcred",))]
    assert admit_pod(pod(), accounts).image_pull_secrets == ()


def test_missing_service_account_rejects_the_pod_with_the_upstream_message():
    with pytest.raises(ServiceAccountAdmissionError) as raised:
        admit_pod(pod(service_account_name="ceshi"), [])
    assert str(raised.value) == (
        'pods "web-7d4f8-" is forbidden: error looking up service account shop/ceshi: '
        'serviceaccount "ceshi" not found'
    )
    assert isinstance(raised.value, ValueError)


def test_default_missing_when_not_yet_created():
    with pytest.raises(ServiceAccountAdmissionError, match="shop/default"):
        admit_pod(pod(), [], implicit_default=False)
