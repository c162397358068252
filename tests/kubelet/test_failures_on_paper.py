"""Pull QPS, private registries with ServiceAccount-injected secrets, Never, back-off."""

import base64
import json

import pytest

import pullsim
from pullsim.scenario import RegistrySpec
from tests.kubelet.helpers import MB, container, image, pod_workload, scenario

QPS_EXCEEDED = 'Failed to pull image "registry.test/app:1": pull QPS exceeded'


def twelve_pods(kubelet, size, policy="Always"):
    # Always, so that a retry pulls even though the other pods brought the image meanwhile.
    images = [image("registry.test/app:1", ("app", size))]
    workload = pod_workload(
        "web", container("app", "registry.test/app:1", policy=policy), replicas=12
    )
    # Distinct pods each pull: the kubelet never merges requests (the runtime shares blobs).
    return pullsim.simulate(
        scenario(images, [workload], kubelet=kubelet, runtime="containerd-1.x", horizon_s=120)
    ).raise_for_error()


def test_twelve_parallel_pulls_at_once_ten_start_two_fail_then_retry_after_back_off():
    result = twelve_pods({"serializeImagePulls": False}, 1 * MB)
    first = result.pulls[result.pulls["attempt"] == 1]
    failed = first[first["outcome"] == "failed"]
    # Burst 10 tokens at t = 0: ten pulls start, two fail at once.
    assert len(first) == 12 and len(failed) == 2
    assert (failed["finished_s"] == 0).all()
    assert set(failed["error"]) == {QPS_EXCEEDED}
    assert result.summary["pull_qps_exceeded"].iloc[0] == 2
    # Back-off 10 s; the pod worker comes back after 10 s (jitter 0 here): in back-off no
    # more (now - 0 < 10 is false), so the second attempt pulls and succeeds.
    retries = result.pulls[result.pulls["attempt"] == 2]
    assert len(retries) == 2
    assert retries["requested_s"].tolist() == pytest.approx([10, 10])
    assert retries["outcome"].tolist() == ["already-present"] * 2  # resolve only
    assert result.pods["ready_s"].notna().all()
    reasons = result.events[result.events["object"] == "pod/default/" + failed["pod"].iloc[0]]
    assert "Error: ErrImagePull" in reasons["message"].tolist()


def test_serial_pulls_of_multi_second_images_never_exceed_the_qps():
    # Twelve pods, twelve 200 MB images: each pull takes 2 s and the bucket refills 5 tokens
    # per second meanwhile, so the serial worker never finds it empty.
    images = [image(f"registry.test/app{k}:1", (f"app{k}", 200 * MB)) for k in range(12)]
    workloads = [
        pod_workload(f"web{k}", container("app", f"registry.test/app{k}:1")) for k in range(12)
    ]
    result = pullsim.simulate(
        scenario(images, workloads, runtime="containerd-1.x", horizon_s=60)
    ).raise_for_error()
    assert result.pulls["outcome"].tolist() == ["pulled"] * 12
    assert result.pods["ready_s"].max() == pytest.approx(24, abs=1e-5)


def test_serial_pulls_of_one_cached_image_can_still_exceed_the_qps():
    # Twelve pods of one image, IfNotPresent: the first pull takes 2 s; the other eleven were
    # queued while it was absent, so each is a real (manifest-only) pull at 2 s: 10 tokens,
    # eleven requests, the last fails. A known source of "pull QPS exceeded" reports.
    result = twelve_pods({}, 200 * MB, policy="IfNotPresent")
    outcomes = result.pulls["outcome"].tolist()
    assert outcomes[:12] == ["pulled"] + ["already-present"] * 10 + ["failed"]


def test_back_off_is_reported_when_the_pod_worker_resyncs_too_early():
    # A missing image fails at 0; the next sync at 10 s pulls again (delay 10 s elapsed) and
    # fails; the delay doubles to 20 s, so the sync at 20 s reports ImagePullBackOff.
    images = [image("registry.test/app:1", ("app", MB))]
    workload = pod_workload("web", container("app", "registry.test/missing:1"))
    result = pullsim.simulate(scenario(images, [workload], horizon_s=25)).raise_for_error()
    assert result.pulls["outcome"].tolist() == ["failed", "failed", "back-off"]
    assert result.pulls["requested_s"].tolist() == pytest.approx([0, 10, 20])
    back_off = result.events[result.events["reason"] == "BackOff"]["message"].tolist()
    assert back_off == ['Back-off pulling image "registry.test/missing:1"']
    assert result.pods["final_reason"].iloc[0] == "ImagePullBackOff"


