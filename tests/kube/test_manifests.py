"""Objects from manifests: multi-document YAML, kind: List, pod templates, errors."""

import pytest

from pullsim.kube import ContainerKind, ManifestError, load_manifests

WORKLOADS = """
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: StatefulSet
  metadata: {name: db, namespace: data}
  spec:
    replicas: 3
    template:
      spec:
        nodeSelector: {disk: ssd}
        initContainers:
        - {name: migrate, image: "migrate:1.0"}
        - name: proxy
          image: envoyproxy/envoy:v1.30.1
          restartPolicy: Always
          startupProbe: {tcpSocket: {port: 9901}}
        containers:
        - name: db
          image: postgres
          imagePullPolicy: IfNotPresent
          resources:
            requests: {cpu: 500m, memory: 1Gi}
            limits: {cpu: "2", ephemeral-storage: 10Gi}
        imagePullSecrets: [{name: regcred}]
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: settings}
---
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  template:
    spec:
      nodeName: node-1
      serviceAccount: legacy
      containers:
      - name: agent
        image: "quay.io/agent@AGENT_DIGEST"
---
apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  template:
    spec:
      containers: [{name: work, image: "busybox:latest"}]
---
apiVersion: v1
kind: Namespace
metadata: {name: data}
""".replace("AGENT_DIGEST", "sha256:" + "86e0e091d0da6bde2456dbb48306f395" * 2)


def test_pod_templates_become_pod_specs():
    manifests = load_manifests(WORKLOADS)
    database = manifests.workload("StatefulSet", "db", "data")
    pod = database.pod_template
    assert database.replicas == 3
    assert [c.kind for c in pod.all_containers] == [
        ContainerKind.INIT,
        ContainerKind.SIDECAR,
        ContainerKind.APP,
    ]
    assert pod.images == ("migrate:1.0", "envoyproxy/envoy:v1.30.1", "postgres")
    assert [c.image_pull_policy for c in pod.all_containers] == [
        "IfNotPresent",
        "IfNotPresent",
        "IfNotPresent",  # written explicitly although "postgres" would default to Always
    ]
    assert pod.init_containers[1].has_startup_probe
    assert pod.image_pull_secrets == ("regcred",)
    assert dict(pod.node_selector) == {"disk": "ssd"}
    # requests default to limits where absent (SetDefaults_Pod)
    assert dict(pod.containers[0].resource_requests) == {
        "cpu": 0.5,
        "memory": 2**30,
        "ephemeral-storage": 10 * 2**30,
    }
    assert pod.namespace == "data" and pod.service_account_name == ""


def test_other_kinds_and_defaults():
    manifests = load_manifests(WORKLOADS)
    agent = manifests.workload("DaemonSet", "agent")
    assert agent.replicas is None
    assert agent.pod_template.node_name == "node-1"
    assert agent.pod_template.service_account_name == "legacy"  # deprecated field still honoured
    assert agent.pod_template.containers[0].image_pull_policy == "IfNotPresent"
    job = manifests.workload("Job", "batch")
    assert (job.replicas, job.completions) == (1, 1)
    assert job.pod_template.containers[0].image_pull_policy == "Always"
    assert [namespace.name for namespace in manifests.namespaces] == ["data"]


def test_unmodelled_kinds_are_reported_and_skipped():
    (skipped,) = load_manifests(WORKLOADS).skipped
    assert skipped.location.kind == "ConfigMap"
    assert (skipped.location.document_index, skipped.location.item_index) == (0, 1)
    assert "not modelled" in skipped.reason


def test_pod_resource_requests_count_sidecars_and_init_peak():
    pod = load_manifests(
        """
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - {name: big-init, image: a, resources: {requests: {cpu: "3"}}}
  - {name: sidecar, image: b, restartPolicy: Always, resources: {requests: {cpu: "1"}}}
  containers:
  - {name: app, image: c, resources: {requests: {cpu: "1"}}}
"""
    ).pods[0]
    assert pod.resource_requests() == {"cpu": 3.0}


def test_file_paths_are_read(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text(WORKLOADS)
    assert len(load_manifests(path).workloads) == 3
    assert len(load_manifests(str(path)).workloads) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c}]\n",
            "<text>: document[0] Pod default/p: spec.containers[0].image: Required value",
        ),
        (
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
            "spec:\n  template:\n    spec:\n      containers:\n      - {name: a, image: x}\n"
            "      - {name: b, image: y, imagePullPolicy: Sometimes}\n",
            "<text>: document[0] Deployment shop/web: spec.template.spec.containers[1]"
            '.imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", '
            '"IfNotPresent", "Never"',
        ),
        (
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod}\n",
            "<text>: document[0] items[0] Pod default/<unnamed>: metadata.name: Required value",
        ),
        (
            "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old}\n",
            "<text>: document[0] Deployment default/old: apiVersion: no matches for kind "
            '"Deployment" in version "extensions/v1beta1"',
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers:\n"
            "  - {name: i, image: x, restartPolicy: OnFailure}\n"
            "  containers: [{name: c, image: y}]\n",
            "<text>: document[0] Pod default/p: spec.initContainers[0].restartPolicy: "
            'Unsupported value: "OnFailure": supported values: "Always"',
        ),
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
            "type: kubernetes.io/dockerconfigjson\n",
            "<text>: document[0] Secret default/s: data[.dockerconfigjson]: Required value",
        ),
        ("metadata: {name: x}\n", "<text>: document[0]: kind: Required value"),
    ],
)
def test_errors_name_file_document_object_and_field(text, expected):
    with pytest.raises(ManifestError) as raised:
        load_manifests(text)
    assert str(raised.value) == expected


def test_error_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n")
    with pytest.raises(ManifestError) as raised:
        load_manifests(path)
    assert (
        str(raised.value) == f"{path}: document[0] Pod default/p: spec.containers: Required value"
    )
    assert raised.value.field_path == "spec.containers"


def test_invalid_yaml_reports_line():
    with pytest.raises(ManifestError, match=r"document\[1\]: invalid YAML at line \d+, column \d+"):
        load_manifests("kind: Namespace\napiVersion: v1\nmetadata: {name: n}\n---\n[unclosed\n")


def test_invalid_secret_json_is_redacted():
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/dockerconfigjson\n"
        "stringData: {.dockerconfigjson: 'hunter2-not-json'}\n"
    )
    with pytest.raises(ManifestError) as raised:
        load_manifests(text)
    assert "hunter2" not in str(raised.value)
    assert "<secret contents redacted>" in str(raised.value)