PASSWORD = "Harbor12345"
AUTH = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
CONFIG = json.dumps({"auths": {"10.202.43.240:5000": {"auth": AUTH}}})
SECRET = f"""
apiVersion: v1
kind: Secret
metadata: {{name: images, namespace: default}}
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: {base64.b64encode(CONFIG.encode()).decode()}
"""
PATCHED_DEFAULT = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: default}
imagePullSecrets: [{name: images}]
"""
CESHI = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: ceshi, namespace: default}
"""
DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      serviceAccountName: %s
      containers:
      - {name: app, image: "10.202.43.240:5000/app:v1"}
"""
HARBOR = RegistrySpec(
    host="10.202.43.240:5000",
    round_trip_s=0,
    connection_bytes_per_s=None,
    anonymous=False,
    credentials=(("admin", PASSWORD),),
)


def private(*manifests):
    return pullsim.simulate(
        scenario(
            [image("10.202.43.240:5000/app:v1", ("app", 10 * MB))],
            [],
            registry=HARBOR,
            manifests=manifests,
            arrivals=(pullsim.scenario.BurstArrival(workload="app"),),
            horizon_s=30,
        )
    ).raise_for_error()


def test_private_image_without_a_matching_secret_ends_in_image_pull_back_off():
    result = private(SECRET, DEPLOYMENT % '""')  # the default SA is not patched
    assert result.pulls["outcome"].tolist()[:2] == ["failed", "failed"]
    assert "pull access denied" in result.pulls["error"].iloc[0]
    assert result.pods["final_reason"].iloc[0] == "ImagePullBackOff"


def test_private_image_with_the_service_account_injected_secret_starts():
    result = private(SECRET, PATCHED_DEFAULT, DEPLOYMENT % '""')
    assert result.pulls["outcome"].tolist() == ["pulled"]
    assert result.pulls["credential"].tolist() == ["admin"]
    assert result.pods["final_reason"].iloc[0] == "Running"


def test_private_image_under_service_account_ceshi_fails():
    result = private(SECRET, PATCHED_DEFAULT, CESHI, DEPLOYMENT % "ceshi")
    assert result.pulls["reason"].iloc[0] == "ErrImagePull"
    assert result.pods["final_reason"].iloc[0] in ("ErrImagePull", "ImagePullBackOff")


def test_a_missing_secret_warns_and_the_pull_goes_on():
    result = private(PATCHED_DEFAULT, DEPLOYMENT % '""')  # lists "images", which is absent
    warnings = result.events[result.events["reason"] == "FailedToRetrieveImagePullSecret"]
    assert warnings["message"].iloc[0] == (
        "Unable to retrieve some image pull secrets (images); attempting to pull the image "
        "may not succeed."
    )
    assert result.pulls["outcome"].iloc[0] == "failed"


def test_never_without_the_image_gives_err_image_never_pull():
    workload = pod_workload("web", container("app", "registry.test/app:1", policy="Never"))
    result = pullsim.simulate(
        scenario([image("registry.test/app:1", ("app", MB))], [workload], horizon_s=5)
    ).raise_for_error()
    event = result.events[result.events["reason"] == "ErrImageNeverPull"].iloc[0]
    assert event["message"] == (
        'Container image "registry.test/app:1" is not present with pull policy of Never'
    )
    assert result.pods["final_reason"].iloc[0] == "ErrImageNeverPull"
    assert result.summary["failures_ErrImageNeverPull"].iloc[0] == 1


def test_a_present_image_is_not_pulled():
    from tests.kubelet.helpers import nic_bound_pool

    workload = pod_workload("web", container("app", "registry.test/app:1"))
    result = pullsim.simulate(
        scenario(
            [image("registry.test/app:1", ("app", MB))],
            [workload],
            pool=nic_bound_pool(images_at_start=("registry.test/app:1",)),
        )
    ).raise_for_error()
    assert result.pulls["outcome"].tolist() == ["present"]
    pulled = result.events[result.events["reason"] == "Pulled"]["message"].iloc[0]
    assert pulled == 'Container image "registry.test/app:1" already present on machine'
